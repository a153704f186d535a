"""``governance db upgrade|current``: the database schema (Alembic revisions)."""

from __future__ import annotations

import json

import typer
from sqlalchemy import Engine

from governance.cli import app
from governance.errors import GovernanceError

db_app = typer.Typer(help="The database schema: upgrade it, or show where it is.", no_args_is_help=True)
app.add_typer(db_app, name="db")
DATABASE_OPTION = typer.Option(None, "--database-url", help="Overrides GOVERNANCE_DATABASE_URL")


def _engine(database_url: str | None) -> Engine:
    from governance.db import make_engine
    from governance.settings import Settings

    return make_engine(database_url or Settings().database_url)


def _fail(exc: GovernanceError, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"code": exc.code, "message": exc.message}))
    else:
        typer.echo(f"error ({exc.code}): {exc.message}", err=True)
    raise typer.Exit(1)


@db_app.command("upgrade")
def upgrade(
    database_url: str = DATABASE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print {before, after} as JSON"),
) -> None:
    """Bring the database to this release's schema (idempotent; back up first)."""
    from governance.migrations import upgrade as run_upgrade

    engine = _engine(database_url)
    try:
        before, after = run_upgrade(engine)
    except GovernanceError as exc:
        _fail(exc, as_json)
    finally:
        engine.dispose()
    if as_json:
        print(json.dumps({"before": before.to_dict(), "after": after.to_dict()}))
    elif before.revision == after.revision and before.state == after.state:
        print(f"already at {after.revision}")
    else:
        print(f"upgraded from {before.revision or before.state.value} to {after.revision}")


@db_app.command("current")
def current(
    database_url: str = DATABASE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print {state, revision, head} as JSON"),
) -> None:
    """Show the database's revision and this release's; exit 1 unless it is current."""
    from governance.migrations import SchemaState, status

    engine = _engine(database_url)
    try:
        found = status(engine)
    finally:
        engine.dispose()
    if as_json:
        print(json.dumps(found.to_dict()))
    else:
        print(f"{found.revision or '-'} ({found.state.value}; this release needs {found.head})")
    if found.state is not SchemaState.current:
        raise typer.Exit(1)
