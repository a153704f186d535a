"""Proxy tables: where every accepted event ends, and the counters that count them.

    outbox       accepted, waiting for the forwarder (deleted once the upstream took it): one row per
                 group commit, source and ``forward_batch_size`` events (``outbox_batch``)
    quarantine   blocked by the plan and settings (raw payload, reason, violations), replayable
    dead_letter  the upstream refused or stayed down past the retry budget, replayable
    dedupe_l0 .. dedupe_l3, dedupe_keys   (source, messageId) seen within the window, as a 16-byte key
                 (the id's time first, when it has one), in levels: new keys go to the small
                 ``dedupe_l0`` and are rolled down in key order; ``dedupe_keys`` is the last level
    dedupe_levels  the keys each level holds (an estimate) and where its roll has got to
    dedupe_legacy  the last second a key of the form before revision 0010 was seen
    event_counts / violation_counts / violation_samples   per-minute observability
    event_samples   a bounded sample of accepted events, for the quality checks
    forward_stats   delivered events and their latency per minute (read by /metrics)
    delivery_counts delivered events per minute of receipt (the ledger's forwarded term)
    purge_counts    rows a privacy regulation deleted, per source, store and minute of receipt
                    (the conservation ledger's ``purged`` term; no user data)
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, Table, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from governance.clock import utcnow


class OutboxRow(SQLModel, table=True):
    """Accepted events of one source waiting for the forwarder: ``payload`` is ``events`` stored
    messages joined by newlines, ``message_id`` the first one's (``outbox_batch``)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "source_id", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(max_length=40)
    message_id: str = Field(max_length=200)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    events: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    created_at: datetime = Field(default_factory=utcnow)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    claimed_until: datetime | None = None
    last_error: str | None = None


class QuarantineRow(SQLModel, table=True):
    __tablename__ = "quarantine"
    __table_args__ = (Index("ix_quarantine_source", "source_id", "received_at"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(max_length=40)
    message_id: str = Field(max_length=200)
    kind: str = Field(max_length=20)
    event: str | None = Field(default=None, max_length=200)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    reason: str = Field(max_length=40)
    violations: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    plan_version: int | None = None
    received_at: datetime = Field(default_factory=utcnow)
    replayed_at: datetime | None = None
    replay_outcome: str | None = Field(default=None, max_length=40)


class DeadLetterRow(SQLModel, table=True):
    __tablename__ = "dead_letter"

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(max_length=40, index=True)
    message_id: str = Field(max_length=200)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    attempts: int = 0
    first_attempt_at: datetime = Field(default_factory=utcnow)
    created_at: datetime = Field(default_factory=utcnow)
    replayed_at: datetime | None = None


class DedupeKeyRow(SQLModel, table=True):
    """One (source, messageId) seen within the dedupe window, as its 16-byte key (``dedupe.key_of``:
    a tag, the time the id says it was made at when it says one, and a hash) and the second it was
    last seen (``seen_s``, epoch seconds). The last of the window's levels (``dedupe.LEVELS``): keys
    reach it from ``dedupe_l3`` in key order. No index on ``seen_s`` since revision 0011: the worker
    prunes by reading the table in key order (``housekeeping.forget_expired``). ``WITHOUT ROWID`` on
    SQLite: the key is stored once, in the primary key's b-tree."""

    __tablename__ = "dedupe_keys"
    __table_args__ = {"sqlite_with_rowid": False}

    key: bytes = Field(sa_column=Column(LargeBinary(16), primary_key=True))
    seen_s: int = Field(sa_column=Column(BigInteger, nullable=False))


DEDUPE_LEVELS = 4  # dedupe_l0 .. dedupe_l3 before dedupe_keys (dedupe.LEVELS)
# the window's first levels: the same columns as dedupe_keys; a new key goes to dedupe_l0 (small, so a
# group commit's random keys share its few leaves) and is rolled down one level at a time in key order.
# PostgreSQL: vacuumed without giving their last pages back (revision 0012, ``vacuum_truncate``)
DEDUPE_LEVEL_TABLES = [
    Table(f"dedupe_l{level}", SQLModel.metadata, Column("key", LargeBinary(16), primary_key=True),
          Column("seen_s", BigInteger, nullable=False), sqlite_with_rowid=False,
          postgresql_with={"vacuum_truncate": "false"})
    for level in range(DEDUPE_LEVELS)]


class DedupeLevelRow(SQLModel, table=True):
    """A level of the dedupe window (0 to ``DEDUPE_LEVELS - 1``): how many keys it holds (an estimate
    kept by the roll and the prune, which only decides when to roll; level 0 is counted, not read
    from here) and the last key its roll moved down (the next roll carries on after it)."""

    __tablename__ = "dedupe_levels"

    level: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    keys: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    after: bytes | None = Field(default=None, sa_column=Column(LargeBinary(16), nullable=True))


class DedupeLegacyRow(SQLModel, table=True):
    """The last second a key of the form before revision 0010 (``dedupe.legacy_key``) was seen:
    while it is within the window, the claim also looks up that form (``dedupe.legacy_seen``).
    Empty on a database made at 0010 or later."""

    __tablename__ = "dedupe_legacy"

    last_seen_s: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))


class EventCountRow(SQLModel, table=True):
    """Events per minute by (source, kind, event, outcome, planned)."""

    __tablename__ = "event_counts"
    __table_args__ = (
        UniqueConstraint("minute", "source_id", "kind", "event", "outcome", "planned", name="uq_event_counts"),
    )

    id: int | None = Field(default=None, primary_key=True)
    minute: int = Field(index=True)  # minutes since the epoch (UTC)
    source_id: str = Field(max_length=40)
    kind: str = Field(max_length=20)
    event: str = Field(default="", max_length=200)
    outcome: str = Field(max_length=30)
    planned: bool = True
    count: int = 0


class ViolationCountRow(SQLModel, table=True):
    __tablename__ = "violation_counts"
    __table_args__ = (
        UniqueConstraint("minute", "source_id", "event", "field", "type", name="uq_violation_counts"),
    )

    id: int | None = Field(default=None, primary_key=True)
    minute: int = Field(index=True)
    source_id: str = Field(max_length=40)
    event: str = Field(default="", max_length=200)
    field: str = Field(default="", max_length=300)
    type: str = Field(max_length=40)
    count: int = 0


class ViolationSampleRow(SQLModel, table=True):
    """The first few whole events per violation fingerprint (source, event, field, type)."""

    __tablename__ = "violation_samples"

    id: int | None = Field(default=None, primary_key=True)
    fingerprint: str = Field(max_length=64, index=True)
    source_id: str = Field(max_length=40)
    event: str = Field(default="", max_length=200)
    field: str = Field(default="", max_length=300)
    type: str = Field(max_length=40)
    message: str = Field(sa_column=Column(Text, nullable=False))
    plan_version: int | None = None
    payload: str = Field(sa_column=Column(Text, nullable=False))
    seen_at: datetime = Field(default_factory=utcnow)


class EventSampleRow(SQLModel, table=True):
    """A bounded sample of accepted events per (source, event) and minute, for quality checks
    (drift, expectations, inferred plans): ``sample_per_minute`` rows per key and minute, a uniform
    sample of its events (``sampling.SamplePolicy``: a reservoir per key and minute)."""

    __tablename__ = "event_samples"
    __table_args__ = (Index("ix_event_samples_key", "source_id", "event", "received_at"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(max_length=40)
    kind: str = Field(max_length=20)
    event: str = Field(default="", max_length=200)
    planned: bool = True
    received_at: datetime = Field(default_factory=utcnow)
    payload: str = Field(sa_column=Column(Text, nullable=False))


class ForwardStatRow(SQLModel, table=True):
    """Per minute and source: events the upstream accepted and how long they waited (for /metrics)."""

    __tablename__ = "forward_stats"
    __table_args__ = (UniqueConstraint("minute", "source_id", name="uq_forward_stats"),)

    id: int | None = Field(default=None, primary_key=True)
    minute: int = Field(index=True)
    source_id: str = Field(max_length=40)
    delivered: int = 0
    latency_sum_s: float = 0.0
    latency_max_s: float = 0.0


class DeliveryCountRow(SQLModel, table=True):
    """Events an upstream accepted, per source and the minute they were *received* (the outbox
    row's ``created_at``), written in the transaction that deletes their outbox rows: the ledger's
    ``forwarded`` term (``forward_stats`` counts by the minute of delivery, for latency)."""

    __tablename__ = "delivery_counts"
    __table_args__ = (UniqueConstraint("minute", "source_id", name="uq_delivery_counts"),)

    id: int | None = Field(default=None, primary_key=True)
    minute: int = Field(index=True)  # minutes since the epoch (UTC) when the events were received
    source_id: str = Field(max_length=40)
    delivered: int = 0
class PurgeCountRow(SQLModel, table=True):
    """Rows a privacy regulation deleted, by the minute their events were received (so the ledger of
    that minute still balances) and the store they were deleted from."""

    __tablename__ = "purge_counts"
    __table_args__ = (UniqueConstraint("minute", "source_id", "store", name="uq_purge_counts"),)

    id: int | None = Field(default=None, primary_key=True)
    minute: int = Field(index=True)
    source_id: str = Field(max_length=40)
    store: str = Field(max_length=20)  # outbox | quarantine | dead_letter
    count: int = 0
