"""The proxy's counters and samples, read into numpy arrays for the checks of one source.

``SourceData(engine, source_id, now)`` answers every question a check asks about one source at
one evaluation time, one grouped query per question (cached for the cycle). Minutes are epoch
minutes; minute ``m`` is complete when ``m < epoch_minute(now)``. Counted events exclude the
``deduplicated`` and ``rejected`` outcomes (retries and unparseable messages are not traffic).
Event ``""`` stands for the whole source (every event of every kind).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray
from sqlalchemy import Engine, false, func, select

from governance.clock import as_utc, epoch_minute
from governance.proxy.counters import EVENTS_WITH_VIOLATIONS, NOT_TRAFFIC
from governance.proxy.tables import EventCountRow, EventSampleRow, ViolationCountRow
from governance.proxy.violations import ViolationType

HISTORY_HOURS = 24 * 29  # four weeks of same-hour-of-week history, plus the level lookback
LAST_SEEN_MINUTES = 7 * 24 * 60
TOTAL = ""
IntArray = NDArray[np.int64]


class SourceData:
    """Counters of one source as of ``now`` (cached per question for one cycle)."""

    def __init__(self, engine: Engine, source_id: str, now: datetime) -> None:
        self.engine = engine
        self.source_id = source_id
        self.now = as_utc(now)
        self.minute = epoch_minute(self.now)  # the current, incomplete minute
        self.hour = self.minute // 60  # the current, incomplete hour
        self._cache: dict[Any, Any] = {}

    # -- volume -------------------------------------------------------------------------------

    def _counts(self) -> Any:
        t = EventCountRow.__table__  # type: ignore[attr-defined]
        return t, (t.c.source_id == self.source_id) & t.c.outcome.not_in(NOT_TRAFFIC)

    def _hourly_all(self) -> dict[str, IntArray]:
        if "hourly" not in self._cache:
            t, where = self._counts()
            start = self.hour - HISTORY_HOURS
            hour = (t.c.minute // 60).label("h")
            query = (select(t.c.event, hour, func.sum(t.c.count))
                     .where(where, t.c.minute >= start * 60, t.c.minute < self.hour * 60)
                     .group_by(t.c.event, hour))  # fmt: skip
            series: dict[str, IntArray] = {TOTAL: np.zeros(HISTORY_HOURS, np.int64)}
            with self.engine.connect() as conn:
                for event, h, n in conn.execute(query):
                    row = series.setdefault(event, np.zeros(HISTORY_HOURS, np.int64))
                    row[int(h) - start] += int(n)
                    if event != TOTAL:
                        series[TOTAL][int(h) - start] += int(n)
            self._cache["hourly"] = series
        return self._cache["hourly"]

    def hourly(self, event: str) -> IntArray:
        """Complete hours of ``event`` up to the current hour, from its first hour with traffic.

        Hours before the event existed are left out: zeros there would drag its baseline down.
        """
        series = self._hourly_all().get(event)
        if series is None or not series.any():
            return np.zeros(0, np.int64)
        return series[int(np.argmax(series > 0)) :]

    def _recent_all(self) -> dict[str, IntArray]:
        if "recent" not in self._cache:
            t, where = self._counts()
            start = self.minute - 60
            query = (select(t.c.event, t.c.minute, func.sum(t.c.count))
                     .where(where, t.c.minute >= start, t.c.minute < self.minute)
                     .group_by(t.c.event, t.c.minute))  # fmt: skip
            series: dict[str, IntArray] = {TOTAL: np.zeros(60, np.int64)}
            with self.engine.connect() as conn:
                for event, minute, n in conn.execute(query):
                    series.setdefault(event, np.zeros(60, np.int64))[int(minute) - start] += int(n)
                    if event != TOTAL:
                        series[TOTAL][int(minute) - start] += int(n)
            self._cache["recent"] = series
        return self._cache["recent"]

    def recent(self, event: str) -> IntArray:
        """The last 60 complete minutes of ``event``, oldest first."""
        return self._recent_all().get(event, np.zeros(60, np.int64))

    def minutes_since_seen(self, event: str) -> float | None:
        """Complete minutes since ``event`` last arrived (0: in the last complete minute); ``None``: not
        within a week."""
        if "seen" not in self._cache:
            t, where = self._counts()
            query = (select(t.c.event, func.max(t.c.minute))
                     .where(where, t.c.count > 0, t.c.minute >= self.minute - LAST_SEEN_MINUTES,
                            t.c.minute < self.minute)
                     .group_by(t.c.event))  # fmt: skip
            with self.engine.connect() as conn:
                seen = {event: int(m) for event, m in conn.execute(query)}
            if seen:
                seen[TOTAL] = max(seen.values())
            self._cache["seen"] = seen
        last = self._cache["seen"].get(event)
        return None if last is None else float(self.minute - 1 - last)

    # -- violations ----------------------------------------------------------------------------

    def event_totals(self, window: int) -> dict[str, int]:
        """Events per event name over the last ``window`` complete minutes (``""``: all)."""
        key = ("events", window)
        if key not in self._cache:
            t, where = self._counts()
            query = (select(t.c.event, func.sum(t.c.count))
                     .where(where, t.c.minute >= self.minute - window, t.c.minute < self.minute)
                     .group_by(t.c.event))  # fmt: skip
            with self.engine.connect() as conn:
                totals = {event: int(n) for event, n in conn.execute(query)}
            totals[TOTAL] = sum(totals.values())
            self._cache[key] = totals
        return self._cache[key]

    def violation_totals(self, window: int, types: Sequence[str] | None = None) -> dict[str, int]:
        """Per event name over the last ``window`` complete minutes (``""``: all): events with any
        violation, or — when ``types`` is given — violations of those types."""
        key = ("violations", window, tuple(types or ()))
        if key not in self._cache:
            t = ViolationCountRow.__table__  # type: ignore[attr-defined]
            query = select(t.c.event, func.sum(t.c.count)).where(
                t.c.source_id == self.source_id, t.c.minute >= self.minute - window, t.c.minute < self.minute)
            query = query.where(t.c.type.in_(list(types)) if types else t.c.type == EVENTS_WITH_VIOLATIONS)
            with self.engine.connect() as conn:
                totals = {event: int(n) for event, n in conn.execute(query.group_by(t.c.event))}
            totals[TOTAL] = sum(totals.values())
            self._cache[key] = totals
        return self._cache[key]

    # -- unplanned -----------------------------------------------------------------------------

    def unplanned_events(self, window: int) -> dict[str, int]:
        """Unplanned track events seen over the last ``window`` complete minutes, with counts."""
        t, where = self._counts()
        query = (select(t.c.event, func.sum(t.c.count))
                 .where(where, t.c.planned == false(), t.c.kind == "track", t.c.event != "",
                        t.c.minute >= self.minute - window, t.c.minute < self.minute)
                 .group_by(t.c.event))  # fmt: skip
        with self.engine.connect() as conn:
            return {event: int(n) for event, n in conn.execute(query) if n}

    def unplanned_properties(self, window: int) -> dict[tuple[str, str], int]:
        """``(event, field)`` of unplanned properties over the last ``window`` minutes, with counts."""
        t = ViolationCountRow.__table__  # type: ignore[attr-defined]
        query = (select(t.c.event, t.c.field, func.sum(t.c.count))
                 .where(t.c.source_id == self.source_id, t.c.type == ViolationType.UNPLANNED_PROPERTY,
                        t.c.minute >= self.minute - window, t.c.minute < self.minute)
                 .group_by(t.c.event, t.c.field))  # fmt: skip
        with self.engine.connect() as conn:
            return {(event, field): int(n) for event, field, n in conn.execute(query) if n}

    # -- samples -------------------------------------------------------------------------------

    def samples(self, event: str, *, start_minutes_ago: int, end_minutes_ago: int, limit: int) -> list[Any]:
        """Decoded sampled events received in ``[now - start, now - end)``, newest first."""
        t = EventSampleRow.__table__  # type: ignore[attr-defined]
        query = select(t.c.payload).where(
            t.c.source_id == self.source_id,
            t.c.received_at >= self.now - timedelta(minutes=start_minutes_ago),
            t.c.received_at < self.now - timedelta(minutes=end_minutes_ago),
        )
        if event:
            query = query.where(t.c.event == event)
        query = query.order_by(t.c.received_at.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [orjson.loads(payload) for (payload,) in conn.execute(query)]
