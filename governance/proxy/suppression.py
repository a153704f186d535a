"""The suppressed users a web process must not let through, compact enough for a million of them.

A suppression is a (scope, subject id): the scope is ``*`` (every source) or a source id. The
set answers ``suppressed(source_id, message)`` for each event's ``userId``, ``anonymousId`` and
(for ``alias``) ``previousId``. At a million subjects a ``set`` of strings would take ~130 MB per
process, so two structures share the work:

    a bitmap filter   one bit per slot of Python's own string hash (cached on each ``str``), so
                      a subject that is not suppressed, almost every one, is answered by one
                      index and a shift (~0.1 µs); 2**27 bits = 16 MB holds 1 M subjects at
                      under 1 % false hits
    an exact set      the sorted 8-byte BLAKE2b digests of ``scope + NUL + id`` in an
                      ``array('Q')`` (8 MB per million), searched only after a filter hit

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


class Suppressions:
    """An immutable set of (scope, subject) pairs; built once per change, swapped atomically."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = (), *, expected: int = 0) -> None:
        """``pairs`` is read once, as a stream (rows from the database); ``expected`` sizes the filter."""
        bits = 1 << 10
        while bits < expected * 128 and bits < 1 << 30:  # ~128 bits a subject: < 1 % false hits
            bits <<= 1
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
        self.count = len(self._exact)

    def __len__(self) -> int:
        return self.count

    def _exactly(self, scope: str, subject: str) -> bool:
        key = digest(scope, subject)
        i = bisect_left(self._exact, key)
        return i < len(self._exact) and self._exact[i] == key

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
        return len(self._bitmap) + self._exact.itemsize * len(self._exact)


EMPTY = Suppressions()
