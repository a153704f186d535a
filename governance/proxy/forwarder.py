"""The forwarder: drains the outbox to each source's upstream as Segment ``/v1/batch`` requests.

Rows are claimed with a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers share
the work; one ``BEGIN IMMEDIATE`` transaction on SQLite). Retries follow DESIGN: 408, 429 and 5xx
(but 501/505) and network errors back off from ``retry_base_s`` doubling to ``retry_max_s`` with
jitter, honouring ``Retry-After``; an event goes to the dead letter after ``dead_letter_min_tries``
tries and ``dead_letter_after_s``, or at once on any other 4xx. A delivered event is deleted from
the outbox. Each message carries its own ``sentAt`` (``timestamps.relay_batch``), so the upstream's
clock-skew correction yields the device's event time however long the event waited here.
"""

from __future__ import annotations

import base64
import logging
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from governance.clock import as_utc, utcnow
from governance.db import writer
from governance.proxy.tables import DeadLetterRow, ForwardStatRow, OutboxRow
from governance.proxy.timestamps import relay_batch
from governance.registry.tables import SourceRow
from governance.settings import Settings

log = logging.getLogger("governance.forwarder")
LEASE = timedelta(seconds=60)


def retryable(status: int | None) -> bool:
    """Network errors (None), 408, 429 and 5xx except 501 and 505 are worth another try."""
    return status is None or status in (408, 429) or (500 <= status < 600 and status not in (501, 505))


def retry_after_s(value: str | None, now: datetime) -> float | None:
    if not value:
        return None
    if value.strip().isascii() and value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds()) if when.tzinfo else None


def batch_url(upstream: str) -> str:
    upstream = upstream.rstrip("/")
    return upstream if upstream.endswith("/v1/batch") else upstream + "/v1/batch"


@dataclass
class Delivery:
    ok: bool
    status: int | None
    error: str | None
    retry_after: float | None = None


class Forwarder:
    def __init__(self, engine: Engine, settings: Settings, *, clock: Callable[[], datetime] | None = None,
                 client: httpx.Client | None = None) -> None:  # fmt: skip
        self.engine = writer(engine)
        self.settings = settings
        self.clock = clock or utcnow
        self.client = client or httpx.Client(timeout=settings.upstream_timeout_s, follow_redirects=False)
        self.rng = random.Random()

    def close(self) -> None:
        self.client.close()

    def claim(self, limit: int) -> list[Any]:
        now = self.clock()
        table = OutboxRow.__table__  # type: ignore[attr-defined]
        due = (
            select(table.c.id, table.c.source_id, table.c.message_id, table.c.payload, table.c.attempts,
                   table.c.created_at)
            .where(table.c.next_attempt_at <= now)
            .where((table.c.claimed_until.is_(None)) | (table.c.claimed_until < now))
            .order_by(table.c.id)
            .limit(limit)
        )
        if self.engine.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        with self.engine.begin() as conn:
            rows = list(conn.execute(due))
            if rows:
                conn.execute(update(table).where(table.c.id.in_([r.id for r in rows]))
                             .values(claimed_until=now + LEASE))  # fmt: skip
        return rows

    def run_once(self, limit: int = 2000) -> int:
        """Claim due rows, deliver them per source; returns how many rows were handled."""
        rows = self.claim(limit)
        if not rows:
            return 0
        with self.engine.connect() as conn:
            sources = {s.id: s for s in conn.execute(select(SourceRow.__table__))}  # type: ignore[attr-defined]
        by_source: dict[str, list[Any]] = defaultdict(list)
        for row in rows:
            by_source[row.source_id].append(row)
        size = self.settings.forward_batch_size
        for source_id, items in by_source.items():
            source = sources.get(source_id)
            for start in range(0, len(items), size):
                chunk = items[start : start + size]
                if source is None or not source.upstream_url:
                    self._release(chunk, delay_s=30.0)  # nowhere to send yet: wait for an upstream
                    continue
                self._settle(source_id, chunk, self.deliver(source, chunk))
        return len(rows)

    def deliver(self, source: Any, rows: list[Any]) -> Delivery:
        now = self.clock()
        body = relay_batch([r.payload for r in rows], now)  # each message's sentAt relayed: see timestamps
        headers = {"content-type": "application/json", "user-agent": "governance-forwarder"}
        if source.upstream_write_key:
            token = base64.b64encode(f"{source.upstream_write_key}:".encode()).decode()
            headers["authorization"] = f"Basic {token}"
        try:
            response = self.client.post(batch_url(source.upstream_url), content=body, headers=headers)
        except httpx.HTTPError as exc:
            return Delivery(False, None, f"{type(exc).__name__}: {exc}"[:500])
        if 200 <= response.status_code < 300:
            return Delivery(True, response.status_code, None)
        return Delivery(False, response.status_code, f"HTTP {response.status_code}: {response.text[:300]}",
                        retry_after_s(response.headers.get("retry-after"), now))  # fmt: skip

    def _release(self, rows: list[Any], *, delay_s: float) -> None:
        table = OutboxRow.__table__  # type: ignore[attr-defined]
        with self.engine.begin() as conn:
            conn.execute(update(table).where(table.c.id.in_([r.id for r in rows]))
                         .values(claimed_until=None, next_attempt_at=self.clock() + timedelta(seconds=delay_s)))

    def _record_latency(self, conn: Any, source_id: str, waits: list[timedelta], now: datetime) -> None:
        seconds = [max(0.0, w.total_seconds()) for w in waits]
        stats = ForwardStatRow.__table__  # type: ignore[attr-defined]
        build = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        stmt = build(stats).values(minute=int(now.timestamp() // 60), source_id=source_id, delivered=len(seconds),
                                   latency_sum_s=sum(seconds), latency_max_s=max(seconds))  # fmt: skip
        conn.execute(stmt.on_conflict_do_update(
            index_elements=["minute", "source_id"],
            set_={"delivered": stats.c.delivered + stmt.excluded.delivered,
                  "latency_sum_s": stats.c.latency_sum_s + stmt.excluded.latency_sum_s,
                  "latency_max_s": func.max(stats.c.latency_max_s, stmt.excluded.latency_max_s)
                  if self.engine.dialect.name == "sqlite" else
                  func.greatest(stats.c.latency_max_s, stmt.excluded.latency_max_s)}))  # fmt: skip

    def _settle(self, source_id: str, rows: list[Any], result: Delivery) -> None:
        now = self.clock()
        table = OutboxRow.__table__  # type: ignore[attr-defined]
        ids = [r.id for r in rows]
        with self.engine.begin() as conn:
            if result.ok:
                conn.execute(delete(table).where(table.c.id.in_(ids)))
                self._record_latency(conn, source_id, [now - as_utc(r.created_at) for r in rows], now)
                return
            attempts = rows[0].attempts + 1
            oldest = as_utc(min(r.created_at for r in rows))
            dead = not retryable(result.status) or (
                attempts >= self.settings.dead_letter_min_tries
                and now - oldest >= timedelta(seconds=self.settings.dead_letter_after_s)
            )
            if dead:
                reason = result.error or "upstream refused"
                conn.execute(insert(DeadLetterRow.__table__), [  # type: ignore[attr-defined]
                    {"source_id": source_id, "message_id": r.message_id, "payload": r.payload,
                     "reason": reason, "attempts": r.attempts + 1, "first_attempt_at": as_utc(r.created_at),
                     "created_at": now} for r in rows])  # fmt: skip
                conn.execute(delete(table).where(table.c.id.in_(ids)))
                log.warning("dead-lettered %d event(s) of %s: %s", len(rows), source_id, reason)
                return
            delay = min(self.settings.retry_base_s * 2 ** (attempts - 1), self.settings.retry_max_s)
            delay *= 0.8 + 0.4 * self.rng.random()  # jitter
            if result.retry_after is not None:
                delay = max(delay, min(result.retry_after, self.settings.retry_max_s))
            conn.execute(update(table).where(table.c.id.in_(ids)).values(
                attempts=table.c.attempts + 1, claimed_until=None, last_error=result.error,
                next_attempt_at=now + timedelta(seconds=delay)))  # fmt: skip
