"""The worker process: the forwarder loop (main thread), the scheduler host and the privacy
regulations (``regulations``: due deletions, about every second), each in a thread.

``governance serve`` starts one beside the web process; more can run against PostgreSQL (rows
are claimed with SKIP LOCKED). It stops cleanly on SIGTERM/SIGINT.
"""

from __future__ import annotations

import logging
import signal
import threading
import time

from sqlalchemy import Engine

from governance.bootstrap import bootstrap
from governance.clock import utcnow
from governance.db import make_engine
from governance.logs import configure_logging
from governance.proxy.forwarder import Forwarder
from governance.settings import Settings
from governance.worker.housekeeping import EXPIRY_EVERY_S, forget_expired
from governance.worker.regulations import run_regulations
from governance.worker.supervisor import watch_parent

log = logging.getLogger("governance.worker")


def run_forwarder(engine: Engine, settings: Settings, stop: threading.Event) -> None:
    """Drain the outbox until ``stop``; forget expired rows every ``EXPIRY_EVERY_S``. A failed cycle
    is logged and retried, never fatal."""
    forwarder = Forwarder(engine, settings)
    last_housekeeping = 0.0
    try:
        while not stop.is_set():
            try:
                handled = forwarder.dispatch()
                if time.monotonic() - last_housekeeping > EXPIRY_EVERY_S:
                    left = forget_expired(engine, settings, utcnow())["more"]
                    # keys left over (a large window expiring): the next cycle goes on with them
                    last_housekeeping = 0.0 if left else time.monotonic()
            except Exception as exc:
                log.warning("forwarder cycle failed: %s", exc)
                handled = 0
            if not handled:
                stop.wait(0.2)
    finally:
        forwarder.close()


def run_worker(
    settings: Settings | None = None, stop: threading.Event | None = None, *, json_logs: bool = False
) -> None:
    settings = settings or Settings()
    configure_logging(settings.log_level, json_lines=json_logs)
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    watch_parent(stop)  # supervised by serve: stop when serve is gone
    engine = make_engine(settings.database_url, synchronous=settings.sqlite_synchronous)
    bootstrap(settings, engine)
    log.info("worker started")
    scheduler: threading.Thread | None = None
    if settings.scheduler_enabled:
        # the scheduler leads or stands by in its own thread; Great Expectations is imported there on
        # the first expectations run, never in the web process
        from governance.worker.scheduler import run_scheduler

        scheduler = threading.Thread(target=run_scheduler, args=(engine, settings, stop), name="scheduler",
                                     daemon=True)
        scheduler.start()
    purger = threading.Thread(target=run_regulations, args=(engine, settings, stop), name="regulations", daemon=True)
    purger.start()
    try:
        run_forwarder(engine, settings, stop)
    finally:
        stop.set()
        if scheduler is not None:
            scheduler.join(timeout=60)
        purger.join(timeout=10)
        engine.dispose()
        log.info("worker stopped")
