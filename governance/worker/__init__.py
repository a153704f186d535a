"""The worker: everything that runs beside the web process, on its own clock.

    process        ``run_worker``: the forwarder loop (main thread) and the scheduler (a thread)
    scheduler      the APScheduler host, leading or standing by
    leader         leadership: one scheduler leads (a file lock on SQLite, an advisory lock on PostgreSQL)
    jobs           the scheduled jobs and their slots: checks, alert dispatch, digest, housekeeping;
                   hands each check cycle's transitions to ``alerts/``
    housekeeping   what is deleted, and how often
    tables         ``scheduler_runs``, the job slots

The worker imports no web framework: it starts from ``governance.bootstrap``. Importing this
package (the web process reads ``worker.tables``) starts nothing and imports nothing heavy.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from governance.settings import Settings


def run_worker(settings: Settings | None = None, stop: threading.Event | None = None, *,
               json_logs: bool = False) -> None:
    """Run the worker until SIGTERM/SIGINT or ``stop`` (see ``process.run_worker``)."""
    from governance.worker import process

    process.run_worker(settings, stop, json_logs=json_logs)


__all__ = ["run_worker"]
