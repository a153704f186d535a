"""Group commit: the outcome rows of many concurrent requests in one transaction.

A request hands its verdicts to ``Store.submit`` and waits; one writer thread drains every pending
request and, in a single transaction, runs the dedupe step (``dedupe``), counts what the verdicts
become (``tally``, pure) and writes it: outbox rows (one per source and ``forward_batch_size``
events, ``outbox_batch``) and quarantine rows, per-minute counters, violation
counts and first samples. Only when that transaction has committed are the requests answered
(2xx means committed), each with the final outcome of its events (``deduplicated`` for a
duplicate).

If the transaction fails, the requests are committed again one by one, each in its own
transaction, so one request whose rows cannot be written fails alone and its neighbours commit
(a poison pill costs its own sender, nobody else). When the database itself fails (locked, full,
gone: ``database_down``) every request of the group gets the error at once, since committing them
one by one would only multiply the wait. A failed request is answered 503 with Retry-After.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy.exc
from sqlalchemy import Engine, func, insert, select

from governance.clock import epoch_minute, utcnow
from governance.db import writer
from governance.proxy import dedupe, dedupe_pg, outbox_batch
from governance.proxy.hotsql import HotSQL
from governance.proxy.pipeline import Verdict
from governance.proxy.sampling import SAMPLES_PER_FINGERPRINT, SamplePolicy, delete_sql
from governance.proxy.tables import QuarantineRow, ViolationSampleRow
from governance.proxy.tally import Tally, tally

log = logging.getLogger("governance.proxy.store")


def database_down(exc: BaseException) -> bool:
    """Whether a commit failed because of the database (locked, full, unreachable, a table gone)
    rather than because of the rows it was given. The hot path uses the DB-API cursor directly,
    so the drivers' own exception classes count as well as SQLAlchemy's."""
    kinds: list[type[BaseException]] = [sqlalchemy.exc.OperationalError, sqlite3.OperationalError]
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        pass
    else:
        kinds.append(psycopg.OperationalError)
    return isinstance(exc, tuple(kinds))


@dataclass
class Batch:
    """One request's verdicts for one source."""

    source_id: str
    verdicts: list[Verdict]
    future: Future[list[str]]
    extra: list[tuple[str, Verdict]] = field(default_factory=list)  # rows for other sources (Violation Generated)

    def rows(self) -> list[tuple[str, Verdict]]:
        return [(self.source_id, v) for v in self.verdicts] + self.extra


class Store:
    def __init__(self, engine: Engine, *, dedupe_window_s: int, sample_per_minute: int = 10,
                 max_group: int = 256, batch_events: int = 100) -> None:
        self.engine = writer(engine)
        self.batch_events = batch_events  # events per outbox row at most (forward_batch_size)
        self.dedupe_window_s = dedupe_window_s
        self.max_group = max_group
        self.samples = SamplePolicy(sample_per_minute)
        self.sql = HotSQL(engine.dialect.name)
        self.commits = 0
        self._legacy_s: int | None = None  # dedupe_legacy's second, read by the first commit (-1: none)
        self._first_level = dedupe_pg.FirstLevel()  # PostgreSQL: dedupe_l0's keys, estimated
        self._vacuum = dedupe_pg.Vacuum(engine) if self.sql.postgres else None
        self._queue: queue.Queue[Batch | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self._thread.start()

    def submit(self, source_id: str, verdicts: list[Verdict],
               extra: list[tuple[str, Verdict]] | None = None) -> Future[list[str]]:
        """Queue one request's verdicts (and rows it generates for other sources) for the next commit.

        The future resolves, once committed, to the final outcome of each of ``verdicts``.
        """
        future: Future[list[str]] = Future()
        self._queue.put(Batch(source_id, verdicts, future, extra or []))
        return future

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)
        if self._vacuum is not None:
            self._vacuum.close()

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
                outcomes = self.commit(group)
            except Exception as exc:
                self._isolate(group, exc)
            else:
                for batch, batch_outcomes in zip(group, outcomes, strict=True):
                    batch.future.set_result(batch_outcomes)

    def _isolate(self, group: list[Batch], exc: Exception) -> None:
        """After a failed group commit: commit each request alone, unless the database is down."""
        if len(group) == 1 or database_down(exc):
            log.error("group commit of %d requests failed: %s", len(group), exc)
            for batch in group:
                batch.future.set_exception(exc)
            return
        log.warning("group commit of %d requests failed (%s): committing each alone", len(group), exc)
        for batch in group:
            try:
                outcomes = self.commit([batch])
            except Exception as alone:
                log.error("a request of %d events cannot be committed: %s", len(batch.verdicts), alone)
                batch.future.set_exception(alone)
            else:
                batch.future.set_result(outcomes[0])

    def commit(self, group: list[Batch]) -> list[list[str]]:
        """Dedupe, tally and write ``group`` in one transaction; the final outcomes of each batch."""
        now = utcnow()
        rows = [row for batch in group for row in batch.rows()]
        with self.engine.begin() as conn:
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            try:
                keys = dedupe.keys_of(rows)
                now_s, cutoff_s = int(now.timestamp()), int(now.timestamp()) - self.dedupe_window_s
                fresh = dedupe.claim(cursor, self.sql, keys, now_s=now_s, window_s=self.dedupe_window_s)
                if self._legacy_s is None:
                    last = dedupe.legacy_last_seen(cursor)
                    self._legacy_s = -1 if last is None else last
                if self._legacy_s > cutoff_s and fresh:  # keys recorded before revision 0010 may be in the window
                    fresh -= dedupe.legacy_seen(cursor, self.sql, rows, keys, fresh, cutoff_s=cutoff_s)
                counted = tally(rows, dedupe.duplicates(keys, fresh), now=now, minute=epoch_minute(now),
                                samples=self.samples)
                self._write(cursor, counted, now)
                if not self.sql.postgres:  # the one writer: the dedupe levels roll in the same transaction
                    dedupe.roll(cursor, self.sql, cutoff_s=cutoff_s)
            finally:
                cursor.close()
            if counted.quarantine:
                conn.execute(insert(QuarantineRow), counted.quarantine)
            if counted.violation_samples:
                self._add_violation_samples(conn, counted.violation_samples)
        if self.sql.postgres:
            self._first_level.added(len(fresh))
            self._roll(cutoff_s)
        self.commits += 1
        outcomes, start = [], 0
        for batch in group:
            outcomes.append(counted.outcomes[start : start + len(batch.verdicts)])
            start += len(batch.verdicts) + len(batch.extra)
        return outcomes

    def _roll(self, cutoff_s: int) -> None:
        """PostgreSQL: the dedupe levels roll once the group commit is committed
        (``dedupe_pg.roll_after_commit``)."""
        try:
            dedupe_pg.roll_after_commit(self.engine, self.sql, self._first_level, cutoff_s=cutoff_s)
        except Exception as exc:  # the events are committed: a failed roll is retried by the next commit
            log.warning("the dedupe levels did not roll: %s", exc)

    def write(self, counted: Tally, now: Any) -> None:
        """Write an already tallied ``counted`` in a transaction of its own, through the group
        commit's writer (no dedupe: the benchmarks and tests that fill an outbox)."""
        with self.engine.begin() as conn:
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            try:
                self._write(cursor, counted, now)
            finally:
                cursor.close()

    def _write(self, cursor: Any, counted: Tally, now: Any) -> None:
        sql, stamp, minute = self.sql, self.sql.stamp(now), epoch_minute(now)
        if counted.outbox:
            rows = outbox_batch.rows_of(counted.outbox, self.batch_events)  # a row per source and batch
            cursor.executemany(sql.outbox, [(s, m, p, n, stamp, stamp, stamp) for s, m, p, n in rows])
        if counted.event_samples:  # the minute's reservoir: newcomers in, the samples they push out deleted
            keep, gone = self.samples.settle(counted.event_samples, stamp)
            cursor.executemany(sql.event_sample, [(*row[:4], stamp, row[4]) for row in keep])
            if gone:
                cursor.executemany(delete_sql(self.engine.dialect.name), gone)
        # in the keys' order: every web process's commits upsert the same few counter rows (one per
        # source, event and outcome a minute), each locked until its commit ends on PostgreSQL; taken
        # in one order, two processes' commits may wait for each other but never deadlock
        for (source, kind, event, outcome, planned), n in sorted(counted.event_counts.items()):
            cursor.execute(sql.event_count, (minute, source, kind, event[:200], outcome, planned, n))
        for (source, event, field_path, vtype), n in sorted(counted.violation_counts.items()):
            cursor.execute(sql.violation_count, (minute, source, event[:200], field_path[:300], vtype, n))

    def _add_violation_samples(self, conn: Any, samples: dict[str, dict[str, Any]]) -> None:
        table = ViolationSampleRow.__table__  # type: ignore[attr-defined]
        have = dict(conn.execute(
            select(table.c.fingerprint, func.count()).where(table.c.fingerprint.in_(list(samples)))
            .group_by(table.c.fingerprint)).all())
        new = [row for fp, row in samples.items() if have.get(fp, 0) < SAMPLES_PER_FINGERPRINT]
        for fp in samples:
            self.samples.stored(fp, have.get(fp, 0) + 1)
        if new:
            conn.execute(insert(table), new)
