"""Housekeeping: what the worker deletes, and how often.

    forget_expired   every worker, every ``EXPIRY_EVERY_S`` (from the forwarder loop)
                     messageIds older than the dedupe window; event samples past their retention
    prune_history    the leading scheduler, hourly (the ``housekeeping`` job)
                     check runs and scheduler runs older than ``check_run_retention_days``;
                     finished (not pending) notifications older than that; silences that
                     ended more than ``silence_retention_days`` ago

Both are plain functions of an injected ``now`` and return how many rows each table lost.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, delete

from governance.alerts import silences
from governance.alerts.tables import NotificationRow
from governance.db import write_session, writer
from governance.proxy.tables import DedupeRow, EventSampleRow
from governance.quality.tables import CheckRunRow
from governance.settings import Settings
from governance.worker.tables import JobRunRow

EXPIRY_EVERY_S = 60.0


def forget_expired(engine: Engine, settings: Settings, now: datetime) -> dict[str, int]:
    """Forget messageIds older than the dedupe window and event samples past their retention."""
    dedupe = DedupeRow.__table__  # type: ignore[attr-defined]
    samples = EventSampleRow.__table__  # type: ignore[attr-defined]
    seen_before = now - timedelta(seconds=settings.dedupe_window_s)
    received_before = now - timedelta(days=settings.sample_retention_days)
    with writer(engine).begin() as conn:
        return {
            "dedupe": conn.execute(delete(dedupe).where(dedupe.c.seen_at < seen_before)).rowcount,
            "event_samples": conn.execute(delete(samples).where(samples.c.received_at < received_before)).rowcount,
        }


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
