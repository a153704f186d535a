"""Leases on claimed outbox rows, renewed while their delivery runs.

A worker claims rows by setting ``claimed_until = now + forward_lease_s``; another worker claims
them only once that has passed. One delivery may outlast a lease (a hanging upstream: connect,
write and read each get ``upstream_timeout_s``), so this keeps every row a worker holds leased:
a thread renews them every quarter of the lease. When the worker dies the renewals stop, and the
rows are claimable again within one lease. A row that was settled meanwhile is never claimed
again by a renewal: settled rows are deleted or released (``claimed_until`` NULL), and a renewal
only extends a lease that is still held.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, update

from governance.proxy.tables import OutboxRow

log = logging.getLogger("governance.forwarder")
CHUNK = 500  # ids per UPDATE


class Leases:
    def __init__(self, engine: Engine, lease: timedelta, clock: Callable[[], datetime]) -> None:
        self.engine, self.lease, self.clock = engine, lease, clock
        self._held: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.renewals = 0

    def hold(self, rows: Iterable[Any]) -> None:
        with self._lock:
            self._held.update(r.id for r in rows)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="lease-renewal", daemon=True)
                self._thread.start()

    def release(self, rows: Iterable[Any]) -> None:
        with self._lock:
            self._held.difference_update(r.id for r in rows)

    def held(self) -> int:
        with self._lock:
            return len(self._held)

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout=5)

    def renew(self) -> int:
        """Extend the lease of every row still held; returns how many ids were renewed."""
        with self._lock:
            ids = sorted(self._held)
        if not ids:
            return 0
        table = OutboxRow.__table__  # type: ignore[attr-defined]
        until = self.clock() + self.lease
        with self.engine.begin() as conn:
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                conn.execute(update(table).where(table.c.id.in_(chunk), table.c.claimed_until.is_not(None))
                             .values(claimed_until=until))
        self.renewals += 1
        return len(ids)

    def _run(self) -> None:
        """Renew every quarter lease; end when nothing is held (``hold`` starts a new thread)."""
        while not self._stop.wait(self.lease.total_seconds() / 4):
            with self._lock:
                if not self._held:
                    self._thread = None
                    return
            try:
                self.renew()
            except Exception as exc:  # the next renewal tries again; the lease covers three misses
                log.warning("renewing outbox leases failed: %s", exc)
