"""The sample policy: which accepted events and which violations are kept whole.

    event samples       ``per_minute`` accepted events per (source, event) and minute (all of them
                        when fewer arrived), a uniform sample of that minute's events whatever the
                        traffic's shape, for the quality checks (drift, expectations, inferred plans)
    violation samples   the first ``SAMPLES_PER_FINGERPRINT`` events per violation fingerprint
                        (source, event, field, type), for "show me one"

Event samples are a reservoir per (source, event) and minute, kept by priority (bottom-k): each
forwarded event draws a random priority, and the minute's sample is the ``per_minute`` events of
lowest priority so far. ``take_event`` (the tally, per event) says whether the event enters the
reservoir; ``settle`` (the store, per commit) returns the rows to write and the rows of earlier
commits of the same minute the newcomers pushed out, which the same transaction deletes. So at
every moment the table holds a uniform sample of each minute's events so far: the first events of
a minute after a quiet one, a burst, or bad events arriving after good ones are sampled as often as
any other. The cost is a few writes per minute beyond ``per_minute``: about
``per_minute x ln(n / per_minute)`` pushed-out rows for ``n`` events in the minute (a minute's sample
is final once the minute is over; its memory is dropped then).

The policy lives in one web process (each process samples its own share). After a commit fails,
its entries hold places they have no row for (the minute keeps fewer samples until they are
pushed out, still uniform ones), and a row it would have deleted may stay (one more sample).
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Sequence
from typing import Any

SAMPLES_PER_FINGERPRINT = 3
SampleRow = tuple[str, str, str, bool, str]  # (source_id, kind, event, planned, payload), as the tally makes them


_DELETE = "DELETE FROM event_samples WHERE source_id = ? AND event = ? AND received_at = ? AND payload = ?"


def delete_sql(dialect: str) -> str:
    """The statement deleting one pushed-out sample: ``(source_id, event, received_at, payload)``."""
    return _DELETE.replace("?", "%s") if dialect == "postgresql" else _DELETE


class SamplePolicy:
    def __init__(self, per_minute: int = 10, rng: random.Random | None = None) -> None:
        self.per_minute = per_minute
        # per (source, event, minute): a max-heap of [-priority, order, row, stamp] (row: None until settled)
        self._slots: dict[tuple[str, str, int], list[list[Any]]] = {}
        self._minute: int | None = None
        self._pending: list[list[Any]] = []  # entries taken in this commit, in the tally's order
        self._out: list[list[Any]] = []  # entries pushed out in this commit
        self._order = 0
        self._full: set[str] = set()
        self._random = (rng or random.Random()).random

    def start(self, minute: int) -> None:
        """Begin a commit at ``minute``; the reservoirs of earlier minutes are final and forgotten."""
        self._pending, self._out = [], []
        if minute != self._minute:
            self._slots = {k: v for k, v in self._slots.items() if k[2] >= minute}
            self._minute = minute

    def take_event(self, source_id: str, event: str, minute: int) -> bool:
        """Whether this forwarded event enters its minute's reservoir (it is counted either way)."""
        if self.per_minute <= 0:
            return False
        priority = self._random()
        heap = self._slots.setdefault((source_id, event, minute), [])
        self._order += 1
        if len(heap) < self.per_minute:
            entry = [-priority, self._order, None, None]
            heapq.heappush(heap, entry)
        elif priority < -heap[0][0]:
            entry = [-priority, self._order, None, None]
            self._out.append(heapq.heapreplace(heap, entry))
        else:
            return False
        self._pending.append(entry)
        return True

    def settle(self, rows: Sequence[SampleRow], stamp: Any) -> tuple[list[SampleRow], list[tuple[Any, ...]]]:
        """This commit's sample ``rows`` (one per ``take_event`` that said yes, in order), stored at
        ``stamp``: the rows to insert (not pushed out within the commit) and the keys of the rows
        earlier commits stored that are pushed out (``delete_sql``)."""
        for row, entry in zip(rows, self._pending, strict=False):
            entry[2], entry[3] = row, stamp
        fresh = {id(e) for e in self._pending}
        out = {id(e) for e in self._out}
        keep = [e[2] for e in self._pending if id(e) not in out and e[2] is not None]
        gone = [(e[2][0], e[2][2], e[3], e[2][4]) for e in self._out if id(e) not in fresh and e[2] is not None]
        self._pending, self._out = [], []
        return keep, gone

    def wants_violation(self, fingerprint: str) -> bool:
        return fingerprint not in self._full

    def stored(self, fingerprint: str, count: int) -> None:
        """``count`` samples of ``fingerprint`` are stored now: remember it when that is enough."""
        if count >= SAMPLES_PER_FINGERPRINT:
            self._full.add(fingerprint)
