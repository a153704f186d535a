"""Housekeeping: what the worker deletes, and how often.

    forget_expired   every worker, every ``EXPIRY_EVERY_S`` (from the forwarder loop)
                     messageIds older than the dedupe window: every level of the window read
                     in key order, ``SWEEP_ROWS`` keys at a time outside any write transaction,
                     the expired ones deleted ``PRUNE_CHUNK`` per transaction, for at most
                     ``PRUNE_BUDGET_S`` a call (the sweep carries on from there next time);
                     event samples past their retention
    prune_history    the leading scheduler, hourly (the ``housekeeping`` job)
                     check runs and scheduler runs older than ``check_run_retention_days``;
                     finished (not pending) notifications older than that; silences that
                     ended more than ``silence_retention_days`` ago

Both are plain functions of an injected ``now`` and return how many rows each table lost.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, text

from governance.alerts import silences
from governance.alerts.tables import NotificationRow
from governance.db import write_session, writer
from governance.proxy.dedupe import LEVELS
from governance.proxy.hotsql import DEDUPE_TABLES, HotSQL
from governance.proxy.tables import EventSampleRow
from governance.quality.tables import CheckRunRow
from governance.settings import Settings
from governance.worker.tables import JobRunRow

EXPIRY_EVERY_S = 60.0
PRUNE_CHUNK = 2000  # dedupe keys deleted per transaction: each is one short turn of SQLite's write lock
PRUNE_BUDGET_S = 2.0  # longest one call prunes; what is left waits for the next call (``more``)
SWEEP_ROWS = 20_000  # keys of a level read (in key order, no write lock) per step of the sweep
SWEEP_EVERY_S = 900.0  # a sweep through the whole window starts at most this often (a key expires this late at most)
_swept: dict[tuple[str, str], bytes] = {}  # (database, level) -> the last key the sweep read there
_passed: dict[str, float] = {}  # database -> when its last sweep through every level ended (time.monotonic)


def forget_expired(engine: Engine, settings: Settings, now: datetime, *,
                   budget_s: float = PRUNE_BUDGET_S) -> dict[str, int]:
    """Forget messageIds older than the dedupe window and event samples past their retention.

    No level of the window has an index on its second (revision 0011): the sweep reads each level in
    key order from where it stopped, ``SWEEP_ROWS`` keys a read (a reader waits for no writer), and
    deletes the expired ones among them in chunks of ``PRUNE_CHUNK`` keys, each in its own
    transaction, so the group commits take their turns between two chunks; a chunk's keys are
    neighbours, so it rewrites a few leaves. A key seen again meanwhile is kept (the delete checks
    its second again). Only the expired keys come back to Python. A sweep through every level starts
    at most every ``SWEEP_EVERY_S`` (reading the window cost 0.6 µs of CPU a key, 0.6 s for a million
    with none expired: at 300 million keys, 3 minutes), so a key is forgotten up to that much after
    it expired. Returns the rows each table lost, and ``more`` (1) when the budget ran out before the sweep had been
    through every level."""
    cutoff = int(now.timestamp()) - settings.dedupe_window_s
    deadline = time.monotonic() + budget_s
    out = {"dedupe": 0, "event_samples": 0, "more": 0}
    database = engine.url.render_as_string()
    if time.monotonic() - _passed.get(database, -SWEEP_EVERY_S) >= SWEEP_EVERY_S:
        for level, table in enumerate(DEDUPE_TABLES):
            done, gone = _sweep(engine, level, table, cutoff, deadline)
            out["dedupe"] += gone
            if not done:
                out["more"] = 1
                break
        else:
            _passed[database] = time.monotonic()
    samples = EventSampleRow.__table__  # type: ignore[attr-defined]
    received_before = now - timedelta(days=settings.sample_retention_days)
    with writer(engine).begin() as conn:
        out["event_samples"] = conn.execute(delete(samples).where(samples.c.received_at < received_before)).rowcount
    return out


def _sweep(engine: Engine, level: int, table: str, cutoff: int, deadline: float) -> tuple[bool, int]:
    """Sweep one level of the window to its end (True) or until ``deadline``; the keys deleted."""
    sql, place = HotSQL(engine.dialect.name), (engine.url.render_as_string(), table)
    after, gone = _swept.pop(place, b""), 0
    while True:
        with engine.connect() as conn:
            ended, read = conn.exec_driver_sql(sql.sweep_end(table), (after, SWEEP_ROWS)).first() or (None, 0)
            expired = [(bytes(k), cutoff) for (k,) in conn.exec_driver_sql(sql.sweep_expired(table),
                                                                             (after, SWEEP_ROWS, cutoff))]
        for start in range(0, len(expired), PRUNE_CHUNK):
            with writer(engine).begin() as conn:
                conn.exec_driver_sql(sql.level_forget(table), expired[start : start + PRUNE_CHUNK])
            gone += min(PRUNE_CHUNK, len(expired) - start)
        if expired and level < LEVELS:  # the roll's estimate of the level's keys
            with writer(engine).begin() as conn:
                conn.execute(text("UPDATE dedupe_levels SET keys = CASE WHEN keys > :n THEN keys - :n ELSE 0 END "
                                  "WHERE level = :level"), {"n": len(expired), "level": level})
        if read < SWEEP_ROWS:
            return True, gone
        after = bytes(ended or b"")
        if time.monotonic() > deadline:
            _swept[place] = after
            return False, gone


def prune_history(engine: Engine, settings: Settings, now: datetime) -> dict[str, int]:
    """Delete check runs, scheduler runs and finished notifications older than the retention, and the
    silences past theirs."""
    cutoff = now - timedelta(days=settings.check_run_retention_days)
    runs, jobs = CheckRunRow.__table__, JobRunRow.__table__  # type: ignore[attr-defined]
    notes = NotificationRow.__table__  # type: ignore[attr-defined]
    with write_session(engine) as session:
        pruned = silences.prune(session, now, timedelta(days=settings.silence_retention_days))
    with writer(engine).begin() as conn:
        return {
            "silences": pruned,
            "check_runs": conn.execute(delete(runs).where(runs.c.started_at < cutoff)).rowcount,
            "scheduler_runs": conn.execute(delete(jobs).where(jobs.c.slot_time < cutoff)).rowcount,
            "notifications": conn.execute(delete(notes).where(notes.c.created_at < cutoff,
                                                              notes.c.state != "pending")).rowcount,
        }
