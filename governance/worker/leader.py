"""Scheduler leadership: exactly one worker runs the jobs; the others wait and take over.

    SQLite       an exclusive ``fcntl.flock`` on ``<database>.scheduler.lock`` beside the database
    PostgreSQL   ``pg_try_advisory_lock`` held by a dedicated connection (session-level lock)

Both locks belong to the process holding them: when it dies (even ``kill -9``) the kernel
closes the file or the socket and the lock is free at once, so a standby that retries every
``leader_retry_s`` takes over within about that long. A leader that loses its PostgreSQL
connection loses the lock with it; ``still_held`` notices and the scheduler stops (the unique
``(job, slot_time)`` row is the backstop for the moment in between).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine

from governance.db import is_sqlite

log = logging.getLogger("governance.worker.leader")
LOCK_NAME = b"governance.scheduler"
ADVISORY_KEY = int.from_bytes(hashlib.sha256(LOCK_NAME).digest()[:8], "big", signed=True)


class Leadership(Protocol):
    def try_acquire(self) -> bool: ...

    def still_held(self) -> bool: ...

    def release(self) -> None: ...


class FileLeadership:
    """An exclusive, non-blocking ``flock`` (separate opens conflict, even within one process)."""

    def __init__(self, path: str | Path, identity: str = "") -> None:
        self.path = Path(path)
        self.identity = identity
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{self.identity or os.getpid()}\n".encode())
        self._fd = fd
        return True

    def still_held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = None


class AdvisoryLeadership:
    """A session-level PostgreSQL advisory lock on a connection of its own (not from the pool).

    A standby keeps its connection and retries the lock on it (no reconnect per attempt).
    """

    def __init__(self, conninfo: str, key: int = ADVISORY_KEY) -> None:
        self.conninfo = conninfo
        self.key = key
        self._conn: Any = None
        self._held = False

    def try_acquire(self) -> bool:
        if self._held:
            return self.still_held()
        import psycopg

        try:
            if self._conn is None:
                self._conn = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5, keepalives=1,
                                             keepalives_idle=10, keepalives_interval=5, keepalives_count=3,
                                             application_name="governance-scheduler")
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
        except psycopg.Error as exc:
            log.warning("cannot take the scheduler lock: %s", exc)
            self._close()
            return False
        self._held = bool(row and row[0])
        return self._held

    def still_held(self) -> bool:
        if not self._held or self._conn is None:
            return False
        try:
            self._conn.execute("SELECT 1")
        except Exception as exc:
            log.warning("lost the scheduler lock connection: %s", exc)
            self._close()
            return False
        return True

    def release(self) -> None:
        if self._conn is not None and self._held:
            try:
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
            except Exception as exc:  # the lock goes with the session anyway
                log.debug("unlock failed: %s", exc)
        self._close()

    def _close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception as exc:
                log.debug("close failed: %s", exc)
        self._conn, self._held = None, False


def lock_path(engine: Engine) -> Path:
    """The lock file beside a SQLite database (a temp file for an in-memory one)."""
    database = engine.url.database
    if not database or database == ":memory:":
        return Path(tempfile.gettempdir()) / f"governance-memory-{os.getpid()}.scheduler.lock"
    return Path(f"{database}.scheduler.lock")


def leadership_for(engine: Engine, identity: str = "") -> Leadership:
    if is_sqlite(engine):
        return FileLeadership(lock_path(engine), identity)
    url = engine.url.set(drivername="postgresql")
    return AdvisoryLeadership(url.render_as_string(hide_password=False))
