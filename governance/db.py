"""Engine and sessions for SQLite (embedded default, WAL, ``synchronous=FULL``) and PostgreSQL.

Write transactions on SQLite start with ``BEGIN IMMEDIATE`` so two writers serialise at the start
of the transaction instead of failing at commit; reads stay deferred. On a database file, a write
transaction first takes its turn in ``writelock``'s queue (fair across threads and processes,
woken rather than polling) and gives it back after its COMMIT or ROLLBACK. On PostgreSQL, writers
lock the rows they change (``SELECT ... FOR UPDATE``) in the repository.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy.exc
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from governance import writelock


class QueuedConnection(sqlite3.Connection):
    """A SQLite connection that gives its turn in the write queue back once its transaction ends."""

    database: str | None = None  # the file whose write queue this connection takes turns in
    write_queue: writelock.WriteQueue | None = None  # opened on the first write transaction
    holds_turn = False

    def _end_turn(self) -> None:
        if self.holds_turn:
            self.holds_turn = False
            assert self.write_queue is not None
            self.write_queue.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            if not self.in_transaction:
                self._end_turn()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._end_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._end_turn()


def normalise_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


SYNCHRONOUS = ("FULL", "NORMAL")


def make_engine(url: str, *, pool_size: int = 10, synchronous: str = "FULL",
                lock_timeout_s: float | None = None) -> Engine:
    """An engine for ``url``. On SQLite, ``synchronous`` is the commit durability (FULL: a commit
    survives power loss; NORMAL: it survives a process crash, see docs/operations/durability.md).
    ``lock_timeout_s`` is how long a statement waits for a lock before it fails: SQLite's busy
    timeout (30 s when None), PostgreSQL's ``lock_timeout`` (none when None)."""
    if synchronous not in SYNCHRONOUS:
        raise ValueError(f"synchronous must be one of {SYNCHRONOUS}")
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        lock_timeout_s = 30.0 if lock_timeout_s is None else lock_timeout_s
        database = parsed.database
        on_file = bool(database) and database != ":memory:" and not str(database).startswith("file:")
        if on_file:
            Path(str(database)).parent.mkdir(parents=True, exist_ok=True)
        connect_args: dict[str, Any] = {"check_same_thread": False, "timeout": lock_timeout_s}
        if on_file:
            connect_args["factory"] = QueuedConnection
        engine = create_engine(
            url,
            connect_args=connect_args,
            poolclass=NullPool if database in (None, "", ":memory:") else None,
        )
        _configure_sqlite(engine, synchronous, lock_timeout_s, str(database) if on_file else None)
        return engine
    # jit off: the checks' reads (hourly history, the hour shapes' 20 minute ranges) are estimated costly
    # enough for PostgreSQL to JIT-compile them, which took 8 s of a 12 s read (the query itself: under 1 s)
    options = "-c jit=off" + ("" if lock_timeout_s is None else f" -c lock_timeout={int(lock_timeout_s * 1000)}")
    connect_args = {"options": options}
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True,
                         connect_args=connect_args)


def _configure_sqlite(engine: Engine, synchronous: str, lock_timeout_s: float, database: str | None) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        if isinstance(dbapi_connection, QueuedConnection):
            dbapi_connection.database = database
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")  # one of SYNCHRONOUS, checked above
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(lock_timeout_s * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode == "DEFERRED":
            conn.exec_driver_sql("BEGIN DEFERRED")
            return
        _begin_writing(conn, mode, lock_timeout_s)


def _begin_writing(conn: Any, mode: str, timeout_s: float) -> None:
    """``BEGIN IMMEDIATE`` (or EXCLUSIVE) after taking this transaction's turn in the write queue;
    a turn that does not come within ``timeout_s`` fails as SQLite's own busy timeout does, and
    the time the turn took comes off the busy timeout of the BEGIN (a writer outside the queue may
    still hold SQLite's lock), so the whole wait stays within ``timeout_s``."""
    dbapi = conn.connection.driver_connection
    if getattr(dbapi, "database", None) is None or dbapi.holds_turn:
        conn.exec_driver_sql(f"BEGIN {mode}")
        return
    if dbapi.write_queue is None:  # the sidecar files are made by the first writer, not by a reader
        dbapi.write_queue = writelock.for_database(dbapi.database)
    queue = dbapi.write_queue
    started = time.monotonic()
    if not queue.acquire(timeout_s):
        raise sqlalchemy.exc.OperationalError(
            f"BEGIN {mode}", None,
            sqlite3.OperationalError(f"database is locked (no turn in the write queue within {timeout_s:g} s)"))
    dbapi.holds_turn = True
    waited = time.monotonic() - started
    try:
        if waited > 0.001:
            dbapi.execute(f"PRAGMA busy_timeout={max(1, int((timeout_s - waited) * 1000))}")
        try:
            conn.exec_driver_sql(f"BEGIN {mode}")
        finally:
            if waited > 0.001:
                dbapi.execute(f"PRAGMA busy_timeout={int(timeout_s * 1000)}")
    except BaseException:
        dbapi._end_turn()
        raise


def writer(engine: Engine) -> Engine:
    """The same engine, but transactions that take the write lock up front on SQLite."""
    return engine.execution_options(sqlite_begin="IMMEDIATE") if is_sqlite(engine) else engine


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One write transaction: committed when the block ends, rolled back on error."""
    with Session(writer(engine), expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session
