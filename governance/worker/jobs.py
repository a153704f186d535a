"""The scheduler's jobs, and the slot each one claims before it runs.

    job            every                        does
    check_cycle    scheduler_fast_interval_s    ``check_cycle``: ``quality.cycle.run_cycle``, its transitions
                                                handed to ``alerts.lifecycle.apply``: every check once per
                                                ``scheduler_interval_s`` (slot ``check_cycle``), the fast
                                                kinds in between (slot ``fast_checks``); a full
                                                cycle first rolls the closed hours of the minute
                                                counters up (``quality.rollup``)
    digest         hourly, and on taking lead   the daily digest when due (slot = its hour; retried
                                                hourly after a failure, within the catch-up window)
    housekeeping   hourly                       ``housekeeping.prune_history``
    run_requests   scheduler_poll_s             "run now" requests (``quality.cycle.run_requested``)
    dispatch       scheduler_poll_s             alert grouping and delivery (``alerts.dispatcher``)

Slotted jobs insert ``(job, slot_time)`` into ``scheduler_runs`` before running (unique: the
backstop against two leaders; ``ON CONFLICT DO NOTHING``, so a slot taken is no database error)
and record the end and outcome. The jobs are module-level
functions reading the injectable clock, as APScheduler wants them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import select

from governance.alerts import lifecycle
from governance.clock import SYSTEM_CLOCK, Clock, floor_time
from governance.db import read_session, write_session
from governance.quality import rollup
from governance.quality.cycle import CycleReport, run_cycle, run_requested
from governance.settings import Settings
from governance.worker.housekeeping import prune_history
from governance.worker.tables import JobRunRow
from governance.worker.teaching import close_expected_periods

log = logging.getLogger("governance.worker.jobs")
HOUR = 3600
Job = Callable[..., None]
_runs = JobRunRow.__table__  # type: ignore[attr-defined]


def run_slot(engine: Engine, job: str, slot: datetime, worker: str, fn: Callable[[], Any],
             clock: Clock = SYSTEM_CLOCK) -> bool:
    """Claim ``(job, slot)`` and run ``fn``; ``False`` when the slot was already claimed."""
    if not claim_slot(engine, job, slot, worker, clock.now()):
        log.debug("%s slot %s already ran; skipped", job, slot.isoformat())
        return False
    outcome, error, details = "ok", None, None
    try:
        details = fn()
    except Exception as exc:
        log.exception("job %s failed", job)
        outcome, error = "error", f"{type(exc).__name__}: {exc}"
    with write_session(engine) as session:
        row = session.exec(select(JobRunRow).where(JobRunRow.job == job, JobRunRow.slot_time == slot)).one()
        row.finished_at, row.outcome, row.error = clock.now(), outcome, error
        row.details = orjson.dumps(details or {}, default=str).decode()
        session.add(row)
    return True


def claim_slot(engine: Engine, job: str, slot: datetime, worker: str, started_at: datetime) -> bool:
    """Insert the ``(job, slot)`` row unless it exists; whether this call inserted it.

    ``INSERT ... ON CONFLICT DO NOTHING RETURNING id`` (SQLite and PostgreSQL alike): a slot already
    claimed is an expected answer (each fast cycle, every 15 s, tries the full cycle's slot first; two
    schedulers may race for one), not a failed statement, so it leaves no ``ERROR`` in
    PostgreSQL's log, on which operators alert. Two claimants at once: the second waits for the
    first's row, then inserts nothing."""
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    values = {"job": job, "slot_time": slot, "worker": worker, "started_at": started_at, "outcome": "running",
              "details": "{}"}
    claim = insert(_runs).values(**values).on_conflict_do_nothing(index_elements=["job", "slot_time"])
    with write_session(engine) as session:
        return session.execute(claim.returning(_runs.c.id)).first() is not None


def check_cycle(engine: Engine, settings: Settings, now: datetime, *, fast_only: bool = False) -> CycleReport:
    """One scheduled check cycle at ``now`` (``fast_only``: the fast kinds alone), its transitions
    handed to ``alerts.lifecycle``."""
    return run_cycle(engine, settings, now, hand_off=lifecycle.apply, fast=True if fast_only else None)


def check_cycle_job(engine: Engine, settings: Settings, worker: str, clock: Clock = SYSTEM_CLOCK) -> None:
    """Every fast interval: the full cycle when its slot (``scheduler_interval_s``) is still unclaimed,
    else the fast kinds alone (slot ``fast_checks``). Both slots are aligned to the clock."""
    now = clock.now()

    def cycle(fast_only: bool) -> Callable[[], dict[str, Any]]:
        def run() -> dict[str, Any]:
            rolled = None if fast_only else rollup.roll_up(engine, now)  # closed hours, before they are read
            report = check_cycle(engine, settings, now, fast_only=fast_only)
            closed = 0 if fast_only else close_expected_periods(engine, now)  # their alerts resolved
            return {"checks": report.checks, "errors": report.errors, "firing": report.firing,
                    "fired": len(report.fired), "resolved": len(report.resolved),
                    "expected_closed": closed, "rolled_up_hours": rolled["hours"] if rolled else 0}

        return run

    if run_slot(engine, "check_cycle", floor_time(now, settings.scheduler_interval_s), worker, cycle(False), clock):
        return
    if settings.fast_interval_s < settings.scheduler_interval_s:
        run_slot(engine, "fast_checks", floor_time(now, settings.fast_interval_s), worker, cycle(True), clock)


def digest_job(engine: Engine, settings: Settings, worker: str, clock: Clock = SYSTEM_CLOCK) -> None:
    from governance.alerts import digest

    now = clock.now()
    with read_session(engine) as session:
        config = digest.get_digest_settings(session, settings)
    slot = digest.due_slot(config, now)
    if slot is not None:
        with write_session(engine) as session:  # a failed digest is tried again next hour (within catch-up)
            failed = session.exec(select(JobRunRow).where(JobRunRow.job == "digest", JobRunRow.slot_time == slot,
                                                          JobRunRow.outcome == "error")).first()
            if failed is not None:
                log.info("retrying the digest of %s (%s)", slot.isoformat(), failed.error)
                session.delete(failed)
        to = digest.recipients(config)
        run_slot(engine, "digest", slot, worker, lambda: _digest_summary(digest.send_digest(engine, settings, to)),
                 clock)


def _digest_summary(sent: dict[str, Any]) -> dict[str, Any]:
    if not sent["sent"]:
        raise RuntimeError(sent["error"])
    return {"total_violations": sent["total_violations"], "recipients": sent["recipients"]}


def housekeeping_job(engine: Engine, settings: Settings, worker: str, clock: Clock = SYSTEM_CLOCK) -> None:
    now = clock.now()
    run_slot(engine, "housekeeping", floor_time(now, HOUR), worker, lambda: prune_history(engine, settings, now),
             clock)


def run_requests_job(engine: Engine, settings: Settings, worker: str, clock: Clock = SYSTEM_CLOCK) -> None:
    run_requested(engine, settings, clock.now())


def dispatch_job(engine: Engine, settings: Settings, worker: str, clock: Clock = SYSTEM_CLOCK) -> None:
    from governance.alerts.dispatcher import dispatch

    dispatch(engine, settings, clock.now())


def schedule(settings: Settings) -> list[tuple[Job, float]]:
    """Every job with its period in seconds."""
    return [
        (check_cycle_job, settings.fast_interval_s), (digest_job, HOUR), (housekeeping_job, HOUR),
        (run_requests_job, settings.scheduler_poll_s), (dispatch_job, settings.scheduler_poll_s),
    ]
