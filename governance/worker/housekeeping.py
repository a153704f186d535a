"""Housekeeping: what the worker deletes, and how often.

    forget_expired   every worker, every ``EXPIRY_EVERY_S`` (from the forwarder loop)
                     messageIds older than the dedupe window, ``PRUNE_CHUNK`` keys per
                     transaction for at most ``PRUNE_BUDGET_S`` a call (the rest next time);
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
from governance.proxy.tables import EventSampleRow
from governance.quality.tables import CheckRunRow
from governance.settings import Settings
from governance.worker.tables import JobRunRow

EXPIRY_EVERY_S = 60.0
PRUNE_CHUNK = 2000  # dedupe keys deleted per transaction: each is one short turn of SQLite's write lock
PRUNE_BUDGET_S = 2.0  # longest one call prunes; what is left waits for the next call (``more``)
# one chunk of expired keys, found through ix_dedupe_keys_seen; the key list keeps the DELETE on the primary key
PRUNE_SQL = ("DELETE FROM dedupe_keys WHERE key IN "
             "(SELECT key FROM dedupe_keys WHERE seen_s <= :cutoff LIMIT :chunk)")


def forget_expired(engine: Engine, settings: Settings, now: datetime, *,
                   budget_s: float = PRUNE_BUDGET_S) -> dict[str, int]:
    """Forget messageIds older than the dedupe window and event samples past their retention.

    Keys go in chunks of ``PRUNE_CHUNK``, each in its own transaction, so the group commits take
    their turns between two chunks (on SQLite a delete holds the one write lock: 100,000 keys in
    one statement held it for ~1 s). Returns the rows each table lost, and ``more`` (1) when the
    budget ran out before the expired keys did."""
    cutoff = int(now.timestamp()) - settings.dedupe_window_s
    deadline = time.monotonic() + budget_s
    out = {"dedupe": 0, "event_samples": 0, "more": 0}
    while True:
        with writer(engine).begin() as conn:
            gone = conn.execute(text(PRUNE_SQL), {"cutoff": cutoff, "chunk": PRUNE_CHUNK}).rowcount
        out["dedupe"] += gone
        if gone < PRUNE_CHUNK:
            break
        if time.monotonic() > deadline:
            out["more"] = 1
            break
    samples = EventSampleRow.__table__  # type: ignore[attr-defined]
    received_before = now - timedelta(days=settings.sample_retention_days)
    with writer(engine).begin() as conn:
        out["event_samples"] = conn.execute(delete(samples).where(samples.c.received_at < received_before)).rowcount
    return out


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
