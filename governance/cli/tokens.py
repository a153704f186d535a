"""``governance token create|list|revoke``: admin API tokens.

``create`` writes to a database only when one is named (``--database-url`` or
``GOVERNANCE_DATABASE_URL``) and already exists: that is how the first admin token is made.
Otherwise it asks the running server (an admin ``--token``), and with neither it refuses, so it
never creates a database the server does not read.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import quote

import typer

from governance.cli import app
from governance.cli.client import TOKEN_OPTION, URL_OPTION, Client
from governance.cli.output import INPUT, JSON_HELP, SERVER, handled, new_typer, out, print_json, table, when
from governance.errors import GovernanceError

token_app = new_typer("Admin API tokens: create, list, revoke.")
app.add_typer(token_app, name="token")

DATABASE_OPTION = typer.Option(None, "--database-url", envvar="GOVERNANCE_DATABASE_URL", show_default=False,
                               help="Write to this existing database instead of asking the server")


class NoDatabase(GovernanceError):
    """The named database does not exist or holds no governance tables."""

    code = "no_database"
    exit_code = INPUT


class DatabaseUnreachable(GovernanceError):
    """The named database cannot be opened."""

    code = "database_unreachable"
    exit_code = SERVER


class NoTarget(GovernanceError):
    """Neither a database nor a server token was given."""

    code = "no_target"
    exit_code = INPUT


def _sqlite_has_tables(path: str | None) -> bool:
    """Whether ``path`` is an SQLite file with tables, looked at read-only (opening it for writing would
    give an empty file a header, and a missing one would be created)."""
    if not path or not Path(path).is_file():
        return False
    try:
        with closing(sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)) as conn:
            return conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0
    except sqlite3.DatabaseError:  # not an SQLite file
        return False


def _existing_engine(url: str) -> Any:
    """An engine on ``url`` if it is an existing governance database; never creates one."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from governance.db import make_engine, normalise_url
    from governance.migrations import UPGRADE_COMMAND, SchemaNotCurrent, SchemaState, status

    try:
        parsed = make_url(normalise_url(url))
    except Exception as exc:  # sqlalchemy raises ArgumentError; any unparsable URL is the user's input
        raise NoDatabase(f"not a database URL: {url!r} ({exc})") from None
    if parsed.get_backend_name() == "sqlite" and not _sqlite_has_tables(parsed.database):
        raise NoDatabase(f"no governance database at {parsed.database or url}: start the server on it first "
                         "(or check the path); nothing was created")
    engine = make_engine(url)
    try:
        found = status(engine)
    except SQLAlchemyError as exc:
        raise DatabaseUnreachable(f"cannot open {parsed.render_as_string(hide_password=True)}: "
                                  f"{str(exc).splitlines()[0]}") from None
    if found.state is SchemaState.empty:
        raise NoDatabase(f"{parsed.render_as_string(hide_password=True)} is not a governance database "
                         "(it has no tables); nothing was created")
    if found.state is not SchemaState.current:
        raise SchemaNotCurrent(f"the database schema is {found.state.value} (at {found.revision or 'release 0.1.0'},"
                               f" this release needs {found.head}): run `{UPGRADE_COMMAND}` first")
    return engine


def _create_in_database(url: str, role: str, name: str) -> dict[str, Any]:
    from governance.db import write_session
    from governance.registry.tokens import create_token

    engine = _existing_engine(url)
    try:
        with write_session(engine) as session:
            row, secret = create_token(session, role=role, name=name, actor="cli")
            return {"id": row.id, "name": row.name, "role": row.role, "prefix": row.prefix, "token": secret,
                    "created_in": "database"}
    finally:
        engine.dispose()


@token_app.command("create")
def token_create(
    role: str = typer.Option(..., help="viewer, editor or admin"),
    name: str = typer.Option("cli", help="A label to tell tokens apart"),
    database_url: str = DATABASE_OPTION,
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    url: str = URL_OPTION,
    token: str = TOKEN_OPTION,
) -> None:
    """Create an API token and print it once (stdout: the token alone).

    With --database-url (or GOVERNANCE_DATABASE_URL) it is written to that database, which must
    already exist: this is how the first admin token is made. Otherwise the server at --url
    creates it, which needs an admin --token. With neither, it refuses (exit 2) and creates nothing.

    JSON: `{"id", "name", "role", "prefix", "token", "created_in": "database" | "server"}`.
    """
    with handled(as_json):
        if database_url:
            created = _create_in_database(database_url, role, name)
        elif token:
            answer = Client(url, token).json("POST", "/api/v1/tokens", json={"role": role, "name": name})
            created = {key: answer.get(key) for key in ("id", "name", "role", "prefix", "token")}
            created["created_in"] = "server"
        else:
            raise NoTarget(
                "token create needs --database-url (or GOVERNANCE_DATABASE_URL) naming the server's database, "
                "or an admin --token (or GOVERNANCE_TOKEN) to ask the server at --url"
            )
    if as_json:
        print_json(created)
    else:
        out(created["token"])


@token_app.command("list")
def token_list(
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    url: str = URL_OPTION,
    token: str = TOKEN_OPTION,
) -> None:
    """List API tokens (prefixes only, never the secrets), revoked ones included; needs an admin token.

    JSON: `{"tokens": [{"id", "name", "role", "prefix", "created_at", "revoked_at"}]}`.
    """
    with handled(as_json):
        tokens = list(Client(url, token).pages("/api/v1/tokens"))
    if as_json:
        print_json({"tokens": tokens})
        return
    rows = [[t["id"], t["name"], t["role"], t["prefix"], when(t["created_at"]),
             "revoked " + when(t["revoked_at"]) if t.get("revoked_at") else "active"] for t in tokens]
    table(["id", "name", "role", "prefix", "created", "status"], rows)


@token_app.command("revoke")
def token_revoke(
    token_id: str = typer.Argument(..., help="The token's id (tok_..., from `token list`)"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    url: str = URL_OPTION,
    token: str = TOKEN_OPTION,
) -> None:
    """Revoke an API token: it stops working at once. Revoking a revoked token is not an error.

    JSON: `{"id", "revoked": true}`.
    """
    with handled(as_json):
        Client(url, token).request("DELETE", f"/api/v1/tokens/{quote(token_id, safe='')}")
    if as_json:
        print_json({"id": token_id, "revoked": True})
    else:
        out(f"revoked {token_id}")
