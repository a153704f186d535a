"""The dedupe step: an event whose ``(source, messageId)`` was seen within the window is a duplicate.

It runs for a whole group commit, inside its transaction: ``claim`` records every key (refreshing
``seen_at``) and returns those not seen within the window; ``duplicates`` then names the rows that
are duplicates, a second copy within the same group included. Rejected events (not valid
Segment messages), suppressed users' events (nothing of them is recorded) and events without a
messageId are never deduplicated.

The key is the *whole* messageId: one of up to ``MAX_PLAIN`` characters is stored as it is; a
longer one as ``sha256:`` and the SHA-256 of all of it, so two ids that differ only after the
200th character are two events (the column holds 200 characters; keys that fit are unchanged,
so the ids already recorded stay valid across the upgrade).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from governance.proxy.counters import Outcome
from governance.proxy.hotsql import HotSQL
from governance.proxy.pipeline import Verdict

Key = tuple[str, str]  # (source id, messageId)
CHUNK = 500  # keys per statement
MAX_PLAIN = 200  # the dedupe.message_id column's length


def id_key(message_id: str) -> str:
    """The stored form of a messageId: itself when it fits, else a digest of all of it."""
    if len(message_id) <= MAX_PLAIN:
        return message_id
    return "sha256:" + hashlib.sha256(message_id.encode("utf-8", "surrogatepass")).hexdigest()


def key_of(source_id: str, verdict: Verdict) -> Key | None:
    """The dedupe key of a verdict, or ``None`` when it is never deduplicated."""
    if not verdict.message_id or verdict.outcome in (Outcome.REJECTED, Outcome.SUPPRESSED):
        return None
    return source_id, id_key(verdict.message_id)


def claim(cursor: Any, sql: HotSQL, rows: Sequence[tuple[str, Verdict]], *, stamp: Any, cutoff: Any) -> set[Key]:
    """Record every row's key as seen at ``stamp``; return the keys not seen since ``cutoff``."""
    keys: dict[Key, None] = {}
    for source_id, verdict in rows:
        key = key_of(source_id, verdict)
        if key is not None:
            keys[key] = None
    ordered = list(keys)
    fresh: set[Key] = set()
    for start in range(0, len(ordered), CHUNK):
        cursor.execute(*sql.claim_keys(ordered[start : start + CHUNK], stamp, cutoff))
        fresh.update((r[0], r[1]) for r in cursor.fetchall())
    return fresh


def duplicates(rows: Sequence[tuple[str, Verdict]], fresh: set[Key]) -> set[int]:
    """Positions of the rows that are duplicates: their key is not fresh, or came earlier in ``rows``."""
    unseen = set(fresh)
    found: set[int] = set()
    for i, (source_id, verdict) in enumerate(rows):
        key = key_of(source_id, verdict)
        if key is None:
            continue
        if key in unseen:
            unseen.discard(key)
        else:
            found.add(i)
    return found
