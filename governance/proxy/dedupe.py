"""The dedupe step: an event whose ``(source, messageId)`` was seen within the window is a duplicate.

It runs for a whole group commit, inside its transaction: ``claim`` records every key (refreshing
its second) and returns those not seen within the window; ``duplicates`` then names the rows that
are duplicates, a second copy within the same group included. Rejected events (not valid
Segment messages), suppressed users' events (nothing of them is recorded) and events without a
messageId are never deduplicated. A key seen at second ``t`` is a duplicate until second
``t + window``: the window holds to the second.

The key is 16 bytes (``compact_key``, since revision 0010), a pure function of the source id and
the *whole* messageId (a messageId of more than ``MAX_PLAIN`` characters is first replaced by
``sha256:`` and the SHA-256 of all of it, as the text table before revision 0007 stored it), so a
retry hours later finds it. Its first byte is a tag for one of two key spaces that never meet:

    TIMED (0x01)    the id embeds the time it was made (``embedded_ms``: ``ajs-next-<ms>-<uuid>``
                    of analytics.js, ``node-next-<ms>-<uuid>`` of analytics-node, a UUIDv7's
                    48-bit milliseconds): that time in ticks of 4 ms (5 bytes, big-endian), then
                    10 bytes of BLAKE2b over the length-prefixed source id and the id. Keys of one
                    moment sit side by side at the right edge of the B-tree, so a group commit
                    dirties the few leaves of the last moments instead of a leaf per key.
    HASHED (0x00)   any other id (UUIDv4s, anything else): 15 bytes of that BLAKE2b, spread over
                    the whole space as before.

The embedded time only places the key; it decides nothing. The window is about arrival: a key
seen at second ``t`` (``seen_s``, the server's clock) is a duplicate until ``t + window``, whatever
time the id claims, so an id whose clock is skewed, or an old event replayed days later, is
deduplicated exactly as any other (its key merely lands left of the edge). An id claiming a
time past 2^40 ticks (the year 2109) or a malformed one is HASHED. Pruning reads each key's
``seen_s`` (the worker sweeps each level in key order; no ``seen_s`` index since 0011), never
the key's time.

Keys recorded before revision 0010 are in the older form (``legacy_key``: BLAKE2b-128 over the
source id and the id). The revision writes down the last second any of them was seen
(``dedupe_legacy``); until that second leaves the window, the claim also looks up the older form
of each key it calls fresh (``legacy_seen``), so a duplicate of an event seen before the upgrade is
still caught.

Collisions: two different (source, messageId) pairs share a key only in one space. HASHED: 2^-120
a pair; among the ``n`` keys of the window about n^2 / 2^121, 7 x 10^-18 for the 4.3 billion keys
of a 24-hour window at 50,000 events/s. TIMED: only ids of the same 4 ms tick can meet, 2^-80 a
pair: at 50,000 events/s (200 ids a tick), 21.6 million ticks x 200^2 / 2 / 2^80 = 3.6 x 10^-13
a day. A collision would count one event as ``deduplicated``. Finding one on purpose costs ~2^40
hash evaluations and only lets a sender drop its own events; another source's key cannot be
targeted (2^80 work at least, and the source id is part of the hash), so the hash is not keyed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

from governance.proxy.counters import Outcome
from governance.proxy.hotsql import DEDUPE_TABLES, HotSQL
from governance.proxy.pipeline import Verdict

Key = bytes  # 16 bytes: a tag, then the id's second and BLAKE2b (TIMED) or BLAKE2b alone (HASHED)
CHUNK = 512  # keys per statement at most
TABLES = DEDUPE_TABLES  # the window's levels, newest first: dedupe_l0 .. dedupe_l3, then dedupe_keys
LEVELS = len(TABLES) - 1  # the levels that roll into the next one (dedupe_keys is the last)
# keys a level holds before its roll moves the excess to the next level: 32 times the one before.
# The first is small enough that a group commit's random keys share its ~30 leaves; a level's roll
# writes each leaf of the next one once a pass, which the 32x ratio spreads over 32 passes' keys
TARGETS = (4096, 131_072, 4_194_304, 134_217_728)
MOVE = 8192  # keys a roll moves from one level at most
MAX_PLAIN = 200  # longer messageIds are hashed with SHA-256 first (the text table's rule, kept for 0007's migration)
KEY_BYTES = 16
HASHED, TIMED = b"\x00", b"\x01"  # the key spaces' tags
TICK_MS = 4  # the embedded time's unit: 4 ms (a finer order clusters better: capacity.md, phase 6)
TIME_BYTES = 5  # the embedded time in ticks, big-endian: 2^40 ticks of 4 ms reach the year 2109
MAX_TICK = 1 << (8 * TIME_BYTES)
# the SDKs' time-first ids: ajs-next-<ms>-... / node-next-<ms>-... (analytics-next), and UUIDv7
_EMBEDDED = re.compile(r"(?:ajs|node)-next-([0-9]{1,15})-|([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-7[0-9a-fA-F]{3}-"
                       r"[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}\Z")


def id_key(message_id: str) -> str:
    """The messageId as the text table stored it: itself when it fits, else a digest of all of it."""
    if len(message_id) <= MAX_PLAIN:
        return message_id
    return "sha256:" + hashlib.sha256(message_id.encode("utf-8", "surrogatepass")).hexdigest()


def _prefix(source_id: str) -> bytes:
    return f"{len(source_id)}:{source_id}".encode("utf-8", "surrogatepass")


def embedded_ms(stored_id: str) -> int | None:
    """The milliseconds an id says it was made at (``ajs-next-<ms>-``, ``node-next-<ms>-``, a
    UUIDv7's first 48 bits), or ``None``."""
    found = _EMBEDDED.match(stored_id)
    if found is None:
        return None
    digits, high, low = found.groups()
    return int(digits) if digits is not None else int(high + low, 16)


def _key(prefix: bytes, stored_id: str) -> Key:
    text = prefix + stored_id.encode("utf-8", "surrogatepass")
    ms = embedded_ms(stored_id)
    if ms is not None and ms // TICK_MS < MAX_TICK:
        digest = hashlib.blake2b(text, digest_size=KEY_BYTES - 1 - TIME_BYTES).digest()
        return TIMED + (ms // TICK_MS).to_bytes(TIME_BYTES, "big") + digest
    return HASHED + hashlib.blake2b(text, digest_size=KEY_BYTES - 1).digest()


def compact_key(source_id: str, stored_id: str) -> Key:
    """The key of ``stored_id`` (``id_key``'s form) for ``source_id``: TIMED or HASHED (the module's
    docstring); the length prefix makes (``ab``, ``c``) and (``a``, ``bc``) two keys."""
    return _key(_prefix(source_id), stored_id)


def legacy_key(source_id: str, stored_id: str) -> Key:
    """The key as revisions 0007 to 0009 recorded it: 16 bytes of BLAKE2b over the length-prefixed
    source id and ``stored_id``."""
    return hashlib.blake2b(_prefix(source_id) + stored_id.encode("utf-8", "surrogatepass"),
                           digest_size=KEY_BYTES).digest()


def never_deduplicated(verdict: Verdict) -> bool:
    return not verdict.message_id or verdict.outcome in (Outcome.REJECTED, Outcome.SUPPRESSED)


def key_of(source_id: str, verdict: Verdict) -> Key | None:
    """The dedupe key of a verdict, or ``None`` when it is never deduplicated."""
    if never_deduplicated(verdict):
        return None
    return compact_key(source_id, id_key(verdict.message_id))


def keys_of(rows: Sequence[tuple[str, Verdict]]) -> list[Key | None]:
    """``key_of`` of every row, computed once for ``claim`` and ``duplicates`` (a group's rows come
    from a few sources: each source's length-prefixed id is encoded once)."""
    prefixes: dict[str, bytes] = {}
    keys: list[Key | None] = []
    for source_id, verdict in rows:
        if never_deduplicated(verdict):
            keys.append(None)
            continue
        prefix = prefixes.get(source_id)
        if prefix is None:
            prefix = prefixes[source_id] = _prefix(source_id)
        keys.append(_key(prefix, id_key(verdict.message_id)))
    return keys


def claim(cursor: Any, sql: HotSQL, keys: Sequence[Key | None], *, now_s: int, window_s: int) -> set[Key]:
    """Record every key (``keys_of``; ``None`` skipped) seen at second ``now_s`` and not seen within
    the window (last seen at or before ``now_s - window_s``, or never); return those keys.

    SQLite (one writer): one statement looks the keys up in every level (``probe``); the others go
    into the first level (``dedupe_l0``) and are the fresh ones, since the caller's transaction holds
    the write lock (``db.writer``) from the lookup to the commit. Nothing is read back from the
    insert: each row a ``RETURNING`` yields is a step of its own, which hands the GIL to the event
    loop and waits to get it back (docs/operations/capacity.md, phase 11). PostgreSQL:
    ``_claim_postgres``. A key seen within the window is not touched: the window counts from its
    first arrival. The keys go in sorted order, in statements of a few fixed shapes."""
    ordered = sorted({key for key in keys if key is not None})
    cutoff_s = now_s - window_s
    if sql.postgres:
        return _claim_postgres(cursor, sql, ordered, now_s=now_s, cutoff_s=cutoff_s)
    held: set[Key] = set()
    for start in range(0, len(ordered), CHUNK):
        cursor.execute(*sql.probe(ordered[start : start + CHUNK], cutoff_s))
        held.update(bytes(r[0]) for r in cursor.fetchall())
    new = [key for key in ordered if key not in held]
    for start in range(0, len(new), CHUNK):
        cursor.execute(*sql.claim_keys(new[start : start + CHUNK], now_s, cutoff_s))
    return set(new)


def _claim_postgres(cursor: Any, sql: HotSQL, ordered: list[Key], *, now_s: int, cutoff_s: int) -> set[Key]:
    """PostgreSQL, where several web processes claim at once and nothing locks a table: every key
    goes into ``dedupe_l0`` first (``ON CONFLICT``: a key it holds within the window, committed or
    being committed by another process, is not returned); then one statement (one snapshot, taken
    after the insert) looks the returned keys up in the deeper levels, and those found there are
    duplicates, deleted again from ``dedupe_l0`` in this transaction (their first arrival stands).

    Why no key slips between the levels: only a claim puts a key into ``dedupe_l0``, and a second
    claim of the same key waits for this transaction's row; the roll moves keys down in single
    statements (``HotSQL.level_roll``: a ``DELETE ... RETURNING`` feeding the next level's
    ``INSERT``), so every snapshot sees a recorded key in some level. A key that was not in
    ``dedupe_l0`` when this insert checked (or that the roll was deleting from it: the insert waits
    for the roll) is therefore in a deeper level in the lookup's later snapshot."""
    fresh: set[Key] = set()
    for start in range(0, len(ordered), CHUNK):
        cursor.execute(*sql.claim_keys(ordered[start : start + CHUNK], now_s, cutoff_s))
        fresh.update(bytes(r[0]) for r in cursor.fetchall())
    listed = sorted(fresh)
    deeper: set[Key] = set()
    for start in range(0, len(listed), CHUNK):
        cursor.execute(*sql.probe_deeper(listed[start : start + CHUNK], cutoff_s))
        deeper.update(bytes(r[0]) for r in cursor.fetchall())
    if deeper:
        cursor.execute(sql.forget_l0, (sorted(deeper),))
    return fresh - deeper


# every key of the window with its latest second, whichever levels hold it (for readers, not the hot path)
_LEVELS_UNION = " UNION ALL ".join(f"SELECT key, seen_s FROM {t}" for t in TABLES)  # noqa: S608 (table names)
WINDOW_SQL = f"SELECT key, max(seen_s) AS seen_s FROM ({_LEVELS_UNION}) AS w GROUP BY key"  # noqa: S608
ROLL_LOCK = 0x6465_6475_7065  # PostgreSQL advisory lock: one roll at a time ("dedupe")
LEVEL_0_COUNT = "SELECT count(*) FROM dedupe_l0"
LEVELS_SQL = "SELECT level, keys, after FROM dedupe_levels ORDER BY level"


def roll_lock(cursor: Any) -> bool:
    """PostgreSQL: take the roll's advisory lock for this transaction, unless another process has it."""
    cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", (ROLL_LOCK,))
    return bool(cursor.fetchone()[0])


def first_level_keys(cursor: Any) -> int:
    """The keys ``dedupe_l0`` holds, counted (on PostgreSQL a scan of its pages, dead rows included)."""
    cursor.execute(LEVEL_0_COUNT)
    return int(cursor.fetchone()[0])


def roll(cursor: Any, sql: HotSQL, *, cutoff_s: int, first_keys: int | None = None) -> dict[int, int]:
    """Move the keys past each level's target (``TARGETS``) down one level, ``MOVE`` at most a level,
    in key order from where that level's last roll stopped (the roll after the one that reached a
    level's end starts at its first key): a key range, copied by one ``INSERT ... SELECT`` and
    deleted by one ``DELETE``, nothing per key in Python. Keys last seen at or before ``cutoff_s``
    are dropped, not moved. Returns the keys taken from each level.

    On SQLite the roll holds the write lock. On PostgreSQL one process rolls at a time (an advisory
    lock); claims write only ``dedupe_l0`` and the prune only deletes expired keys, and each level's
    range moves in one statement (``HotSQL.level_roll``), which deletes exactly the keys it copies:
    a key a claim adds to the range meanwhile stays for the next roll; no table is locked.

    It runs after every group commit (SQLite: in its transaction; PostgreSQL: in one of its own, and
    only in the process that gets the advisory lock), so each level gives up about what it receives
    and stays near its target. ``first_keys``, when given, is the caller's estimate of
    ``dedupe_l0``'s keys (``dedupe_pg.FirstLevel``: on PostgreSQL counting them scans every page the
    table's dead rows fill between two vacuums); otherwise they are counted. A moved key lands beside
    its neighbours in key order: the next level's leaves are written once per pass of the roll, not
    once per key."""
    if sql.postgres and not roll_lock(cursor):
        return {}
    cursor.execute(LEVELS_SQL)
    levels: dict[int, list[Any]] = {level: [0, None] for level in range(LEVELS)}  # a level without a row: empty
    levels.update({int(level): [int(n), None if after is None else bytes(after)]
                   for level, n, after in cursor.fetchall()})
    levels[0][0] = first_level_keys(cursor) if first_keys is None else first_keys
    taken: dict[int, int] = {}
    for level in range(LEVELS):
        over = levels[level][0] - TARGETS[level]
        if over <= 0:
            continue
        after = levels[level][1] or b""
        end = _chunk_end(cursor, sql, level, after, min(over, MOVE))
        taken[level], live = _move(cursor, sql, level, after, end, cutoff_s)
        levels[level][0] -= taken[level]
        levels[level][1] = None if end == PAST_LAST else end  # past the level's last key: the next roll starts over
        if level + 1 < LEVELS:
            levels[level + 1][0] += live
    for level in set(taken) | {lv + 1 for lv in taken if lv + 1 < LEVELS}:
        cursor.execute(sql.level_state, (level, max(0, levels[level][0]), levels[level][1]))
    return taken


PAST_LAST = b"\xff" * (KEY_BYTES + 1)  # greater than every key


def _chunk_end(cursor: Any, sql: HotSQL, level: int, after: Key, count: int) -> Key:
    """The ``count``-th key of ``level`` after ``after``, or ``PAST_LAST`` when fewer are left."""
    cursor.execute(sql.level_nth(TABLES[level]), (after, count - 1))
    row = cursor.fetchone()
    return PAST_LAST if row is None else bytes(row[0])


def _move(cursor: Any, sql: HotSQL, level: int, after: Key, end: Key, cutoff_s: int) -> tuple[int, int]:
    """Move the keys of ``level`` in (``after``, ``end``] to the next level, the expired ones
    dropped; (keys taken, keys moved). SQLite: a copy, then a delete (nothing else writes meanwhile);
    PostgreSQL: one statement, which claims may run beside."""
    if sql.postgres:
        cursor.execute(sql.level_roll(TABLES[level], TABLES[level + 1]), (after, end, cutoff_s))
        gone, moved = cursor.fetchone()
        return int(gone), int(moved)
    cursor.execute(sql.level_move(TABLES[level], TABLES[level + 1]), (after, end, cutoff_s))
    moved = max(0, cursor.rowcount)
    cursor.execute(sql.level_drop(TABLES[level]), (after, end))
    return max(0, cursor.rowcount), moved


def duplicates(keys: Sequence[Key | None], fresh: set[Key]) -> set[int]:
    """Positions of the rows that are duplicates (``keys`` from ``keys_of``): their key is not
    fresh, or came earlier in the group."""
    unseen = set(fresh)
    found: set[int] = set()
    for i, key in enumerate(keys):
        if key is None:
            continue
        if key in unseen:
            unseen.discard(key)
        else:
            found.add(i)
    return found


LEGACY_SQL = "SELECT max(last_seen_s) FROM dedupe_legacy"


def legacy_last_seen(cursor: Any) -> int | None:
    """The last second a key of the older form was seen (``dedupe_legacy``), or ``None``."""
    cursor.execute(LEGACY_SQL)
    row = cursor.fetchone()
    return None if row is None or row[0] is None else int(row[0])


def legacy_seen(cursor: Any, sql: HotSQL, rows: Sequence[tuple[str, Verdict]], keys: Sequence[Key | None],
                fresh: set[Key], *, cutoff_s: int) -> set[Key]:
    """The keys of ``fresh`` whose event was recorded in the older form (``legacy_key``) after
    ``cutoff_s``: duplicates of events seen before revision 0010."""
    older: dict[Key, Key] = {}
    for (source_id, verdict), key in zip(rows, keys, strict=True):
        if key is not None and key in fresh:
            older[legacy_key(source_id, id_key(verdict.message_id))] = key
    listed = sorted(older)
    found: set[Key] = set()
    for start in range(0, len(listed), CHUNK):
        cursor.execute(*sql.seen_since(listed[start : start + CHUNK], cutoff_s))
        found.update(older[bytes(r[0])] for r in cursor.fetchall())
    return found
