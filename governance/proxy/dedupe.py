"""The dedupe step: an event whose ``(source, messageId)`` was seen within the window is a duplicate.

It runs for a whole group commit, inside its transaction: ``claim`` records every key (refreshing
its second) and returns those not seen within the window; ``duplicates`` then names the rows that
are duplicates, a second copy within the same group included. Rejected events (not valid
Segment messages), suppressed users' events (nothing of them is recorded) and events without a
messageId are never deduplicated. A key seen at second ``t`` is a duplicate until second
``t + window``: the window holds to the second.

The key is 16 bytes: BLAKE2b-128 over the length-prefixed source id and the *whole* messageId
(``key_of``; a messageId of more than ``MAX_PLAIN`` characters is first replaced by ``sha256:``
and the SHA-256 of all of it, as the text table before revision 0007 stored it, so the keys that
revision migrated are the keys computed now). The table (``dedupe_keys``, ``WITHOUT ROWID`` on
SQLite, ``bytea`` on PostgreSQL) stores the key once and a second beside it: ~58 bytes a key on
SQLite against ~210 for the text table (``governance bench dedupe``).

Collisions: two different (source, messageId) pairs share a key with probability 2^-128; among
``n`` keys in the window the chance that any two do is about n^2 / 2^129: 2^-65 (3 x 10^-20)
for the 4.3 billion keys of a 24-hour window at 50,000 events/s. A collision would count one
event as ``deduplicated``. Finding one on purpose costs ~2^64 hash evaluations and only lets a
sender drop its own events; another source's key cannot be targeted (2^128 work, and the source
id is part of the hash), so the hash is not keyed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from governance.proxy.counters import Outcome
from governance.proxy.hotsql import HotSQL
from governance.proxy.pipeline import Verdict

Key = bytes  # 16 bytes of BLAKE2b over (source id, messageId)
CHUNK = 512  # keys per statement at most
MAX_PLAIN = 200  # longer messageIds are hashed with SHA-256 first (the text table's rule, kept for 0007's migration)
KEY_BYTES = 16


def id_key(message_id: str) -> str:
    """The messageId as the text table stored it: itself when it fits, else a digest of all of it."""
    if len(message_id) <= MAX_PLAIN:
        return message_id
    return "sha256:" + hashlib.sha256(message_id.encode("utf-8", "surrogatepass")).hexdigest()


def _prefix(source_id: str) -> bytes:
    return f"{len(source_id)}:{source_id}".encode("utf-8", "surrogatepass")


def compact_key(source_id: str, stored_id: str) -> Key:
    """16 bytes of BLAKE2b over the length-prefixed source id and ``stored_id`` (``id_key``'s form):
    the length prefix makes (``ab``, ``c``) and (``a``, ``bc``) two keys."""
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
    blake2b = hashlib.blake2b
    keys: list[Key | None] = []
    for source_id, verdict in rows:
        if never_deduplicated(verdict):
            keys.append(None)
            continue
        prefix = prefixes.get(source_id)
        if prefix is None:
            prefix = prefixes[source_id] = _prefix(source_id)
        text = prefix + id_key(verdict.message_id).encode("utf-8", "surrogatepass")
        keys.append(blake2b(text, digest_size=KEY_BYTES).digest())
    return keys


def claim(cursor: Any, sql: HotSQL, keys: Sequence[Key | None], *, now_s: int, window_s: int) -> set[Key]:
    """Record every key (``keys_of``; ``None`` skipped) as seen at second ``now_s``; return the keys
    not seen within the window (last seen at or before ``now_s - window_s``, or never).

    The keys go in sorted order (neighbours in the B-tree follow one another, so each page is
    found once per statement), in statements of a few fixed shapes so that sqlite3's statement
    cache keeps them parsed."""
    ordered = sorted({key for key in keys if key is not None})
    fresh: set[Key] = set()
    for start in range(0, len(ordered), CHUNK):
        cursor.execute(*sql.claim_keys(ordered[start : start + CHUNK], now_s, now_s - window_s))
        fresh.update(bytes(r[0]) for r in cursor.fetchall())
    return fresh


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
