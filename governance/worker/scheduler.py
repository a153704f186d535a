"""The scheduler host (worker process only): APScheduler 3 jobs behind a leadership lock.

``run_scheduler(engine, settings, stop)`` loops: take the lock (``leader.leadership_for``), run
an APScheduler ``BackgroundScheduler`` with the jobs of ``jobs.schedule`` while it is held, stop
it when the lock is lost or ``stop`` is set; a standby retries every ``leader_retry_s``.

Missed runs are caught up once: ``coalesce=True`` with a ``misfire_grace_time`` of one period
plus a minute, and every job also runs when a scheduler takes the lead (a slot the previous
leader already ran is skipped: see ``jobs.run_slot``).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from governance.clock import SYSTEM_CLOCK, Clock, utcnow
from governance.settings import Settings, get_settings
from governance.worker.jobs import schedule
from governance.worker.leader import Leadership, leadership_for

log = logging.getLogger("governance.worker.scheduler")
GRACE_S = 60  # a run late by up to one period + this is still made (once: coalesce)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def build_scheduler(engine: Engine, settings: Settings, worker: str,
                    clock: Clock = SYSTEM_CLOCK) -> BackgroundScheduler:
    """An APScheduler with every job; each also runs once right away (catch-up on taking the lead)."""
    scheduler = BackgroundScheduler(timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1})
    kwargs = {"engine": engine, "settings": settings, "worker": worker, "clock": clock}
    epoch = datetime(1970, 1, 1, tzinfo=UTC)  # interval triggers aligned to slot boundaries
    now = utcnow()
    for fn, every in schedule(settings):
        scheduler.add_job(fn, IntervalTrigger(seconds=every, start_date=epoch, timezone=UTC), kwargs=kwargs,
                          id=fn.__name__, name=fn.__name__, next_run_time=now,
                          misfire_grace_time=int(every) + GRACE_S)
    return scheduler


def run_scheduler(engine: Engine, settings: Settings, stop: threading.Event, *, clock: Clock = SYSTEM_CLOCK,
                  worker: str | None = None, leadership: Leadership | None = None) -> None:
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
    """``python -m governance.worker.scheduler``: a scheduler alone (settings from the environment)."""
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
