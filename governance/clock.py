"""Time, in one place: aware UTC datetimes, the injectable clock, and the UTC column type.

Everything in the quality, alert and worker code takes ``now`` as an argument (an aware UTC
datetime); only the APScheduler jobs read a ``Clock``, so a test can replay two weeks of checks in
milliseconds. Tables store times through ``utc_column`` (``UTCDateTime``) and read them back aware,
on SQLite too; values read without it (naive, as SQLite returns them) go through ``as_utc``.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Column, DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(UTC)


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


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time, UTC."""

    def now(self) -> datetime:
        return utcnow()


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


SYSTEM_CLOCK = SystemClock()


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and returned aware (SQLite returns naive datetimes otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        moment = as_utc(value)
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)


def utc_column(*, nullable: bool = False, index: bool = False) -> Any:
    """A fresh ``UTCDateTime`` column (SQLAlchemy columns cannot be shared between fields)."""
    return Column(UTCDateTime(), nullable=nullable, index=index)
