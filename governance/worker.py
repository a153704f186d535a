"""The worker process: the forwarder and housekeeping (main thread), the quality scheduler (a thread).

``governance serve`` starts one beside the web process; more can run against PostgreSQL (rows
are claimed with SKIP LOCKED). It stops cleanly on SIGTERM/SIGINT.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete

from governance.app import bootstrap
from governance.db import make_engine, writer
from governance.logs import configure_logging
from governance.proxy.forwarder import Forwarder
from governance.proxy.tables import DedupeRow, EventSampleRow
from governance.settings import Settings

log = logging.getLogger("governance.worker")
HOUSEKEEPING_S = 60.0


def housekeeping(engine: Engine, settings: Settings) -> None:
    """Forget messageIds older than the dedupe window and event samples past their retention."""
    now = datetime.now(UTC)
    with writer(engine).begin() as conn:
        dedupe = DedupeRow.__table__  # type: ignore[attr-defined]
        conn.execute(delete(dedupe).where(dedupe.c.seen_at < now - timedelta(seconds=settings.dedupe_window_s)))
        samples = EventSampleRow.__table__  # type: ignore[attr-defined]
        cutoff = now - timedelta(days=settings.sample_retention_days)
        conn.execute(delete(samples).where(samples.c.received_at < cutoff))


def run_forwarder(engine: Engine, settings: Settings, stop: threading.Event) -> None:
    forwarder = Forwarder(engine, settings)
    last_housekeeping = 0.0
    try:
        while not stop.is_set():
            try:
                handled = forwarder.run_once()
                if time.monotonic() - last_housekeeping > HOUSEKEEPING_S:
                    housekeeping(engine, settings)
                    last_housekeeping = time.monotonic()
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
    engine = make_engine(settings.database_url)
    bootstrap(settings, engine)
    log.info("worker started")
    scheduler: threading.Thread | None = None
    if settings.scheduler_enabled:
        # the quality scheduler leads or stands by in its own thread; Great Expectations is imported
        # there on the first expectations run, never in the web process
        from governance.quality.scheduler import run_scheduler

        scheduler = threading.Thread(target=run_scheduler, args=(engine, settings, stop), name="scheduler",
                                     daemon=True)  # fmt: skip
        scheduler.start()
    try:
        run_forwarder(engine, settings, stop)
    finally:
        stop.set()
        if scheduler is not None:
            scheduler.join(timeout=60)
        engine.dispose()
        log.info("worker stopped")
