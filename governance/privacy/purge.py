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
conservation ledger still balances. An outbox row holds the events of one group commit
(``outbox_batch``): each of its events is confirmed alone, and a row that also holds other
events is rewritten without the subjects' (under the same lease condition, and only if it is
still as it was read; else it is left for the next pass, like a leased one). Counters
(``event_counts``, ``violation_counts``) hold no user data and stay.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Engine, and_, delete, literal, or_, select

from governance.clock import as_utc, epoch_minute, utcnow
from governance.db import writer
from governance.proxy import outbox_batch
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


def _events(store: Store, payload: str) -> list[str]:
    """The stored events of one row: an outbox row holds several (``outbox_batch``)."""
    return outbox_batch.split(payload) if store.name == "outbox" else [payload]


def _like(subject: str) -> str:
    """A LIKE pattern for the id as it appears in JSON text (quoted or as a number)."""
    text = orjson.dumps(subject).decode()[1:-1]
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass
class Pass:
    """What one pass over one store did."""

    deleted: int = 0  # events (an outbox row may hold several, and keep the others)
    batches: int = 0
    leased: dict[int, int] = field(default_factory=dict)  # outbox rows a forwarder held (left for the next
    # pass) -> how many of the subjects' events each holds
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


def _count_purged(conn: Any, store: Store, rows: list[tuple[Any, int]], kept: Callable[[Any], bool]) -> None:
    """Add deleted events (row, how many of its events) to ``purge_counts`` by (minute of receipt,
    source), the ledger's ``purged`` term."""
    per: Counter[tuple[int, str]] = Counter()
    for r, n in rows:
        if kept(r):
            per[(epoch_minute(as_utc(r[3])), r.source_id)] += n
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


def _delete(engine: Engine, store: Store, rows: list[tuple[Any, list[str]]], now: datetime) -> tuple[set[int], int]:
    """Delete the subjects' events of ``rows`` (row, the events it keeps): a row that keeps none
    is deleted, an outbox row that keeps some is rewritten with them; the outbox's only when no
    lease is held. The ids of the rows done, and how many events were deleted."""
    t = store.table
    free = or_(t.c.claimed_until.is_(None), t.c.claimed_until < now) if store.name == "outbox" else None
    done: list[tuple[Any, int]] = []
    with writer(engine).begin() as conn:
        whole = {r.id: r for r, keep in rows if not keep}
        if whole:
            deleting = delete(t).where(t.c.id.in_(list(whole)))
            # the events a deleted row held when it was deleted (a forwarder may have sent some since)
            events = t.c.events if store.name == "outbox" else literal(1)
            returning = (deleting if free is None else deleting.where(free)).returning(t.c.id, events)
            done += [(whole[i], int(n)) for i, n in conn.execute(returning)]
        for r, keep in rows:
            if keep:  # an outbox row of several events, some of them the subjects', unchanged since read
                query = (t.update().where(t.c.id == r.id, t.c.payload == r.payload, free)
                         .values(**outbox_batch.remainder(keep)))
                if conn.execute(query).rowcount:
                    done.append((r, len(_events(store, r.payload)) - len(keep)))
        if done and store.ledger:
            _count_purged(conn, store, done, _in_ledger(store))
    return {r.id for r, _n in done}, sum(n for _r, n in done)


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
        mine = []
        for r in rows:
            events = _events(store, r.payload)
            keep = [p for p in events if not belongs(p, wanted)]
            if len(keep) < len(events):
                mine.append((r, keep))
        if mine:
            gone, events_deleted = _delete(engine, store, mine, utcnow())
            result.deleted += events_deleted
            result.deleted_ids |= gone
            result.leased |= {r.id: len(_events(store, r.payload)) - len(keep) for r, keep in mine if r.id not in gone}
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
    """How many events of ``subjects`` each store holds now (for tests and the receipt's check)."""
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
            n += sum(1 for r in rows for p in _events(store, r.payload) if belongs(p, wanted))
        out[store.name] = n
    return out

