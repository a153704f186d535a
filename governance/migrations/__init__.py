"""Schema versions with Alembic: ``upgrade``, ``current``, and the start-up check.

A database is in one of these states:

    empty       no tables: created at head (``create_all`` + stamp, as Alembic's cookbook does;
                a test keeps the models and the revisions in agreement)
    legacy      tables of release 0.1.0, which had no version table: stamped at the baseline,
                then upgraded like any other
    behind      at an older revision: ``governance db upgrade`` brings it to head
    current     at head
    unknown     at a revision this release does not know (a newer release upgraded it)

``serve`` and ``worker`` create an empty database and refuse one that is behind or unknown, with
the command to run. Upgrades hold a lock (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on
PostgreSQL) so that two processes never migrate at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from governance.errors import SchemaNotCurrent

BASELINE = "0001_baseline"
LEGACY_TABLE = "plans"  # present in every database release 0.1.0 made
UPGRADE_COMMAND = "governance db upgrade"
_LOCK_KEY = 0x60E5C4E3A  # pg advisory lock for migrations


class SchemaState(StrEnum):
    empty = "empty"
    legacy = "legacy"
    behind = "behind"
    current = "current"
    unknown = "unknown"


@dataclass(frozen=True, kw_only=True)
class SchemaStatus:
    state: SchemaState
    revision: str | None  # what the database is at (None: empty or legacy)
    head: str  # what this release needs

    def to_dict(self) -> dict[str, str | None]:
        return {"state": self.state.value, "revision": self.revision, "head": self.head}


def config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent))
    return cfg


@lru_cache(maxsize=1)
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(config())


def head() -> str:
    found = _scripts().get_current_head()
    assert found is not None, "no migration revisions"
    return found


def _known(revision: str) -> bool:
    return any(r.revision == revision for r in _scripts().walk_revisions())


def _status(conn: Connection) -> SchemaStatus:
    target = head()
    revision = MigrationContext.configure(conn).get_current_revision()
    if revision is None:
        tables = set(inspect(conn).get_table_names())
        state = SchemaState.legacy if LEGACY_TABLE in tables else SchemaState.empty
        return SchemaStatus(state=state, revision=None, head=target)
    if revision == target:
        return SchemaStatus(state=SchemaState.current, revision=revision, head=target)
    state = SchemaState.behind if _known(revision) else SchemaState.unknown
    return SchemaStatus(state=state, revision=revision, head=target)


def status(engine: Engine) -> SchemaStatus:
    with engine.connect() as conn:
        return _status(conn)


@contextmanager
def _locked(engine: Engine) -> Iterator[Connection]:
    """One connection holding the migration lock, in a transaction committed at the end."""
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:  # batch mode copies tables; foreign keys are checked once, at the end
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
        try:
            with conn.begin():
                if not sqlite:
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
                yield conn
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise SchemaNotCurrent(f"the upgrade would break {len(broken)} foreign keys; nothing changed")
        finally:
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def upgrade(engine: Engine) -> tuple[SchemaStatus, SchemaStatus]:
    """Bring the database to head; idempotent. Returns the status before and after."""
    from governance.migrations.models import metadata

    with _locked(engine) as conn:
        before = _status(conn)
        cfg = config()
        cfg.attributes["connection"] = conn
        if before.state is SchemaState.unknown:
            raise SchemaNotCurrent(
                f"the database is at revision {before.revision}, which this release does not know "
                f"(its head is {before.head}); a newer release upgraded it")
        if before.state is SchemaState.empty:
            metadata().create_all(conn)
            command.stamp(cfg, "head")
        elif before.state is not SchemaState.current:
            if before.state is SchemaState.legacy:
                command.stamp(cfg, BASELINE)
            command.upgrade(cfg, "head")
        after = _status(conn)
    return before, after


def ensure_current(engine: Engine) -> SchemaStatus:
    """The start-up check of ``serve`` and ``worker``: create an empty database, refuse an old one."""
    found = status(engine)
    if found.state is SchemaState.current:
        return found
    if found.state is SchemaState.empty:
        return upgrade(engine)[1]
    if found.state is SchemaState.unknown:
        raise SchemaNotCurrent(
            f"the database is at revision {found.revision}, which this release does not know (it needs "
            f"{found.head}); run the release that upgraded it")
    at = found.revision or "release 0.1.0 (no version table)"
    raise SchemaNotCurrent(
        f"the database schema is behind: it is at {at}, this release needs {found.head}. "
        f"Back it up, then run `{UPGRADE_COMMAND}` (docs/operations/upgrading.md)")
