"""Running a deletion: claim a due regulation, purge every store, write the receipt, finish.

``run_due(engine, settings)`` is what the worker's ``regulations`` thread calls about every
second. A deletion is due ``settle_s`` after it was requested (two refresh intervals and a
second), so that every web process enforces its suppression before the purge starts: nothing
accepted before the suppression took effect can land after the purge has passed.

    INITIALIZED -> RUNNING -> FINISHED          every store purged
                           -> PARTIAL_SUCCESS   outbox rows a forwarder still held after
                                                ``OUTBOX_WAIT_S`` (listed in the receipt)
                           -> FAILED            an error, ``MAX_ATTEMPTS`` times (before that the
                                                regulation goes back to INITIALIZED and is retried)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Engine

from governance.clock import utcnow
from governance.db import write_session
from governance.privacy import purge
from governance.registry import regulations
from governance.registry.regulations import Status, stamp
from governance.registry.tables import RegulationRow
from governance.settings import Settings

log = logging.getLogger("governance.privacy")
LEASE = timedelta(seconds=60)
RENEW_EVERY_S = 10.0
OUTBOX_WAIT_S = 300.0  # how long a purge waits for forwarders to let go of a subject's outbox rows
MAX_ATTEMPTS = 3
KEPT = ("counters (event_counts, violation_counts, purge_counts) keep counts per source, event and minute, "
        "and no user data; the dedupe window keeps a 16-byte key of (source, messageId) for its duration "
        "(a hash, after the time the id says it was made when it says one)")


class Interrupted(Exception):
    """The worker is stopping: the regulation keeps its lease until it runs out, then is taken over."""


def settle_s(settings: Settings) -> float:
    return 2 * settings.plan_refresh_s + 1.0


class Purge:
    """One deletion at work: the receipt so far, and its lease kept alive."""

    def __init__(self, engine: Engine, row: RegulationRow, clock: Callable[[], datetime],
                 stopping: Callable[[], bool] = lambda: False) -> None:
        self.engine, self.row, self.clock, self.stopping = engine, row, clock, stopping
        self.subjects: list[str] = orjson.loads(row.subject_ids)
        self.source_ids: list[str] | None = orjson.loads(row.source_ids) if row.source_ids else None
        self.receipt: dict[str, Any] = orjson.loads(row.receipt or "{}")
        self.receipt.setdefault("steps", [])
        deleted = self.receipt.setdefault("deleted", {})  # a retry or a takeover adds to what was done
        for store in purge.STORES:
            deleted.setdefault(store.name, 0)
        self._renewed = time.monotonic()

    def step(self, action: str, **details: Any) -> None:
        self.receipt["steps"].append({"at": stamp(self.clock()), "action": action, **details})

    def keep_lease(self) -> None:
        if self.stopping():
            raise Interrupted(self.row.id)
        if time.monotonic() - self._renewed < RENEW_EVERY_S:
            return
        self._renewed = time.monotonic()
        with write_session(self.engine) as session:
            regulations.renew(session, self.row.id, until=self.clock() + LEASE, receipt=self.receipt)

    def store(self, store: purge.Store) -> purge.Pass:
        done = purge.purge_store(self.engine, store, self.subjects, self.source_ids, on_batch=self.keep_lease)
        self.receipt["deleted"][store.name] += done.deleted
        return done

    def outbox(self, wait_s: float) -> int:
        """Purge the outbox, waiting for forwarders to let go of leased rows; the subjects' events
        still held (counted in events: an outbox row holds several)."""
        store = purge.BY_NAME["outbox"]
        held: dict[int, int] = {}  # outbox row -> the subjects' events in it (``purge.Pass.leased``)
        forwarded = 0
        deadline = time.monotonic() + wait_s
        while True:
            done = self.store(store)
            # held before, and not deleted by us now
            gone = {i: n for i, n in held.items() if i not in done.leased and i not in done.deleted_ids}
            still = purge.remaining(self.engine, store, set(gone))
            # gone, and not by us: delivered (or dead-lettered: purged below)
            forwarded += sum(n for i, n in gone.items() if i not in still)
            held = {**{i: gone[i] for i in still}, **done.leased}
            if not held or time.monotonic() >= deadline:
                break
            time.sleep(1.0)
            self.keep_lease()
        self.receipt["left_outbox_meanwhile"] = forwarded
        self.step("deleted", store="outbox", rows=self.receipt["deleted"]["outbox"],
                  left_outbox_meanwhile=forwarded, still_held=sum(held.values()))
        return sum(held.values())

    def run(self, outbox_wait_s: float) -> Status:
        self.step("purge_started", subjects=len(self.subjects), sources=self.source_ids)
        held = self.outbox(outbox_wait_s)
        for store in purge.STORES[1:]:
            done = self.store(store)
            self.step("deleted", store=store.name, rows=done.deleted, batches=done.batches)
        self.receipt["kept"] = KEPT
        self.step("purge_finished", deleted=sum(self.receipt["deleted"].values()))
        return Status.PARTIAL_SUCCESS if held else Status.FINISHED


def run_due(engine: Engine, settings: Settings, *, clock: Callable[[], datetime] = utcnow,
            outbox_wait_s: float = OUTBOX_WAIT_S,
            stopping: Callable[[], bool] = lambda: False) -> str | None:
    """Claim and run the oldest due deletion; its id, or None when nothing was due."""
    with write_session(engine) as session:
        row = regulations.claim(session, now=clock(), settle=timedelta(seconds=settle_s(settings)), lease=LEASE)
    if row is None:
        return None
    work = Purge(engine, row, clock, stopping)
    try:
        status = work.run(outbox_wait_s)
    except Interrupted:
        log.info("regulation %s interrupted; it is taken over when its lease runs out", row.id)
        return row.id
    except Exception as exc:
        log.exception("regulation %s failed", row.id)
        attempts = int(work.receipt.get("attempts", 0)) + 1
        work.receipt["attempts"] = attempts
        work.step("failed", error=f"{type(exc).__name__}: {exc}"[:500], attempt=attempts)
        final = Status.FAILED if attempts >= MAX_ATTEMPTS else Status.INITIALIZED
        with write_session(engine) as session:
            regulations.finish(session, row.id, status=final, receipt=work.receipt, now=clock(),
                               error=f"{type(exc).__name__}: {exc}"[:500])
        return row.id
    with write_session(engine) as session:
        regulations.finish(session, row.id, status=status, receipt=work.receipt, now=clock())
    log.info("regulation %s %s: %s", row.id, status, work.receipt["deleted"])
    return row.id
