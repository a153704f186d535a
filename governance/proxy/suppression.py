"""The suppressed users a web process must not let through, compact enough for a million of them.

A suppression is a (scope, subject id): the scope is ``*`` (every source) or a source id. The
set answers ``suppressed(source_id, message)`` for each event's ``userId``, ``anonymousId`` and
``previousId`` (so an ``alias`` or an ``identify`` that links an id to a suppressed one is
suppressed too). At a million subjects a ``set`` of strings would take ~130 MB per process, so
two structures share the work:

    a bitmap filter   one bit per slot of Python's own string hash (cached on each ``str``), so
                      a subject that is not suppressed, almost every one, is answered by one
                      index and a shift (~0.1 µs); 2**27 bits = 16 MB holds 1 M subjects at
                      under 1 % false hits
    an exact set      the sorted 8-byte BLAKE2b digests of ``scope + NUL + id`` in an
                      ``array('Q')`` (8 MB per million), searched only after a filter hit

Changes arrive as small deltas (``with_changes``): a new instance shares the base arrays and
the bitmap, and carries the additions and removals since the base in two small sets, so a
suppression reaches the process in one poll even when a million are in force. The bitmap only
ever gains bits (a lifted subject's bit stays: it costs one exact look-up, never a wrong answer),
so sharing it between instances is safe. ``SuppressionView`` (below) keeps the current instance
in step with the database and rebuilds the base when the deltas grow large.

The filter uses this process's string hash, so each process builds its own (hash randomisation
makes it useless across processes, and nothing stores it).
"""

from __future__ import annotations

import hashlib
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from typing import Any

import numpy as np

GLOBAL = "*"
ID_FIELDS = ("userId", "anonymousId", "previousId")


def digest(scope: str, subject: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{scope}\0{subject}".encode(), digest_size=8).digest(), "big")


def _bits_for(expected: int) -> int:
    bits = 1 << 10
    while bits < expected * 128 and bits < 1 << 30:  # ~128 bits a subject: < 1 % false hits
        bits <<= 1
    return bits


class Suppressions:
    """An immutable set of (scope, subject) pairs: a base built once, plus the deltas since."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = (), *, expected: int = 0) -> None:
        """``pairs`` is read once, as a stream (rows from the database); ``expected`` sizes the filter."""
        bits = _bits_for(expected)
        self._mask = bits - 1
        self._bitmap = bytearray(bits >> 3)
        bitmap, mask = self._bitmap, self._mask

        def keys() -> Iterable[int]:
            for scope, subject in pairs:
                slot = hash(subject) & mask
                bitmap[slot >> 3] |= 1 << (slot & 7)
                yield digest(scope, subject)

        exact = np.unique(np.fromiter(keys(), dtype=np.uint64))  # sorted once; searched as array('Q')
        self._exact = array("Q")
        self._exact.frombytes(exact.tobytes())
        self._added: frozenset[int] = frozenset()  # digests suppressed since the base
        self._removed: frozenset[int] = frozenset()  # digests of the base lifted since
        self.count = len(self._exact)

    def __len__(self) -> int:
        return self.count

    @property
    def delta_size(self) -> int:
        return len(self._added) + len(self._removed)

    def _in_base(self, key: int) -> bool:
        i = bisect_left(self._exact, key)
        return i < len(self._exact) and self._exact[i] == key

    def _exactly(self, scope: str, subject: str) -> bool:
        key = digest(scope, subject)
        if key in self._added:
            return True
        return key not in self._removed and self._in_base(key)

    def with_changes(self, changes: Iterable[tuple[str, str, bool]]) -> Suppressions:
        """A new instance with ``(scope, subject, in_force)`` changes applied (this one is unchanged)."""
        added, removed = set(self._added), set(self._removed)
        for scope, subject, in_force in changes:
            key = digest(scope, subject)
            if in_force:
                slot = hash(subject) & self._mask
                self._bitmap[slot >> 3] |= 1 << (slot & 7)  # shared: bits are only ever added
                removed.discard(key)
                if not self._in_base(key):
                    added.add(key)
            else:
                added.discard(key)
                if self._in_base(key):
                    removed.add(key)
        new = object.__new__(Suppressions)
        new._mask, new._bitmap, new._exact = self._mask, self._bitmap, self._exact
        new._added, new._removed = frozenset(added), frozenset(removed)
        new.count = len(self._exact) + len(added) - len(removed)
        return new

    def matches(self, source_id: str, subject: str) -> bool:
        slot = hash(subject) & self._mask
        if not self._bitmap[slot >> 3] >> (slot & 7) & 1:
            return False
        return self._exactly(GLOBAL, subject) or self._exactly(source_id, subject)

    def suppressed(self, source_id: str, message: Any) -> str | None:
        """The suppressed subject id in ``message`` (userId, anonymousId or previousId), or None."""
        if not self.count or message.__class__ is not dict:
            return None
        bitmap, mask = self._bitmap, self._mask
        for field in ID_FIELDS:  # inlined filter test: this runs for every event
            value = message.get(field)
            if value is None:
                continue
            if value.__class__ is not str:
                if isinstance(value, bool) or not isinstance(value, int | float):
                    continue
                value = str(value)
            slot = hash(value) & mask
            if bitmap[slot >> 3] >> (slot & 7) & 1 and (self._exactly(GLOBAL, value)
                                                       or self._exactly(source_id, value)):
                return str(value)
        return None

    def memory_bytes(self) -> int:
        """The structures' own size: the bitmap, the base digests, and ~100 bytes per delta entry."""
        return len(self._bitmap) + self._exact.itemsize * len(self._exact) + 100 * self.delta_size


EMPTY = Suppressions()
