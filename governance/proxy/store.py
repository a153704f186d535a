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
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from governance.clock import utcnow
from governance.db import writer
from governance.proxy.counters import EVENTS_WITH_VIOLATIONS, QUARANTINED
from governance.proxy.pipeline import Verdict
from governance.proxy.tables import (
    QuarantineRow,
    ViolationSampleRow,
)
from governance.proxy.violations import fingerprint

log = logging.getLogger("governance.proxy.store")
SAMPLES_PER_FINGERPRINT = 3


@dataclass
class Batch:
    """One request's verdicts for one source."""

    source_id: str
    verdicts: list[Verdict]
    future: Future[list[Verdict]]
    extra: list[tuple[str, Verdict]] = field(default_factory=list)  # rows for other sources (Violation Generated)

    def rows(self) -> list[tuple[str, Verdict]]:
        return [(self.source_id, v) for v in self.verdicts] + self.extra


def _upsert(engine: Engine) -> Any:
    return postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert


class Store:
    def __init__(self, engine: Engine, *, dedupe_window_s: int, sample_per_minute: int = 10,
                 max_group: int = 256) -> None:  # fmt: skip
        self.engine = writer(engine)
        self.dedupe_window = timedelta(seconds=dedupe_window_s)
        self.max_group = max_group
        self._queue: queue.Queue[Batch | None] = queue.Queue()
        self._full_fingerprints: set[str] = set()
        self.sample_per_minute = sample_per_minute
        self._sampled: Counter[tuple[str, str, int]] = Counter()
        self.sql = HotSQL(engine.dialect.name)
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self._thread.start()
        self.commits = 0

    def submit(self, source_id: str, verdicts: list[Verdict],
               extra: list[tuple[str, Verdict]] | None = None) -> Future[list[Verdict]]:  # fmt: skip
        """Queue one request's verdicts (and rows it generates for other sources) for the next commit."""
        future: Future[list[Verdict]] = Future()
        self._queue.put(Batch(source_id, verdicts, future, extra or []))
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
        sql = self.sql
        stamp = sql.stamp(now)
        with self.engine.begin() as conn:
            fresh = self._dedupe(conn, group, now)
            outbox: list[tuple[Any, ...]] = []
            quarantine: list[dict[str, Any]] = []
            counts: Counter[tuple[str, str, str, str, bool]] = Counter()
            violation_counts: Counter[tuple[str, str, str, str]] = Counter()
            samples: dict[str, dict[str, Any]] = {}
            samples_out: list[tuple[Any, ...]] = []
            if len(self._sampled) > 100_000:  # forget old minutes
                self._sampled = Counter({k: v for k, v in self._sampled.items() if k[2] >= minute - 1})
            for batch in group:
                for source_id, verdict in batch.rows():
                    key = (source_id, verdict.message_id[:200])
                    if verdict.message_id and verdict.outcome != "rejected":
                        if key in fresh:
                            fresh.discard(key)  # a second copy in the same group is a duplicate too
                        else:
                            verdict.outcome, verdict.forward = "deduplicated", None
                    counts[(source_id, verdict.kind, verdict.event, verdict.outcome, verdict.planned)] += 1
                    if verdict.outcome == "deduplicated":
                        continue
                    if verdict.forward is not None:
                        payload = orjson.dumps(verdict.forward).decode()
                        outbox.append((source_id, key[1], payload, stamp, stamp))
                        slot = (source_id, verdict.event, minute)
                        if self._sampled[slot] < self.sample_per_minute:
                            self._sampled[slot] += 1
                            samples_out.append((source_id, verdict.kind, verdict.event[:200], verdict.planned,
                                                stamp, payload))  # fmt: skip
                    elif verdict.outcome in QUARANTINED:
                        quarantine.append(_quarantine_row(source_id, verdict, now))
                    if verdict.violations:  # events with any violation, for exact violation rates
                        violation_counts[(source_id, verdict.event, "", EVENTS_WITH_VIOLATIONS)] += 1
                    for v in verdict.violations:
                        violation_counts[(source_id, verdict.event, v.field, v.type)] += 1
                        fp = fingerprint(source_id, verdict.event, v)
                        if fp not in self._full_fingerprints and fp not in samples:
                            samples[fp] = {"fingerprint": fp, "source_id": source_id, "event": verdict.event,
                                           "field": v.field[:300], "type": v.type, "message": v.message,
                                           "plan_version": verdict.plan_version, "seen_at": now,
                                           "payload": orjson.dumps(verdict.original).decode()}  # fmt: skip
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            try:
                if outbox:
                    cursor.executemany(sql.outbox, outbox)
                if samples_out:
                    cursor.executemany(sql.event_sample, samples_out)
                for (source, kind, event, outcome, planned), n in counts.items():
                    cursor.execute(sql.event_count, (minute, source, kind, event[:200], outcome, planned, n))
                for (source, event, field_path, vtype), n in violation_counts.items():
                    cursor.execute(sql.violation_count, (minute, source, event[:200], field_path[:300], vtype, n))
            finally:
                cursor.close()
            if quarantine:
                conn.execute(insert(QuarantineRow), quarantine)
            if samples:
                self._add_samples(conn, samples)
        self.commits += 1

    def _dedupe(self, conn: Any, group: list[Batch], now: datetime) -> set[tuple[str, str]]:
        """Record every (source, messageId); return those not seen within the window."""
        keys: dict[tuple[str, str], None] = {}
        for batch in group:
            for source_id, verdict in batch.rows():
                if verdict.message_id and verdict.outcome != "rejected":
                    keys[(source_id, verdict.message_id[:200])] = None
        if not keys:
            return set()
        stamp, cutoff = self.sql.stamp(now), self.sql.stamp(now - self.dedupe_window)
        fresh: set[tuple[str, str]] = set()
        ordered = list(keys)
        cursor = conn.connection.driver_connection.cursor()
        try:
            for start in range(0, len(ordered), 500):
                chunk = ordered[start : start + 500]
                params: list[Any] = []
                for source_id, message_id in chunk:
                    params += (source_id, message_id, stamp)
                cursor.execute(self.sql.dedupe(len(chunk)), (*params, cutoff))
                fresh.update((r[0], r[1]) for r in cursor.fetchall())
        finally:
            cursor.close()
        return fresh

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


class HotSQL:
    """Driver-level statements for the rows written per event (SQLAlchemy's per-row binding costs
    more than the insert itself at tens of thousands of events a second)."""

    def __init__(self, dialect: str) -> None:
        self.postgres = dialect == "postgresql"
        p = "%s" if self.postgres else "?"
        self.p = p
        self.outbox = ("INSERT INTO outbox (source_id, message_id, payload, created_at, attempts, next_attempt_at) "
                       f"VALUES ({p}, {p}, {p}, {p}, 0, {p})")  # fmt: skip
        self.event_sample = ("INSERT INTO event_samples (source_id, kind, event, planned, received_at, payload) "
                             f"VALUES ({p}, {p}, {p}, {p}, {p}, {p})")  # fmt: skip
        self.event_count = (
            "INSERT INTO event_counts (minute, source_id, kind, event, outcome, planned, count) "
            f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}) "
            "ON CONFLICT (minute, source_id, kind, event, outcome, planned) "
            "DO UPDATE SET count = event_counts.count + excluded.count")  # fmt: skip
        self.violation_count = (
            "INSERT INTO violation_counts (minute, source_id, event, field, type, count) "
            f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}) ON CONFLICT (minute, source_id, event, field, type) "
            "DO UPDATE SET count = violation_counts.count + excluded.count")  # fmt: skip

    def dedupe(self, rows: int) -> str:
        p = self.p
        values = ", ".join([f"({p}, {p}, {p})"] * rows)
        return (f"INSERT INTO dedupe (source_id, message_id, seen_at) VALUES {values} "
                f"ON CONFLICT (source_id, message_id) DO UPDATE SET seen_at = excluded.seen_at "
                f"WHERE dedupe.seen_at < {p} RETURNING source_id, message_id")  # fmt: skip

    def stamp(self, value: datetime) -> Any:
        """A timestamp as SQLAlchemy stores it: aware on PostgreSQL, naive UTC text on SQLite."""
        if self.postgres:
            return value
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


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
