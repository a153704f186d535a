"""Driver-level statements for the rows written per event, in each dialect's parameter style.

SQLAlchemy's per-row binding costs more than the insert itself at tens of thousands of events a
second, so the group commit hands these strings to the DB-API cursor directly. Table and column
names are constants; every value is a bound parameter.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

SHAPE = 32  # SQLite's dedupe statements come in multiples of this many keys (``claim_keys``, ``probe``)
DEDUPE_TABLES = ("dedupe_l0", "dedupe_l1", "dedupe_l2", "dedupe_l3", "dedupe_keys")  # the window's levels, newest first


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
            "INSERT INTO dedupe_l0 (key, seen_s) SELECT k, %s FROM unnest(%s::bytea[]) AS k "
            "ON CONFLICT (key) DO UPDATE SET seen_s = excluded.seen_s "
            "WHERE dedupe_l0.seen_s <= %s RETURNING key")  # PostgreSQL only (claim_keys)
        self.probe_arrays = "WITH k AS (SELECT unnest(%s::bytea[]) AS key) " + " UNION ALL ".join(
            f"SELECT t.key FROM {t} t JOIN k ON t.key = k.key WHERE t.seen_s > %s"
            for t in DEDUPE_TABLES[1:])  # PostgreSQL only (probe_deeper): every level but dedupe_l0
        self.forget_l0 = "DELETE FROM dedupe_l0 WHERE key = ANY(%s::bytea[])"  # PostgreSQL only (dedupe.claim)
        self.newest = "max" if not self.postgres else "GREATEST"
        self.level_state = (f"INSERT INTO dedupe_levels (level, keys, after) VALUES ({p}, {p}, {p}) "
                            "ON CONFLICT (level) DO UPDATE SET keys = excluded.keys, after = excluded.after")

    def dedupe(self, rows: int) -> str:
        """SQLite: record ``rows`` (key, seen_s) pairs in the first level, a key it holds last seen at
        or before the cutoff taking the new second. Nothing is returned: under the write lock the
        keys ``probe`` did not find are exactly the fresh ones (``dedupe.claim``)."""
        values = ", ".join(["(?, ?)"] * rows)
        return (f"INSERT INTO dedupe_l0 (key, seen_s) VALUES {values} "
                "ON CONFLICT (key) DO UPDATE SET seen_s = excluded.seen_s WHERE dedupe_l0.seen_s <= ?")

    def probe(self, keys: list[bytes], cutoff_s: int, *, shape: int = SHAPE) -> tuple[str, tuple[Any, ...]]:
        """SQLite: which of ``keys`` (distinct) some level holds last seen after ``cutoff_s``, in one
        statement, and its parameters (PostgreSQL: ``probe_deeper``). The key list is padded to a
        multiple of ``shape`` by repeating the last key (a repeat only repeats a row of the result), so
        a few texts stay parsed."""
        if self.postgres:
            raise ValueError("PostgreSQL claims look up the deeper levels after the insert: probe_deeper")
        padded = keys + [keys[-1]] * (-len(keys) % shape if keys else 0)
        # the key list once, as a materialised table each level is joined to by its primary key:
        # a third of the CPU of five ``key IN (...)`` lists, each sorted into a temporary index
        values = ", ".join(f"(?{n})" for n in range(2, len(padded) + 2))
        text = f"WITH k(key) AS MATERIALIZED (VALUES {values}) " + " UNION ALL ".join(
            f"SELECT t.key FROM k CROSS JOIN {t} AS t ON t.key = k.key WHERE t.seen_s > ?1" for t in DEDUPE_TABLES)
        return text, (cutoff_s, *padded)

    def probe_deeper(self, keys: list[bytes], cutoff_s: int) -> tuple[str, tuple[Any, ...]]:
        """PostgreSQL: which of ``keys`` a level after ``dedupe_l0`` holds last seen after ``cutoff_s``,
        in one statement (one snapshot), and its parameters."""
        return self.probe_arrays, (keys, *[cutoff_s] * (len(DEDUPE_TABLES) - 1))

    def level_roll(self, table: str, into: str) -> str:
        """PostgreSQL: move a level's keys in a range (after, end] into the next level in one statement,
        the expired ones (at or before the cutoff) dropped, a key the next level holds keeping the
        later second; one row: (keys deleted, keys moved). The ``DELETE`` and the ``INSERT`` share a
        snapshot, so a key a claim commits into the range meanwhile is neither copied nor deleted. A
        key another transaction has locked (a claim's ``ON CONFLICT`` on a duplicate, the prune's
        delete) is skipped, left for the roll's next pass: the roll waits for no claim, so a claim
        that waits for the roll's delete cannot close a cycle of waits."""
        return (f"WITH pick AS (SELECT key FROM {table} WHERE key > %s AND key <= %s FOR UPDATE SKIP LOCKED), "
                f"gone AS (DELETE FROM {table} AS d USING pick WHERE d.key = pick.key RETURNING d.key, d.seen_s), "
                f"moved AS (INSERT INTO {into} (key, seen_s) SELECT key, seen_s FROM gone WHERE seen_s > %s "
                f"ON CONFLICT (key) DO UPDATE SET seen_s = GREATEST({into}.seen_s, excluded.seen_s) RETURNING 1) "
                "SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM moved)")

    def level_chunk(self, table: str) -> str:
        """The next keys of a level after a key, in key order (``dedupe.roll``)."""
        return f"SELECT key, seen_s FROM {table} WHERE key > {self.p} ORDER BY key LIMIT {self.p}"

    def sweep_end(self, table: str) -> str:
        """The last key and the number of keys of a step of the prune's sweep (``level_chunk``'s keys);
        no row when the step is empty (PostgreSQL has no ``max`` of ``bytea``)."""
        return f"SELECT key, count(*) OVER () FROM ({self.level_chunk(table)}) AS s ORDER BY key DESC LIMIT 1"

    def sweep_expired(self, table: str) -> str:
        """The keys of a step of the prune's sweep last seen at or before the cutoff."""
        return f"SELECT key FROM ({self.level_chunk(table)}) AS s WHERE seen_s <= {self.p}"

    def level_nth(self, table: str) -> str:
        """The key of a level at an offset after a key, in key order (where a roll's range ends)."""
        return f"SELECT key FROM {table} WHERE key > {self.p} ORDER BY key LIMIT 1 OFFSET {self.p}"

    def level_move(self, table: str, into: str) -> str:
        """Copy a level's keys in a range (after, end] seen after the cutoff into the next level, where
        a key it already holds keeps the later second."""
        p = self.p
        return (f"INSERT INTO {into} (key, seen_s) SELECT key, seen_s FROM {table} "
                f"WHERE key > {p} AND key <= {p} AND seen_s > {p} ON CONFLICT (key) "
                f"DO UPDATE SET seen_s = {self.newest}({into}.seen_s, excluded.seen_s)")

    def level_drop(self, table: str) -> str:
        """Delete a level's keys in a range (after, end]: the roll's keys, moved or expired."""
        return f"DELETE FROM {table} WHERE key > {self.p} AND key <= {self.p}"

    def level_forget(self, table: str) -> str:
        """A key deleted from a level, unless it was seen after the cutoff (the prune's recheck)."""
        return f"DELETE FROM {table} WHERE key = {self.p} AND seen_s <= {self.p}"

    def claim_keys(self, keys: list[bytes], now_s: int, cutoff_s: int, *,
                   shape: int = SHAPE) -> tuple[str, tuple[Any, ...]]:
        """The dedupe statement for ``keys`` (distinct 16-byte keys) seen at ``now_s``, and its parameters.

        PostgreSQL gets one array through ``unnest``: three parameters whatever the number of keys,
        so psycopg parses the statement once and caches it (it caches statements of under 50
        parameters; the VALUES form has two a key). SQLite gets the VALUES form, its rows padded
        to a multiple of ``shape`` by repeating the last key: sqlite3 caches statements by their
        text, so a few shapes stay parsed where one text per number of keys would be parsed again
        for almost every group. A repeat changes nothing: it conflicts with the row the statement
        itself just wrote, whose second is ``now_s``, after the cutoff, so it is not updated (when
        the window is 0 it sets the same second again)."""
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
