"""The sample policy: which accepted events and which violations are kept whole.

    event samples       at most ``per_minute`` accepted events per (source, event) and minute,
                        for the quality checks (drift, expectations, inferred plans)
    violation samples   the first ``SAMPLES_PER_FINGERPRINT`` events per violation fingerprint
                        (source, event, field, type), for "show me one"

The policy remembers across commits (one per web process): the minute's counts, and the
fingerprints whose samples are complete, so a full fingerprint costs no query.
"""

from __future__ import annotations

from collections import Counter

SAMPLES_PER_FINGERPRINT = 3
_MAX_SLOTS = 100_000  # remembered (source, event, minute) slots before old minutes are forgotten


class SamplePolicy:
    def __init__(self, per_minute: int = 10) -> None:
        self.per_minute = per_minute
        self._taken: Counter[tuple[str, str, int]] = Counter()
        self._full: set[str] = set()

    def start(self, minute: int) -> None:
        """Begin a commit at ``minute`` (forgets minutes before the previous one when memory grows)."""
        if len(self._taken) > _MAX_SLOTS:
            self._taken = Counter({k: v for k, v in self._taken.items() if k[2] >= minute - 1})

    def take_event(self, source_id: str, event: str, minute: int) -> bool:
        """Whether this accepted event is sampled (and count it if so)."""
        slot = (source_id, event, minute)
        if self._taken[slot] < self.per_minute:
            self._taken[slot] += 1
            return True
        return False

    def wants_violation(self, fingerprint: str) -> bool:
        return fingerprint not in self._full

    def stored(self, fingerprint: str, count: int) -> None:
        """``count`` samples of ``fingerprint`` are stored now: remember it when that is enough."""
        if count >= SAMPLES_PER_FINGERPRINT:
            self._full.add(fingerprint)
