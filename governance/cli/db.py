"""``governance db upgrade|current``: the database schema (Alembic revisions).

See docs/operations/upgrading.md. ``upgrade`` is idempotent; ``current`` exits 1 unless the
database is at this release's revision, so a deploy script can gate on it.
"""

from __future__ import annotations

from typing import Any

import typer
from sqlalchemy.exc import SQLAlchemyError

from governance.cli import app
from governance.cli.output import JSON_HELP, NO, SERVER, handled, new_typer, out, print_json
from governance.errors import GovernanceError

db_app = new_typer("The database schema: upgrade it, or show where it is.")
app.add_typer(db_app, name="db")
DATABASE_OPTION = typer.Option(None, "--database-url", envvar="GOVERNANCE_DATABASE_URL", show_default=False,
                               help="The database (default: the settings' database_url)")


class DatabaseUnreachable(GovernanceError):
    """The database cannot be opened or read."""

    code = "database_unreachable"
    exit_code = SERVER


def _engine(database_url: str | None) -> Any:
    from governance.db import make_engine
    from governance.settings import Settings

    return make_engine(database_url or Settings().database_url)


@db_app.command("upgrade")
def upgrade(database_url: str = DATABASE_OPTION, as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Bring the database to this release's schema (idempotent; back it up first).

    JSON: {"before": {state, revision, head}, "after": {state, revision, head}}.
    """
    from governance.migrations import upgrade as run_upgrade

    with handled(as_json):
        engine = _engine(database_url)
        try:
            before, after = run_upgrade(engine)
        except SQLAlchemyError as exc:
            raise DatabaseUnreachable(f"cannot upgrade the database: {exc.__class__.__name__}: {exc}") from None
        finally:
            engine.dispose()
    if as_json:
        print_json({"before": before.to_dict(), "after": after.to_dict()})
    elif before == after:
        out(f"already at {after.revision}")
    else:
        out(f"upgraded from {before.revision or before.state.value} to {after.revision}")


@db_app.command("current")
def current(database_url: str = DATABASE_OPTION, as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Show the database's revision and this release's; exit 1 unless it is current.

    JSON: {"state": "empty|legacy|behind|current|unknown", "revision": str|null, "head": str}.
    """
    from governance.migrations import SchemaState, status

    with handled(as_json):
        engine = _engine(database_url)
        try:
            found = status(engine)
        except SQLAlchemyError as exc:
            raise DatabaseUnreachable(f"cannot read the database: {exc.__class__.__name__}: {exc}") from None
        finally:
            engine.dispose()
    if as_json:
        print_json(found.to_dict())
    else:
        out(f"{found.revision or '-'} ({found.state.value}; this release needs {found.head})")
    if found.state is not SchemaState.current:
        raise typer.Exit(NO)
