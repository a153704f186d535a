"""Deleting a subject's events from every store that holds them, in batches that never stall ingestion.

    store               matched on                      in the ledger?   note
    outbox              payload userId/anonymousId/     yes              a row a forwarder holds a lease on is
                        previousId                                       left for the next pass (it is being
                                                                         sent); one that then disappears was
                                                                         delivered, or dead-lettered (and is
                                                                         deleted there next): the receipt's
                                                                         ``left_outbox_meanwhile``
    dead_letter         the same                        yes
    quarantine          the same                        yes              a row a replay already forwarded is
                                                                         counted where its outbox row went
    event_samples       the same                        no
    violation_samples   the same                        no

Each pass walks a store by id in batches of ``BATCH`` rows: a read finds candidates (a ``LIKE``
on the id's JSON text when there are few subjects, every row of the scope otherwise), Python
parses each payload and confirms one of the three id fields equals a subject, and a short write
transaction deletes the confirmed rows (``DELETE ... RETURNING id``; the outbox's only while no
lease is held) and adds them to ``purge_counts`` by source and minute of receipt, so the
conservation ledger still balances. Counters (``event_counts``, ``violation_counts``) hold no
user data and stay.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Engine, and_, delete, or_, select

from governance.clock import as_utc, epoch_minute, utcnow
from governance.db import writer
from governance.proxy.tables import (
    DeadLetterRow,
    EventSampleRow,
    OutboxRow,
    PurgeCountRow,
    QuarantineRow,
    ViolationSampleRow,
)

BATCH = 500
LIKE_SUBJECTS = 50  # up to this many subjects, the database prefilters with LIKE; beyond, every row is read
ID_FIELDS = ("userId", "anonymousId", "previousId")


@dataclass(frozen=True)
class Store:
    name: str
    table: Any
    received: str  # the column of the minute of receipt (purge_counts, the ledger)
    ledger: bool = True


STORES = (
    Store("outbox", OutboxRow.__table__, "created_at"),  # type: ignore[attr-defined]
    Store("dead_letter", DeadLetterRow.__table__, "first_attempt_at"),  # type: ignore[attr-defined]
    Store("quarantine", QuarantineRow.__table__, "received_at"),  # type: ignore[attr-defined]
    Store("event_samples", EventSampleRow.__table__, "received_at", ledger=False),  # type: ignore[attr-defined]
    Store("violation_samples", ViolationSampleRow.__table__, "seen_at", ledger=False),  # type: ignore[attr-defined]
)
BY_NAME = {s.name: s for s in STORES}


def belongs(payload: str, subjects: frozenset[str]) -> bool:
    """Whether a stored event's userId, anonymousId or previousId is one of ``subjects``."""
    try:
        message = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return False
    if not isinstance(message, dict):
        return False
    for name in ID_FIELDS:
        value = message.get(name)
        if isinstance(value, str | int | float) and not isinstance(value, bool) and str(value) in subjects:
            return True
    return False


def _like(subject: str) -> str:
    """A LIKE pattern for the id as it appears in JSON text (quoted or as a number)."""
    text = orjson.dumps(subject).decode()[1:-1]
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass
class Pass:
    """What one pass over one store did."""

    deleted: int = 0
    batches: int = 0
    leased: set[int] = field(default_factory=set)  # outbox rows a forwarder held (left for the next pass)
    deleted_ids: set[int] = field(default_factory=set)


def _candidates(store: Store, subjects: Sequence[str], source_ids: Sequence[str] | None, after: int) -> Any:
    t = store.table
    columns = [t.c.id, t.c.source_id, t.c.payload, t.c[store.received]]
    if store.name == "outbox":
        columns.append(t.c.claimed_until)
    if store.name == "quarantine":  # a row a replay forwarded is in the ledger where its outbox row went
        columns += [t.c.replayed_at, t.c.replay_outcome]
    query = select(*columns).where(t.c.id > after).order_by(t.c.id).limit(BATCH)
    if source_ids is not None:
        query = query.where(t.c.source_id.in_(list(source_ids)))
    if len(subjects) <= LIKE_SUBJECTS:
        query = query.where(or_(*[t.c.payload.like(_like(s), escape="\\") for s in subjects]))
    return query


def _count_purged(conn: Any, store: Store, rows: list[Any], kept: Callable[[Any], bool]) -> None:
    """Add deleted rows to ``purge_counts`` by (minute of receipt, source), the ledger's ``purged`` term."""
    per: Counter[tuple[int, str]] = Counter(
        (epoch_minute(as_utc(r[3])), r.source_id) for r in rows if kept(r))
    counts = PurgeCountRow.__table__  # type: ignore[attr-defined]
    for (minute, source_id), n in per.items():
        where = and_(counts.c.minute == minute, counts.c.source_id == source_id, counts.c.store == store.name)
        updated = conn.execute(counts.update().where(where).values(count=counts.c.count + n))
        if not updated.rowcount:
            conn.execute(counts.insert().values(minute=minute, source_id=source_id, store=store.name, count=n))


def _in_ledger(store: Store) -> Callable[[Any], bool]:
    if not store.ledger:
        return lambda _row: False
    if store.name != "quarantine":
        return lambda _row: True
    return lambda row: not (row.replayed_at is not None and row.replay_outcome == "forwarded")


def _delete(engine: Engine, store: Store, rows: list[Any], now: datetime) -> set[int]:
    """Delete ``rows`` (the outbox's only when no lease is held); the ids deleted."""
    t = store.table
    ids = [r.id for r in rows]
    with writer(engine).begin() as conn:
        query = delete(t).where(t.c.id.in_(ids))
        if store.name == "outbox":
            query = query.where(or_(t.c.claimed_until.is_(None), t.c.claimed_until < now))
        gone = {r[0] for r in conn.execute(query.returning(t.c.id))}
        if gone and store.ledger:
            _count_purged(conn, store, [r for r in rows if r.id in gone], _in_ledger(store))
    return gone


def purge_store(engine: Engine, store: Store, subjects: Sequence[str], source_ids: Sequence[str] | None, *,
                pause_s: float = 0.0, on_batch: Callable[[], None] | None = None) -> Pass:
    """One pass over ``store``: delete every row of ``subjects`` (in ``source_ids``; None: all sources)."""
    wanted = frozenset(subjects)
    result = Pass()
    after = 0
    while True:
        with engine.connect() as conn:
            rows = list(conn.execute(_candidates(store, subjects, source_ids, after)))
        if not rows:
            return result
        after = rows[-1].id
        mine = [r for r in rows if belongs(r.payload, wanted)]
        if mine:
            now = utcnow()
            gone = _delete(engine, store, mine, now)
            result.deleted += len(gone)
            result.deleted_ids |= gone
            result.leased |= {r.id for r in mine if r.id not in gone}
        result.batches += 1
        if on_batch is not None:
            on_batch()
        if pause_s:
            time.sleep(pause_s)  # let the group commit in between batches (SQLite has one writer)


def remaining(engine: Engine, store: Store, ids: set[int]) -> set[int]:
    """Which of ``ids`` are still in ``store``."""
    if not ids:
        return set()
    t = store.table
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(select(t.c.id).where(t.c.id.in_(sorted(ids))))}


def held_rows(engine: Engine, subjects: Sequence[str], source_ids: Sequence[str] | None) -> dict[str, int]:
    """How many rows of ``subjects`` each store holds now (for tests and the receipt's check)."""
    wanted = frozenset(subjects)
    out: dict[str, int] = {}
    for store in STORES:
        n, after = 0, 0
        while True:
            with engine.connect() as conn:
                rows = list(conn.execute(_candidates(store, subjects, source_ids, after)))
            if not rows:
                break
            after = rows[-1].id
            n += sum(1 for r in rows if belongs(r.payload, wanted))
        out[store.name] = n
    return out

