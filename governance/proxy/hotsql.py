"""Driver-level statements for the rows written per event, in each dialect's parameter style.

SQLAlchemy's per-row binding costs more than the insert itself at tens of thousands of events a
second, so the group commit hands these strings to the DB-API cursor directly. Table and column
names are constants; every value is a bound parameter.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


class HotSQL:
    """The hot path's statements for one dialect (``postgresql`` or ``sqlite``)."""

    def __init__(self, dialect: str) -> None:
        self.postgres = dialect == "postgresql"
        p = "%s" if self.postgres else "?"
        self.p = p
        self.outbox = ("INSERT INTO outbox (source_id, message_id, payload, created_at, attempts, next_attempt_at) "
                       f"VALUES ({p}, {p}, {p}, {p}, 0, {p})")
        self.event_sample = ("INSERT INTO event_samples (source_id, kind, event, planned, received_at, payload) "
                             f"VALUES ({p}, {p}, {p}, {p}, {p}, {p})")
        self.event_count = (
            "INSERT INTO event_counts (minute, source_id, kind, event, outcome, planned, count) "
            f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}) "
            "ON CONFLICT (minute, source_id, kind, event, outcome, planned) "
            "DO UPDATE SET count = event_counts.count + excluded.count")
        self.violation_count = (
            "INSERT INTO violation_counts (minute, source_id, event, field, type, count) "
            f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}) ON CONFLICT (minute, source_id, event, field, type) "
            "DO UPDATE SET count = violation_counts.count + excluded.count")
        self.dedupe_arrays = (
            "INSERT INTO dedupe (source_id, message_id, seen_at) "
            "SELECT k.s, k.m, %s FROM unnest(%s::text[], %s::text[]) AS k(s, m) "
            "ON CONFLICT (source_id, message_id) DO UPDATE SET seen_at = excluded.seen_at "
            "WHERE dedupe.seen_at < %s RETURNING source_id, message_id")  # PostgreSQL only (claim_keys)

    def dedupe(self, rows: int) -> str:
        """Record ``rows`` (source, messageId, seen_at) triples; return those not seen since the cutoff."""
        p = self.p
        values = ", ".join([f"({p}, {p}, {p})"] * rows)
        return (f"INSERT INTO dedupe (source_id, message_id, seen_at) VALUES {values} "
                f"ON CONFLICT (source_id, message_id) DO UPDATE SET seen_at = excluded.seen_at "
                f"WHERE dedupe.seen_at < {p} RETURNING source_id, message_id")

    def claim_keys(self, keys: list[tuple[str, str]], stamp: Any, cutoff: Any) -> tuple[str, tuple[Any, ...]]:
        """The dedupe statement for ``keys`` (distinct (source, messageId) pairs) and its parameters.

        PostgreSQL gets two arrays through ``unnest``: four parameters whatever the number of keys,
        so psycopg parses the statement once and caches it (it caches statements of under 50
        parameters; the VALUES form has three a key). SQLite gets the VALUES form."""
        if not self.postgres:
            params: list[Any] = []
            for source_id, message_id in keys:
                params += (source_id, message_id, stamp)
            return self.dedupe(len(keys)), (*params, cutoff)
        return self.dedupe_arrays, (stamp, [k[0] for k in keys], [k[1] for k in keys], cutoff)

    def stamp(self, value: datetime) -> Any:
        """A timestamp as SQLAlchemy stores it: aware on PostgreSQL, naive UTC text on SQLite."""
        if self.postgres:
            return value
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
