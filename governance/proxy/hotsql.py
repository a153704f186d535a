"""Driver-level statements for the rows written per event, in each dialect's parameter style.

SQLAlchemy's per-row binding costs more than the insert itself at tens of thousands of events a
second, so the group commit hands these strings to the DB-API cursor directly. Table and column
names are constants; every value is a bound parameter.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

SHAPE = 32  # SQLite's dedupe statements come in multiples of this many keys (``claim_keys``)


class HotSQL:
    """The hot path's statements for one dialect (``postgresql`` or ``sqlite``)."""

    def __init__(self, dialect: str) -> None:
        self.postgres = dialect == "postgresql"
        p = "%s" if self.postgres else "?"
        self.p = p
        # one row a batch (outbox_batch), with ``claimed_until`` = its creation time (a lease that has
        # already ended, so the row is claimable at once): on SQLite the forwarder's lease then
        # overwrites a timestamp of the same width, which SQLite does in place, writing the row's last
        # page instead of its whole ~75 KB payload again (docs/operations/capacity.md, phase 6b)
        self.outbox = ("INSERT INTO outbox (source_id, message_id, payload, events, created_at, attempts, "
                       f"next_attempt_at, claimed_until) VALUES ({p}, {p}, {p}, {p}, {p}, 0, {p}, {p})")
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
            "INSERT INTO dedupe_keys (key, seen_s) SELECT k, %s FROM unnest(%s::bytea[]) AS k "
            "ON CONFLICT (key) DO UPDATE SET seen_s = excluded.seen_s "
            "WHERE dedupe_keys.seen_s <= %s RETURNING key")  # PostgreSQL only (claim_keys)

    def dedupe(self, rows: int) -> str:
        """Record ``rows`` (key, seen_s) pairs; return the keys last seen at or before the cutoff, or new."""
        p = self.p
        values = ", ".join([f"({p}, {p})"] * rows)
        return (f"INSERT INTO dedupe_keys (key, seen_s) VALUES {values} "
                f"ON CONFLICT (key) DO UPDATE SET seen_s = excluded.seen_s "
                f"WHERE dedupe_keys.seen_s <= {p} RETURNING key")

    def claim_keys(self, keys: list[bytes], now_s: int, cutoff_s: int, *,
                   shape: int = SHAPE) -> tuple[str, tuple[Any, ...]]:
        """The dedupe statement for ``keys`` (distinct 16-byte keys) seen at ``now_s``, and its parameters.

        PostgreSQL gets one array through ``unnest``: three parameters whatever the number of keys,
        so psycopg parses the statement once and caches it (it caches statements of under 50
        parameters; the VALUES form has two a key). SQLite gets the VALUES form, its rows padded
        to a multiple of ``shape`` by repeating the last key: sqlite3 caches statements by their
        text, so a few shapes stay parsed where one text per number of keys would be parsed again
        for almost every group. A repeat changes nothing: it conflicts with the row the statement
        itself just wrote, whose second is ``now_s``, after the cutoff, so it is neither updated
        nor returned (and when the window is 0 it returns a key that is fresh anyway)."""
        if not self.postgres:
            params: list[Any] = []
            for key in keys:
                params += (key, now_s)
            pad = -len(keys) % shape if keys else 0
            params += (keys[-1], now_s) * pad if pad else ()
            return self.dedupe(len(keys) + pad), (*params, cutoff_s)
        return self.dedupe_arrays, (now_s, keys, cutoff_s)

    def seen_since(self, keys: list[bytes], cutoff_s: int) -> tuple[str, tuple[Any, ...]]:
        """Which of ``keys`` were last seen after ``cutoff_s`` (``dedupe.legacy_seen``), and its parameters."""
        if self.postgres:
            return ("SELECT key FROM dedupe_keys WHERE seen_s > %s AND key = ANY(%s::bytea[])", (cutoff_s, keys))
        marks = ", ".join("?" * len(keys))
        return f"SELECT key FROM dedupe_keys WHERE seen_s > ? AND key IN ({marks})", (cutoff_s, *keys)

    def stamp(self, value: datetime) -> Any:
        """A timestamp as SQLAlchemy stores it: aware on PostgreSQL, naive UTC text on SQLite."""
        if self.postgres:
            return value
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
