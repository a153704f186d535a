"""The worker's ``regulations`` thread: runs due privacy deletions (``privacy.runner``), about every second.

Every worker runs one; a regulation is claimed with a lease, so two workers never purge the same
one at once, and one that a dead worker held is taken over when its lease runs out.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from governance.privacy.runner import run_due
from governance.settings import Settings

log = logging.getLogger("governance.worker.regulations")
POLL_S = 1.0


def run_regulations(engine: Engine, settings: Settings, stop: threading.Event) -> None:
    """Run due deletions until ``stop``; a failed round is logged and retried, never fatal."""
    while not stop.is_set():
        try:
            ran = run_due(engine, settings, stopping=stop.is_set)
        except Exception as exc:
            log.warning("privacy regulations round failed: %s", exc)
            ran = None
        if ran is None:
            stop.wait(POLL_S)
