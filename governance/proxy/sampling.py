"""The sample policy: which accepted events and which violations are kept whole.

    event samples       about ``per_minute`` accepted events per (source, event) and minute,
                        spread uniformly over the minute, for the quality checks (drift,
                        expectations, inferred plans); never more than ``CAP x per_minute``
    violation samples   the first ``SAMPLES_PER_FINGERPRINT`` events per violation fingerprint
                        (source, event, field, type), for "show me one"

The policy remembers across commits (one per web process): the minute's counts, and the
fingerprints whose samples are complete, so a full fingerprint costs no query.

Event samples are a rate, decided on arrival (a sample is written in the commit of its event, so
a reservoir that replaces earlier picks is not an option): each forwarded event is kept with
probability ``per_minute / n``, where ``n`` is the larger of the slot's count in the previous
minute and its count so far in this one. At a steady rate every event of the minute has the same
chance, so events arriving after the first ``per_minute`` are seen as often as those before
them; in the first minute of a slot the chance falls as ``per_minute / i`` (the first
``per_minute`` are all kept, later ones still have a chance). The cap keeps a spike from filling
the table: once ``CAP x per_minute`` are taken, the rest of the minute is not sampled.
"""

from __future__ import annotations

import random

SAMPLES_PER_FINGERPRINT = 3
CAP = 3  # at most this many times ``per_minute`` event samples per slot and minute
_MAX_SLOTS = 100_000  # remembered (source, event, minute) slots before old minutes are forgotten


class SamplePolicy:
    def __init__(self, per_minute: int = 10, rng: random.Random | None = None) -> None:
        self.per_minute = per_minute
        self._seen: dict[tuple[str, str, int], int] = {}  # forwarded events per slot and minute
        self._taken: dict[tuple[str, str, int], int] = {}
        self._cap = CAP * per_minute
        self._full: set[str] = set()
        self._random = (rng or random.Random()).random

    def start(self, minute: int) -> None:
        """Begin a commit at ``minute`` (forgets minutes before the previous one when memory grows)."""
        if len(self._seen) > _MAX_SLOTS:
            self._seen = {k: v for k, v in self._seen.items() if k[2] >= minute - 1}
            self._taken = {k: v for k, v in self._taken.items() if k[2] >= minute - 1}

    def take_event(self, source_id: str, event: str, minute: int) -> bool:
        """Whether this forwarded event is sampled (it is counted either way)."""
        slot = (source_id, event, minute)
        seen = self._seen[slot] = self._seen.get(slot, 0) + 1
        n = self._seen.get((source_id, event, minute - 1), 0)
        n = seen if seen > n else n
        if n > self.per_minute and self._random() * n >= self.per_minute:
            return False
        taken = self._taken.get(slot, 0)
        if taken >= self._cap:
            return False
        self._taken[slot] = taken + 1
        return True

    def wants_violation(self, fingerprint: str) -> bool:
        return fingerprint not in self._full

    def stored(self, fingerprint: str, count: int) -> None:
        """``count`` samples of ``fingerprint`` are stored now: remember it when that is enough."""
        if count >= SAMPLES_PER_FINGERPRINT:
            self._full.add(fingerprint)
