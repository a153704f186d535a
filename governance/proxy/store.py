"""Group commit: the outcome rows of many concurrent requests in one transaction.

A request hands its verdicts to ``Store.submit`` and waits; one writer thread drains every pending
request, and in a single transaction dedupes by ``(source, messageId)``, inserts the outbox and
quarantine rows, and adds the per-minute counters, violation counts and first samples. Only when
that transaction has committed are the requests answered (2xx means committed). If it fails,
every waiting request gets the error (answered 503 with Retry-After).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from governance.db import writer
from governance.proxy.pipeline import Verdict
from governance.proxy.tables import (
    DedupeRow,
    EventCountRow,
    OutboxRow,
    QuarantineRow,
    ViolationCountRow,
    ViolationSampleRow,
)
from governance.proxy.violations import fingerprint
from governance.registry.tables import utcnow

log = logging.getLogger("governance.proxy.store")
SAMPLES_PER_FINGERPRINT = 3
QUARANTINED = frozenset({"blocked", "rejected", "dropped"})


@dataclass
class Batch:
    """One request's verdicts for one source."""

    source_id: str
    verdicts: list[Verdict]
    future: Future[list[Verdict]]


def _upsert(engine: Engine) -> Any:
    return postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert


class Store:
    def __init__(self, engine: Engine, *, dedupe_window_s: int, max_group: int = 256) -> None:
        self.engine = writer(engine)
        self.dedupe_window = timedelta(seconds=dedupe_window_s)
        self.max_group = max_group
        self._queue: queue.Queue[Batch | None] = queue.Queue()
        self._full_fingerprints: set[str] = set()
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self._thread.start()
        self.commits = 0

    def submit(self, source_id: str, verdicts: list[Verdict]) -> Future[list[Verdict]]:
        future: Future[list[Verdict]] = Future()
        self._queue.put(Batch(source_id, verdicts, future))
        return future

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            while len(group) < self.max_group:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)
                    break
                group.append(item)
            try:
                self.commit(group)
            except Exception as exc:
                log.error("group commit of %d requests failed: %s", len(group), exc)
                for batch in group:
                    if not batch.future.done():
                        batch.future.set_exception(exc)
            else:
                for batch in group:
                    batch.future.set_result(batch.verdicts)

    def commit(self, group: list[Batch]) -> None:
        now = utcnow()
        minute = int(time.time() // 60)
        with self.engine.begin() as conn:
            fresh = self._dedupe(conn, group, now)
            outbox: list[dict[str, Any]] = []
            quarantine: list[dict[str, Any]] = []
            counts: Counter[tuple[str, str, str, str, bool]] = Counter()
            violation_counts: Counter[tuple[str, str, str, str]] = Counter()
            samples: dict[str, dict[str, Any]] = {}
            for batch in group:
                for verdict in batch.verdicts:
                    key = (batch.source_id, verdict.message_id[:200])
                    if verdict.message_id and verdict.outcome != "rejected":
                        if key in fresh:
                            fresh.discard(key)  # a second copy in the same group is a duplicate too
                        else:
                            verdict.outcome, verdict.forward = "deduplicated", None
                    counts[(batch.source_id, verdict.kind, verdict.event, verdict.outcome, verdict.planned)] += 1
                    if verdict.outcome == "deduplicated":
                        continue
                    if verdict.forward is not None:
                        outbox.append({"source_id": batch.source_id, "message_id": verdict.message_id,
                                       "payload": orjson.dumps(verdict.forward).decode(),
                                       "created_at": now, "next_attempt_at": now, "attempts": 0})  # fmt: skip
                    elif verdict.outcome in QUARANTINED:
                        quarantine.append(_quarantine_row(batch.source_id, verdict, now))
                    for v in verdict.violations:
                        violation_counts[(batch.source_id, verdict.event, v.field, v.type)] += 1
                        fp = fingerprint(batch.source_id, verdict.event, v)
                        if fp not in self._full_fingerprints and fp not in samples:
                            samples[fp] = {"fingerprint": fp, "source_id": batch.source_id, "event": verdict.event,
                                           "field": v.field[:300], "type": v.type, "message": v.message,
                                           "plan_version": verdict.plan_version, "seen_at": now,
                                           "payload": orjson.dumps(verdict.original).decode()}  # fmt: skip
            if outbox:
                conn.execute(insert(OutboxRow), outbox)
            if quarantine:
                conn.execute(insert(QuarantineRow), quarantine)
            self._add_counts(conn, minute, counts, violation_counts)
            if samples:
                self._add_samples(conn, samples)
        self.commits += 1

    def _dedupe(self, conn: Any, group: list[Batch], now: datetime) -> set[tuple[str, str]]:
        """Record every (source, messageId); return those not seen within the window."""
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for batch in group:
            for verdict in batch.verdicts:
                key = (batch.source_id, verdict.message_id)
                if verdict.message_id and verdict.outcome != "rejected" and key not in rows:
                    rows[key] = {"source_id": key[0], "message_id": key[1][:200], "seen_at": now}
        if not rows:
            return set()
        table = DedupeRow.__table__  # type: ignore[attr-defined]
        cutoff = now - self.dedupe_window
        fresh: set[tuple[str, str]] = set()
        values = list(rows.values())
        for start in range(0, len(values), 500):
            stmt = _upsert(self.engine)(table).values(values[start : start + 500])
            stmt = stmt.on_conflict_do_update(
                index_elements=["source_id", "message_id"],
                set_={"seen_at": stmt.excluded.seen_at},
                where=table.c.seen_at < cutoff,
            ).returning(table.c.source_id, table.c.message_id)
            fresh.update((r[0], r[1]) for r in conn.execute(stmt))
        return fresh

    def _add_counts(self, conn: Any, minute: int, counts: Counter[Any], violations: Counter[Any]) -> None:
        build = _upsert(self.engine)
        if counts:
            table = EventCountRow.__table__  # type: ignore[attr-defined]
            stmt = build(table).values([
                {"minute": minute, "source_id": s, "kind": k, "event": e[:200], "outcome": o, "planned": p,
                 "count": n} for (s, k, e, o, p), n in counts.items()])  # fmt: skip
            conn.execute(stmt.on_conflict_do_update(
                index_elements=["minute", "source_id", "kind", "event", "outcome", "planned"],
                set_={"count": table.c.count + stmt.excluded.count}))  # fmt: skip
        if violations:
            table = ViolationCountRow.__table__  # type: ignore[attr-defined]
            stmt = build(table).values([
                {"minute": minute, "source_id": s, "event": e[:200], "field": f[:300], "type": t, "count": n}
                for (s, e, f, t), n in violations.items()])  # fmt: skip
            conn.execute(stmt.on_conflict_do_update(
                index_elements=["minute", "source_id", "event", "field", "type"],
                set_={"count": table.c.count + stmt.excluded.count}))  # fmt: skip

    def _add_samples(self, conn: Any, samples: dict[str, dict[str, Any]]) -> None:
        table = ViolationSampleRow.__table__  # type: ignore[attr-defined]
        have = dict(conn.execute(
            select(table.c.fingerprint, func.count()).where(table.c.fingerprint.in_(list(samples)))
            .group_by(table.c.fingerprint)).all())  # fmt: skip
        new = [row for fp, row in samples.items() if have.get(fp, 0) < SAMPLES_PER_FINGERPRINT]
        for fp in samples:
            if have.get(fp, 0) + 1 >= SAMPLES_PER_FINGERPRINT:
                self._full_fingerprints.add(fp)
        if new:
            conn.execute(insert(table), new)


def _quarantine_row(source_id: str, verdict: Verdict, now: datetime) -> dict[str, Any]:
    return {
        "source_id": source_id, "message_id": verdict.message_id[:200], "kind": verdict.kind[:20] or "unknown",
        "event": (verdict.event or None) and verdict.event[:200],
        "payload": orjson.dumps(verdict.original, default=str).decode(), "reason": verdict.reason or "blocked",
        "violations": orjson.dumps([v.to_dict() for v in verdict.violations] or
                                   ([verdict.error.to_dict()] if verdict.error else [])).decode(),
        "plan_version": verdict.plan_version, "received_at": now,
    }  # fmt: skip


def mark_replayed(conn: Any, ids: list[int], outcome: str) -> None:
    conn.execute(update(QuarantineRow).where(QuarantineRow.id.in_(ids))  # type: ignore[union-attr]
                 .values(replayed_at=utcnow(), replay_outcome=outcome))  # fmt: skip
