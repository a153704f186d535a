"""The forwarder: drains the outbox to each source's upstream as Segment ``/v1/batch`` requests.

Each source is forwarded in its own *lane* (a thread of a pool of ``forward_concurrency``), so a
hanging upstream delays only its own source. A lane claims up to ``limit`` of its source's due
rows with a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers share the work;
one ``BEGIN IMMEDIATE`` transaction on SQLite), delivers their events ``forward_batch_size`` at a
time (a row holds up to a batch of events, ``outbox_batch``; ``settle.pack`` packs rows into
requests and splits a larger one), and
claims again until its source has nothing due or ``LANE_BUDGET_S`` has passed. What a claim's
deliveries leave to write (deletes, counters, retries) is settled in the transaction of the next
claim: on SQLite each transaction is a turn of the one write lock, which the web processes'
group commits also want, so a lane takes one turn per claim (``CLAIM_ROWS`` rows by default). The lease is
renewed while the lane holds the rows (``leases``), so no other worker claims them while this one
is alive, however long the upstream takes. After a retryable failure the rest of the claim is
released to the same retry time, unattempted: a down upstream costs one timeout per retry, not
one per chunk.

Retries follow DESIGN: 408, 429 and 5xx (but 501/505) and network errors back off from
``retry_base_s`` doubling to ``retry_max_s`` with jitter, honouring ``Retry-After``. Attempts are
counted per row: a row's events go to the dead letter (one dead-letter row each) once the row has
had ``dead_letter_min_tries`` tries and is ``dead_letter_after_s`` old, or at once on any other
4xx or a refused address; what is left of a row that was partly delivered is written back to it
(``settle``). A delivered event is deleted from the outbox (with its row), counted in
``delivery_counts`` under the minute it was received (the ledger) and in ``forward_stats`` under
the minute it was delivered (latency). Each message carries its own ``sentAt``
(``timestamps.relay_batch``), so the upstream's clock-skew correction yields the device's event
time however long the event waited here.
"""

from __future__ import annotations

import base64
import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, exists, insert, select, update

from governance.clock import as_utc, epoch_minute, utcnow
from governance.db import writer
from governance.proxy.leases import Leases
from governance.proxy.outbox_batch import message_id_of, remainder
from governance.proxy.outbox_sql import OutboxSQL
from governance.proxy.settle import MAX_REQUEST_BYTES, Plan, Settlement, pack, resolve
from governance.proxy.tables import DeadLetterRow, OutboxRow
from governance.proxy.timestamps import relay_batch
from governance.proxy.upstream import Delivery, new_client, post, retryable
from governance.proxy.upstream_http import Pool
from governance.registry.tables import SourceRow
from governance.settings import Settings

log = logging.getLogger("governance.forwarder")
LANE_BUDGET_S = 5.0  # a lane hands its thread back after this long, so lanes take turns
ORPHANS_EVERY_S = 60.0  # how often rows of sources that no longer exist are looked for
NO_UPSTREAM_DELAY_S = 30.0
CLAIM_ROWS = 40  # outbox rows a lane claims at a time: up to 40 x forward_batch_size events


class Forwarder:
    def __init__(self, engine: Engine, settings: Settings, *, clock: Callable[[], datetime] | None = None,
                 client: Pool | None = None) -> None:
        self.reader = engine
        self.engine = writer(engine)
        self.settings = settings
        self.clock = clock or utcnow
        self.client = client or new_client(settings)
        self.rng = random.Random()
        self.lease = timedelta(seconds=settings.forward_lease_s)
        self.leases = Leases(self.engine, self.lease, self.clock)
        self.sql = OutboxSQL(engine.dialect.name)  # the steady state's statements, driver-level
        self.pool = ThreadPoolExecutor(max_workers=settings.forward_concurrency, thread_name_prefix="forward")
        self.lanes: dict[str, Future[int]] = {}
        self._orphans_checked = 0.0

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.leases.close()
        self.client.close()

    # ------------------------------------------------------------ lanes

    def run_once(self, limit: int = CLAIM_ROWS) -> int:
        """Forward every source with due rows, each in its lane, and wait for all; events handled."""
        sources = self._sources()
        due = self._due_sources(sources, busy=set(), orphans=True)
        futures = [self.pool.submit(self.run_source, sid, sources.get(sid), limit) for sid in due]
        return sum(f.result() for f in futures)

    def dispatch(self, limit: int = CLAIM_ROWS) -> int:
        """Start a lane for each source with due rows and no running lane (never waits for one);
        returns how many lanes finished or started, 0 when there was nothing to do."""
        finished = [sid for sid, future in self.lanes.items() if future.done()]
        for sid in finished:
            error = self.lanes.pop(sid).exception()
            if error is not None:
                log.warning("forwarding %s failed: %s", sid, error)
        free = self.settings.forward_concurrency - len(self.lanes)
        if free <= 0:
            return len(finished)
        sources = self._sources()
        orphans = time.monotonic() - self._orphans_checked > ORPHANS_EVERY_S
        if orphans:
            self._orphans_checked = time.monotonic()
        due = self._due_sources(sources, busy=set(self.lanes), orphans=orphans)[:free]
        for sid in due:
            self.lanes[sid] = self.pool.submit(self.run_source, sid, sources.get(sid), limit)
        return len(finished) + len(due)

    def running(self) -> list[str]:
        return [sid for sid, future in self.lanes.items() if not future.done()]

    def _sources(self) -> dict[str, Any]:
        with self.reader.connect() as conn:
            return {s.id: s for s in conn.execute(select(SourceRow.__table__))}  # type: ignore[attr-defined]

    def _due_sources(self, sources: dict[str, Any], *, busy: set[str], orphans: bool) -> list[str]:
        """Sources with at least one due, unclaimed row (one indexed EXISTS per source)."""
        now = self.clock()
        table = OutboxRow.__table__  # type: ignore[attr-defined]
        candidates = [sid for sid in sources if sid not in busy]
        with self.reader.connect() as conn:
            if orphans:
                candidates += [sid for sid in conn.execute(select(table.c.source_id).distinct()).scalars()
                               if sid not in sources and sid not in busy]
            due = []
            for sid in candidates:
                query = select(exists().where(table.c.source_id == sid, table.c.next_attempt_at <= now,
                                              (table.c.claimed_until.is_(None)) | (table.c.claimed_until < now)))
                if conn.execute(query).scalar():
                    due.append(sid)
        return due

    def run_source(self, source_id: str, source: Any, limit: int) -> int:
        """One lane: claim and deliver this source's due rows until none are due, a retryable
        failure, or ``LANE_BUDGET_S``; returns how many events were handled. A claim's deliveries are
        settled in the transaction of the next claim (or alone after the last): on SQLite every
        transaction is a turn of the one write lock, which the group commits also want."""
        started, handled = time.monotonic(), 0
        pending: Settlement | None = None
        held: list[Any] = []
        try:
            while True:
                rows = self.claim(source_id, limit, settle=pending)
                self.leases.release(held)
                held, pending = rows, None
                if not rows:
                    return handled
                handled += sum(r.events for r in rows)
                if source is None or not source.upstream_url:
                    self._release(rows, delay_s=NO_UPSTREAM_DELAY_S)  # nowhere to send yet: wait for one
                    return handled
                pending = self._deliver_all(source, rows)
                if pending.down or len(rows) < limit or time.monotonic() - started > LANE_BUDGET_S:
                    return handled
        finally:
            if pending is not None:
                with self.engine.begin() as conn:
                    self._settle(conn, source_id, pending)
            self.leases.release(held)

    def _deliver_all(self, source: Any, rows: list[Any]) -> Settlement:
        """Deliver the claim request by request (``settle.pack``), until the upstream is down."""
        done = Settlement()
        chunks = list(pack(rows, self.settings.forward_batch_size, MAX_REQUEST_BYTES))
        for i, chunk in enumerate(chunks):
            result = self.deliver(source, [p for piece in chunk for p in piece.payloads])
            done.chunks.append((chunk, result))
            done.down = not result.ok and retryable(result.status) and not result.terminal
            if done.down:  # the rest waits as long as the failed request, untried
                done.rest = [piece for later in chunks[i + 1 :] for piece in later]
                done.rest_delay_s = self._delay(1, result)
                break
        return done

    def _settle(self, conn: Any, source_id: str, done: Settlement) -> None:
        now = self.clock()
        plan = resolve(done, now, min_tries=self.settings.dead_letter_min_tries,
                       dead_after_s=self.settings.dead_letter_after_s, delay=self._delay)
        if plan.delivered or plan.delete_ids:
            self._delivered(conn, source_id, plan, now)
        if plan.dead or plan.retries or plan.released:
            self._failed(conn, source_id, plan, now, rest_delay_s=done.rest_delay_s)

    # ------------------------------------------------------------ rows

    def claim(self, source_id: str, limit: int, settle: Settlement | None = None) -> list[Any]:
        """Up to ``limit`` due, unclaimed rows of the source, leased (``outbox_sql``: driver-level);
        ``settle`` (the previous claim's deliveries) is written first, in the same transaction."""
        with self.engine.begin() as conn:
            if settle is not None:
                self._settle(conn, source_id, settle)
            now = self.clock()
            stamp = self.sql.stamp(now)
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            try:
                cursor.execute(self.sql.claim, (source_id, stamp, stamp, limit))
                rows = self.sql.rows(cursor.fetchall())
                if rows:
                    cursor.execute(*self.sql.lease([r.id for r in rows], now + self.lease))
            finally:
                cursor.close()
        self.leases.hold(rows)
        return rows

    def deliver(self, source: Any, payloads: list[str]) -> Delivery:
        """POST stored events (``payloads``) to the source's upstream as one ``/v1/batch``."""
        now = self.clock()
        body = relay_batch(payloads, now)  # each message's sentAt relayed: see timestamps
        headers = {"content-type": "application/json", "user-agent": "governance-forwarder"}
        if source.upstream_write_key:
            token = base64.b64encode(f"{source.upstream_write_key}:".encode()).decode()
            headers["authorization"] = f"Basic {token}"
        return post(self.client, source.upstream_url, body, headers, settings=self.settings, now=now)

    def _release(self, rows: list[Any], *, delay_s: float) -> None:
        with self.engine.begin() as conn:
            self._release_in(conn, rows, delay_s=delay_s)

    def _release_in(self, conn: Any, rows: list[Any], *, delay_s: float) -> None:
        table = OutboxRow.__table__  # type: ignore[attr-defined]
        conn.execute(update(table).where(table.c.id.in_([r.id for r in rows]))
                     .values(claimed_until=None, next_attempt_at=self.clock() + timedelta(seconds=delay_s)))

    def _delay(self, attempts: int, result: Delivery) -> float:
        delay = min(self.settings.retry_base_s * 2 ** (attempts - 1), self.settings.retry_max_s)
        delay *= 0.8 + 0.4 * self.rng.random()  # jitter
        if result.retry_after is not None:
            delay = max(delay, min(result.retry_after, self.settings.retry_max_s))
        return delay

    def _delivered(self, conn: Any, source_id: str, plan: Plan, now: datetime) -> None:
        """Delete the rows the plan is done with; count delivered events in ``forward_stats`` by
        delivery minute (latency) and in ``delivery_counts`` by receipt minute (the ledger), in
        the caller's transaction."""
        by_minute: defaultdict[int, int] = defaultdict(int)
        total, waited, longest = 0, 0.0, 0.0
        for row, n in plan.delivered:
            seconds = max(0.0, (now - as_utc(row.created_at)).total_seconds())
            total, waited, longest = total + n, waited + seconds * n, max(longest, seconds)
            by_minute[epoch_minute(row.created_at)] += n
        cursor = conn.connection.driver_connection.cursor()
        try:
            if plan.delete_ids:
                cursor.execute(*self.sql.delete(plan.delete_ids))
            if total:
                cursor.execute(self.sql.forward_stat, (epoch_minute(now), source_id, total, waited, longest))
            for minute, n in sorted(by_minute.items()):
                cursor.execute(self.sql.delivery_count, (minute, source_id, n))
        finally:
            cursor.close()

    def _failed(self, conn: Any, source_id: str, plan: Plan, now: datetime, *, rest_delay_s: float) -> None:
        """Events the upstream did not take: dead-lettered (one row each), or kept for a later try
        in their row (rewritten when it keeps only some of its events)."""
        table = OutboxRow.__table__  # type: ignore[attr-defined]
        if plan.dead:
            conn.execute(insert(DeadLetterRow.__table__), [  # type: ignore[attr-defined]
                {"source_id": source_id, "message_id": r.message_id if r.events == 1 else message_id_of(p),
                 "payload": p, "reason": reason, "attempts": r.attempts + 1,
                 "first_attempt_at": as_utc(r.created_at), "created_at": now}
                for r, p, reason in plan.dead])
            log.warning("dead-lettered %d event(s) of %s: %s", len(plan.dead), source_id, plan.dead[0][2])
        kept = [(row, {"attempts": tries, "last_error": error, "next_attempt_at": now + timedelta(seconds=delay_s)})
                for row, tries, delay_s, error in plan.retries]
        kept += [(row, {"next_attempt_at": now + timedelta(seconds=rest_delay_s)}) for row in plan.released]
        for row, values in kept:
            if row.id in plan.rewrites:
                values.update(remainder(plan.rewrites[row.id]))
            conn.execute(update(table).where(table.c.id == row.id).values(claimed_until=None, **values))
