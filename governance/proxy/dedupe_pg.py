"""The dedupe levels' upkeep on PostgreSQL: what ``dedupe_l0`` holds, and its dead rows.

Every key enters ``dedupe_l0`` and leaves it within a few group commits, and a ``DELETE`` leaves a
dead row: at a few thousand events/s, a table of 4,096 live keys carries a minute's worth of dead
ones between two visits of autovacuum (``autovacuum_naptime``, one minute by default, which no
table setting shortens), 200,000 rows and 23 MB measured (docs/operations/capacity.md, phase 8).
Two things follow:

- ``FirstLevel``: a web process does not count ``dedupe_l0`` before every roll (a scan of all those
  pages: 16-31 ms measured, after every group commit). It counts it every ``RECOUNT_S`` and in
  between adds the keys its own claims recorded and subtracts those its rolls moved. Another
  process's keys show up at the next count; the count only decides when to roll, so a level runs
  over or under its target by a few seconds of keys. It rolls once ``dedupe_l0`` is ``ROLL_BATCH``
  keys over its target, not after every group commit (a roll is a transaction of nine statements).
- ``Vacuum``: a thread of the web process runs ``VACUUM (SKIP_LOCKED, TRUNCATE false)`` on
  ``dedupe_l0`` every ``VACUUM_EVERY_S`` and on ``dedupe_l1`` every ``VACUUM_L1_EVERY_S`` (a vacuum
  waits for no claim, a process whose neighbour is vacuuming the table skips it, and it does not
  take the table's ACCESS EXCLUSIVE lock to give its last pages back: revision 0012 sets the same
  for autovacuum), so their dead rows are a few seconds' worth.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sqlalchemy import Engine

from governance.proxy import dedupe
from governance.proxy.hotsql import HotSQL

log = logging.getLogger("governance.proxy.dedupe_pg")
RECOUNT_S = 10.0  # dedupe_l0 counted this often at most by each web process
VACUUM_EVERY_S = 5.0  # dedupe_l0 vacuumed this often by each web process (another's vacuum: skipped)
VACUUM_L1_EVERY_S = 30.0  # dedupe_l1 (131,072 keys) this often
# keys past dedupe_l0's target, as this process knows them, before it rolls: one roll transaction
# (nine statements) per ROLL_BATCH keys instead of one per group commit
ROLL_BATCH = 4096


class FirstLevel:
    """This process's estimate of the keys ``dedupe_l0`` holds (PostgreSQL)."""

    def __init__(self) -> None:
        self.keys: int | None = None
        self._counted = 0.0

    def added(self, keys: int) -> None:
        """Keys this process's committed claim recorded in ``dedupe_l0``."""
        if self.keys is not None:
            self.keys += keys

    def due(self) -> bool:
        """Whether a roll is worth a transaction: ``dedupe_l0`` is over its target by ``ROLL_BATCH``
        as far as this process knows, or the last count is older than ``RECOUNT_S`` (or there was
        none). Only a roll of ``dedupe_l0`` gives the deeper levels keys, so they wait with it."""
        if self.keys is None or time.monotonic() - self._counted >= RECOUNT_S:
            return True
        return self.keys > dedupe.TARGETS[0] + ROLL_BATCH

    def estimate(self, cursor: Any) -> int:
        """The keys to roll by: counted when the last count is older than ``RECOUNT_S`` (call it
        holding the roll's lock, so a process that does not roll does not count)."""
        if self.keys is None or time.monotonic() - self._counted >= RECOUNT_S:
            self.keys, self._counted = dedupe.first_level_keys(cursor), time.monotonic()
        return self.keys

    def moved(self, keys: int) -> None:
        """Keys a committed roll took out of ``dedupe_l0``."""
        if self.keys is not None:
            self.keys = max(0, self.keys - keys)


class Vacuum:
    """``VACUUM (SKIP_LOCKED, TRUNCATE false)`` of the first levels from a thread of its own, until ``close``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dedupe-vacuum", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        last_l1 = time.monotonic()
        while not self._stop.wait(VACUUM_EVERY_S):
            tables = ["dedupe_l0"]
            if time.monotonic() - last_l1 >= VACUUM_L1_EVERY_S:
                tables.append("dedupe_l1")
                last_l1 = time.monotonic()
            try:
                with self.engine.connect() as conn:
                    for table in tables:  # table names are constants
                        conn.exec_driver_sql(f"VACUUM (SKIP_LOCKED, TRUNCATE false) {table}")
                self.runs += 1
            except Exception as exc:  # the next turn tries again; ingest does not depend on it
                log.warning("the dedupe levels were not vacuumed: %s", exc)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def roll_after_commit(engine: Engine, sql: HotSQL, first_level: FirstLevel, *, cutoff_s: int) -> dict[int, int]:
    """The roll after a group commit, in a transaction of its own with ``synchronous_commit`` off (a
    roll only moves keys between levels: one that a crash loses leaves them where they were, and the
    group commit does not wait for a second WAL flush; the events' own commit stays synchronous),
    by the process that gets the roll's advisory lock, when ``first_level`` says one is due; the
    keys taken from each level."""
    if not first_level.due():
        return {}
    with engine.begin() as conn:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute("SET LOCAL synchronous_commit TO off")
            if not dedupe.roll_lock(cursor):
                return {}
            taken = dedupe.roll(cursor, sql, cutoff_s=cutoff_s, first_keys=first_level.estimate(cursor))
        finally:
            cursor.close()
    first_level.moved(taken.get(0, 0))
    return taken
