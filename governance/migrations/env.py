"""The Alembic environment: run by ``governance db upgrade`` (and ``alembic`` in a checkout).

The connection comes from ``config.attributes["connection"]`` when the service runs migrations
itself, else from ``GOVERNANCE_DATABASE_URL``. SQLite runs in batch mode (``render_as_batch``),
because it cannot ``ALTER`` most of a table in place.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection, String, TypeDecorator

from governance.migrations.models import metadata

config = context.config


def render_item(kind: str, obj: Any, autogen: Any) -> str | Literal[False]:
    """Revisions spell plain SQLAlchemy types, so they never import the models' modules."""
    if kind != "type":
        return False
    impl = obj.impl if isinstance(obj, TypeDecorator) else obj
    if impl is not obj and hasattr(impl, "timezone"):  # the models' UTC datetime column type
        return f"sa.DateTime(timezone={impl.timezone!r})"
    if impl is not obj and isinstance(impl, String):  # SQLModel's AutoString
        return f"sa.String(length={impl.length!r})" if impl.length else "sa.String()"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata(),
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from governance.db import make_engine
    from governance.settings import Settings

    engine = make_engine(config.get_main_option("sqlalchemy.url") or Settings().database_url)
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run `governance db upgrade`")
run()
