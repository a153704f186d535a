"""The quality scheduler (worker process only): APScheduler 3 jobs behind a leadership lock.

``run_scheduler(engine, settings, stop)`` loops: take the lock (``leader.leadership_for``), run
an APScheduler ``BackgroundScheduler`` while it is held, stop it when the lock is lost or
``stop`` is set; a standby retries every ``leader_retry_s``. The jobs are module-level
functions reading the injectable clock:

    job            every                        does
    check_cycle    scheduler_interval_s         ``cycle.run_cycle`` (slot = interval start)
    digest         hourly, and on taking lead   the daily digest when due (slot = its hour; retried
                                                hourly after a failure, within the catch-up window)
    housekeeping   hourly                       prunes old runs and sent notifications
    run_requests   scheduler_poll_s             "run now" requests (``cycle.run_requested``)
    dispatch       scheduler_poll_s             alert grouping and delivery (``dispatcher.dispatch``)

Slotted jobs insert ``(job, slot_time)`` into ``scheduler_runs`` before running (unique:
the backstop against two leaders) and record the end and outcome. Missed runs are caught up
once: ``coalesce=True`` with a ``misfire_grace_time`` of one period plus a minute, and every job also runs
when a scheduler takes the lead (a slot the previous leader already ran is skipped).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from governance.db import read_session, write_session, writer
from governance.quality.clock import SYSTEM_CLOCK, Clock, floor_time
from governance.quality.leader import Leadership, leadership_for
from governance.quality.tables import CheckRunRow, JobRunRow
from governance.settings import Settings, get_settings

log = logging.getLogger("governance.quality.scheduler")
HOUR = 3600
GRACE_S = 60  # a run late by up to one period + this is still made (once: coalesce)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def run_slot(engine: Engine, job: str, slot: datetime, worker: str, fn: Callable[[], Any],
             clock: Clock = SYSTEM_CLOCK) -> bool:  # fmt: skip
    """Claim ``(job, slot)`` and run ``fn``; ``False`` when the slot was already claimed."""
    try:
        with write_session(engine) as session:
            session.add(JobRunRow(job=job, slot_time=slot, worker=worker, started_at=clock.now()))
    except IntegrityError:
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


# -- jobs (module-level functions, as APScheduler wants them) ------------------------------------


def check_cycle_job(engine: Engine, settings: Settings, worker: str, clock: Clock = SYSTEM_CLOCK) -> None:
    from governance.quality.cycle import run_cycle

    now = clock.now()
    slot = floor_time(now, settings.scheduler_interval_s)

    def cycle() -> dict[str, Any]:
        report = run_cycle(engine, settings, now)
        return {"checks": report.checks, "errors": report.errors, "firing": report.firing,
                "fired": len(report.fired), "resolved": len(report.resolved)}  # fmt: skip

    run_slot(engine, "check_cycle", slot, worker, cycle, clock)


def digest_job(engine: Engine, settings: Settings, worker: str, clock: Clock = SYSTEM_CLOCK) -> None:
    from governance.alerts import digest

    now = clock.now()
    with read_session(engine) as session:
        config = digest.get_digest_settings(session, settings)
    slot = digest.due_slot(config, now)
    if slot is not None:
        with write_session(engine) as session:  # a failed digest is tried again next hour (within catch-up)
            failed = session.exec(select(JobRunRow).where(JobRunRow.job == "digest", JobRunRow.slot_time == slot,
                                                          JobRunRow.outcome == "error")).first()  # fmt: skip
            if failed is not None:
                log.info("retrying the digest of %s (%s)", slot.isoformat(), failed.error)
                session.delete(failed)
        to = digest.recipients(config)
        run_slot(engine, "digest", slot, worker, lambda: _digest_summary(digest.send_digest(engine, settings, to)),
                 clock)  # fmt: skip


def _digest_summary(sent: dict[str, Any]) -> dict[str, Any]:
    if not sent["sent"]:
        raise RuntimeError(sent["error"])
    return {"total_violations": sent["total_violations"], "recipients": sent["recipients"]}


def housekeeping_job(engine: Engine, settings: Settings, worker: str, clock: Clock = SYSTEM_CLOCK) -> None:
    now = clock.now()
    run_slot(engine, "housekeeping", floor_time(now, HOUR), worker, lambda: prune(engine, settings, now), clock)


def prune(engine: Engine, settings: Settings, now: datetime) -> dict[str, int]:
    """Delete check runs, scheduler runs and finished notifications older than the retention."""
    from governance.alerts.tables import NotificationRow

    cutoff = now - timedelta(days=settings.check_run_retention_days)
    runs, jobs = CheckRunRow.__table__, JobRunRow.__table__  # type: ignore[attr-defined]
    notes = NotificationRow.__table__  # type: ignore[attr-defined]
    with writer(engine).begin() as conn:
        return {
            "check_runs": conn.execute(delete(runs).where(runs.c.started_at < cutoff)).rowcount,
            "scheduler_runs": conn.execute(delete(jobs).where(jobs.c.slot_time < cutoff)).rowcount,
            "notifications": conn.execute(delete(notes).where(notes.c.created_at < cutoff,
                                                              notes.c.state != "pending")).rowcount,
        }  # fmt: skip


def run_requests_job(engine: Engine, settings: Settings, worker: str, clock: Clock = SYSTEM_CLOCK) -> None:
    from governance.quality.cycle import run_requested

    run_requested(engine, settings, clock.now())


def dispatch_job(engine: Engine, settings: Settings, worker: str, clock: Clock = SYSTEM_CLOCK) -> None:
    from governance.alerts.dispatcher import dispatch

    dispatch(engine, settings, clock.now())


# -- the scheduler and its leadership loop --------------------------------------------------------


def build_scheduler(engine: Engine, settings: Settings, worker: str,
                    clock: Clock = SYSTEM_CLOCK) -> BackgroundScheduler:  # fmt: skip
    """An APScheduler with every job; each also runs once right away (catch-up on taking the lead)."""
    scheduler = BackgroundScheduler(timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1})
    kwargs = {"engine": engine, "settings": settings, "worker": worker, "clock": clock}
    epoch = datetime(1970, 1, 1, tzinfo=UTC)  # interval triggers aligned to slot boundaries
    now = datetime.now(UTC)
    jobs: list[tuple[Callable[..., None], float]] = [
        (check_cycle_job, settings.scheduler_interval_s), (digest_job, HOUR), (housekeeping_job, HOUR),
        (run_requests_job, settings.scheduler_poll_s), (dispatch_job, settings.scheduler_poll_s),
    ]  # fmt: skip
    for fn, every in jobs:
        scheduler.add_job(fn, IntervalTrigger(seconds=every, start_date=epoch, timezone=UTC), kwargs=kwargs,
                          id=fn.__name__, name=fn.__name__, next_run_time=now,
                          misfire_grace_time=int(every) + GRACE_S)  # fmt: skip
    return scheduler


def run_scheduler(engine: Engine, settings: Settings, stop: threading.Event, *, clock: Clock = SYSTEM_CLOCK,
                  worker: str | None = None, leadership: Leadership | None = None) -> None:  # fmt: skip
    """Lead when the lock is free, stand by otherwise, until ``stop`` is set."""
    worker = worker or worker_id()
    leadership = leadership or leadership_for(engine, worker)
    log.info("scheduler %s standing by", worker)
    try:
        while not stop.is_set():
            try:
                leading = leadership.try_acquire()
            except Exception as exc:
                log.warning("leadership check failed: %s", exc)
                leading = False
            if not leading:
                stop.wait(settings.leader_retry_s)
                continue
            log.info("scheduler %s leads", worker)
            scheduler = build_scheduler(engine, settings, worker, clock)
            scheduler.start()
            try:
                while not stop.wait(settings.leader_retry_s):
                    if not leadership.still_held():
                        log.warning("scheduler %s lost the lead", worker)
                        break
            finally:
                scheduler.shutdown(wait=True)
                leadership.release()
    finally:
        leadership.release()  # a standby's lock connection, too
    log.info("scheduler %s stopped", worker)


def main() -> None:
    """``python -m governance.quality.scheduler``: a scheduler alone (settings from the environment)."""
    from governance.db import make_engine
    from governance.logs import configure_logging
    from governance.migrations import ensure_current

    settings = get_settings()
    configure_logging(settings.log_level)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    engine = make_engine(settings.database_url)
    ensure_current(engine)
    try:
        run_scheduler(engine, settings, stop)
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
