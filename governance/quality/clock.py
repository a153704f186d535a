"""Injectable time: the scheduler asks a ``Clock``; tests pass a ``ManualClock`` or a plain ``now``.

Everything in the quality and alert code takes ``now`` as an argument (an aware UTC datetime);
only the APScheduler jobs read a clock, so a test can replay two weeks of checks in milliseconds.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time, UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told (thread-safe)."""

    def __init__(self, start: datetime) -> None:
        self._now = as_utc(start)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float = 0.0, **delta: float) -> datetime:
        with self._lock:
            self._now += timedelta(seconds=seconds, **delta)
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = as_utc(moment)


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime (naive values, as SQLite returns them, are taken as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def epoch_minute(moment: datetime) -> int:
    """Minutes since the epoch of ``moment`` (the unit of the proxy's counters)."""
    return int(as_utc(moment).timestamp() // 60)


def floor_time(moment: datetime, seconds: int) -> datetime:
    """``moment`` rounded down to a multiple of ``seconds`` since the epoch (a job's slot)."""
    stamp = int(as_utc(moment).timestamp())
    return datetime.fromtimestamp(stamp - stamp % max(seconds, 1), UTC)


SYSTEM_CLOCK = SystemClock()
