"""The proxy's counters and samples, read into numpy arrays for the checks of one source.

``SourceData(engine, source_id, now)`` answers every question a check asks about one source at
one evaluation time, one grouped query per question (cached for the cycle). Minutes are epoch
minutes; minute ``m`` is complete when ``m < epoch_minute(now)``. Counted events exclude the
``deduplicated`` and ``rejected`` outcomes (retries and unparseable messages are not traffic).
Event ``""`` stands for the whole source (every event of every kind). Complete hours come from
the hourly rollup (``rollup.py``) up to its mark and from the minutes after it; hours before the
proxy counted anything for the source come from imported counts (``history.py``, ``governance
quality backfill``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray
from sqlalchemy import Engine, false, func, or_, select

from governance.clock import as_utc, epoch_minute
from governance.proxy.counters import EVENTS_WITH_VIOLATIONS, NOT_TRAFFIC
from governance.proxy.tables import EventCountRow, EventSampleRow, ViolationCountRow
from governance.proxy.violations import ViolationType
from governance.quality import rollup
from governance.quality.baseline import first_arrival_mask
from governance.quality.baseline.shape import SAMPLES, learned_shape, sample_hours
from governance.quality.history import merge_backfill

# the checks read at most 31 days back (four weeks behind a 48 h gap or three days of decline); one
# more week makes "unknown before the event's first arrival" mean "absent for over a week"
HISTORY_HOURS = 24 * 38
LAST_SEEN_MINUTES = 7 * 24 * 60
RECENT_MINUTES = 120  # the complete minutes ``recent`` reads at most: the longest window a check may judge
SHAPED_HOURS = 3  # the hours ``shapes`` learns: the current one and the two before (a 120-minute window's)
TOTAL = ""
IntArray = NDArray[np.int64]


# complete hours do not change within an hour: a fast cycle reuses what the last cycle of the same hour
# read (hourly history, shapes) and reads only the minutes since for "last seen"; a full cycle reads afresh,
# but for the hour shapes: their minutes lie a day or more back, so every cycle of the hour reuses them
_REUSED: dict[tuple[str, str], dict[str, Any]] = {}
_REUSED_SOURCES = 512


def forget(engine: Engine, source_id: str) -> None:
    """Drop what the cycles of this hour kept for the source: its next read is a fresh one."""
    _REUSED.pop((engine.url.render_as_string(hide_password=True), source_id), None)


class SourceData:
    """Counters of one source as of ``now`` (cached per question for one cycle; with ``reuse``, the
    complete hours another cycle read within the same hour, too)."""

    def __init__(self, engine: Engine, source_id: str, now: datetime, *, reuse: bool = False) -> None:
        self.engine = engine
        self.source_id = source_id
        self.now = as_utc(now)
        self.minute = epoch_minute(self.now)  # the current, incomplete minute
        self.hour = self.minute // 60  # the current, incomplete hour
        self._cache: dict[Any, Any] = {}
        self._key = (engine.url.render_as_string(hide_password=True), source_id)
        self._reuse = reuse
        kept = _REUSED.get(self._key)
        if reuse and kept is not None and kept["hour"] == self.hour:
            self._cache.update({k: v for k, v in kept.items() if k in ("hourly", "coarse", "known", "shape")})

    def _keep(self, **values: Any) -> None:
        kept = _REUSED.get(self._key)
        if kept is None or kept["hour"] != self.hour:
            if len(_REUSED) >= _REUSED_SOURCES:
                _REUSED.clear()
            kept = _REUSED[self._key] = {"hour": self.hour}
        kept.update(values)

    # -- volume -------------------------------------------------------------------------------

    def _counts(self) -> Any:
        t = EventCountRow.__table__  # type: ignore[attr-defined]
        return t, (t.c.source_id == self.source_id) & t.c.outcome.not_in(NOT_TRAFFIC)

    def _hourly_all(self) -> dict[str, IntArray]:
        if "hourly" not in self._cache:
            start = self.hour - HISTORY_HOURS
            series, live_start = rollup.hourly_counts(self.engine, self.source_id, start, self.hour)
            self._cache["coarse"], self._cache["known"] = merge_backfill(
                self.engine, self.source_id, series, start=start, end=self.hour, live_start=live_start, total=TOTAL)
            self._cache["hourly"] = series
            self._keep(hourly=series, coarse=self._cache["coarse"], known=self._cache["known"])
        return self._cache["hourly"]

    def events(self) -> list[str]:
        """The events of the source with counts in the last ``HISTORY_HOURS`` complete hours."""
        return sorted(e for e in self._hourly_all() if e != TOTAL)

    def hourly(self, event: str) -> IntArray:
        """The last ``HISTORY_HOURS`` complete hours of ``event`` (zeros where nothing arrived)."""
        return self._hourly_all().get(event, np.zeros(HISTORY_HOURS, np.int64))

    @property
    def first_hour(self) -> int:
        """The epoch hour of index 0 of ``hourly`` and ``history``."""
        return self.hour - HISTORY_HOURS

    def history(self, event: str, *, coarse: bool = False) -> NDArray[np.float64]:
        """``hourly`` as floats, ``NaN`` (unknown, not zero) before the event's first arrival, in hours
        the source has no data for, and, unless ``coarse``, in hours whose backfilled daily count had
        to be spread evenly."""
        counted = np.where(self._known(), self.hourly(event), np.nan)
        masked = np.where(self._expected(event), np.nan, first_arrival_mask(counted))
        even = self._cache["coarse"].get(event)
        return masked if coarse or even is None else np.where(even, np.nan, masked)

    def _expected(self, event: str) -> NDArray[np.bool_]:
        """The history hours marked expected for ``event`` (or the whole source): taught, left out."""
        if "expected" not in self._cache:
            from governance.quality.teaching import periods_between

            start = datetime.fromtimestamp(self.first_hour * 3600, UTC)
            self._cache["expected"] = periods_between(self.engine, self.source_id, start, self.now, self.now)
        mask = np.zeros(HISTORY_HOURS, bool)
        for scope, starts, ends in self._cache["expected"]:
            if scope in ("", event):
                lo = max(int(starts.timestamp() // 3600) - self.first_hour, 0)
                hi = min(-int(-ends.timestamp() // 3600) - self.first_hour, HISTORY_HOURS)  # hours it touches
                mask[lo:hi] = True
        return mask

    def _known(self) -> NDArray[np.bool_]:
        self._hourly_all()
        known: NDArray[np.bool_] = self._cache["known"]
        return known

    def _shape_minutes(self) -> dict[str, IntArray]:
        """Minute counts ``(SHAPED_HOURS, SAMPLES, 60)`` of the hours that shape the two hours before the
        current one and the current hour.

        They are complete hours a day or more back, so every cycle of the hour (full or fast) reuses
        the first one's read; the rows (events x 20 hours x 60 minutes) are decoded by numpy, not
        one by one (on PostgreSQL with 200 events that loop, not the query, was most of the read)."""
        if "shape" not in self._cache:
            kept = _REUSED.get(self._key)
            if kept is not None and kept["hour"] == self.hour and "shape" in kept:
                self._cache["shape"] = kept["shape"]
                return self._cache["shape"]
            self._cache["shape"] = self._read_shape_minutes()
            self._keep(shape=self._cache["shape"])
        return self._cache["shape"]

    def _read_shape_minutes(self) -> dict[str, IntArray]:
        t, where = self._counts()
        hours = np.asarray([sample_hours(h) for h in self._shaped()])  # [before, previous, current] x SAMPLES
        starts = sorted({int(h) * 60 for h in hours.reshape(-1)})
        ranges = or_(*[(t.c.minute >= m) & (t.c.minute < m + 60) for m in starts])
        query = (select(t.c.event, t.c.minute, func.sum(t.c.count)).where(where, ranges)
                 .group_by(t.c.event, t.c.minute))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        empty = (SHAPED_HOURS, SAMPLES, 60)
        out: dict[str, IntArray] = {TOTAL: np.zeros(empty, np.int64)}
        if not rows:
            return out
        names, minute, n = zip(*rows, strict=True)
        codes: dict[str, int] = {}
        index = np.fromiter((codes.setdefault(name, len(codes)) for name in names), np.int64, len(names))
        minute_arr, n_arr = np.asarray(minute, np.int64), np.asarray(n, np.int64)
        grid = np.zeros((len(codes), *empty), np.int64)
        for i in range(SHAPED_HOURS):  # an hour can shape several (a week back is also seven days back)
            for j in range(SAMPLES):
                hit = minute_arr // 60 == hours[i, j]
                np.add.at(grid, (index[hit], i, j, minute_arr[hit] % 60), n_arr[hit])
        out.update({name: grid[k] for name, k in codes.items() if name != TOTAL})
        out[TOTAL] = grid.sum(axis=0)  # calls without an event name count for the source, as every event does
        return out

    def _shaped(self) -> list[int]:
        return [self.hour - back for back in range(SHAPED_HOURS - 1, -1, -1)]

    def shapes(self, event: str) -> NDArray[np.float64]:
        """Learned cumulative shares ``(SHAPED_HOURS, SUB + 1)`` of the two hours before the current one
        and the current hour of ``event``, oldest first (days before the event's first arrival are left out)."""
        minutes = self._shape_minutes().get(event, np.zeros((SHAPED_HOURS, SAMPLES, 60), np.int64)).astype(np.float64)
        history = self.history(event)
        for i, hour in enumerate(self._shaped()):
            for j, sample in enumerate(sample_hours(hour)):
                k = sample - self.first_hour
                if not (0 <= k < history.size and np.isfinite(history[k])):
                    minutes[i, j] = np.nan
        return learned_shape(minutes)

    def _recent_all(self, minutes: int) -> dict[str, IntArray]:
        """The last ``minutes`` complete minutes of every event; one read a cycle for the longest asked."""
        cached = self._cache.get("recent")
        if cached is None or cached[TOTAL].size < minutes:
            t, where = self._counts()
            start = self.minute - minutes
            query = (select(t.c.event, t.c.minute, func.sum(t.c.count))
                     .where(where, t.c.minute >= start, t.c.minute < self.minute)
                     .group_by(t.c.event, t.c.minute))
            series: dict[str, IntArray] = {TOTAL: np.zeros(minutes, np.int64)}
            with self.engine.connect() as conn:
                for event, minute, n in conn.execute(query):
                    series.setdefault(event, np.zeros(minutes, np.int64))[int(minute) - start] += int(n)
                    if event != TOTAL:
                        series[TOTAL][int(minute) - start] += int(n)
            self._cache["recent"] = series
        return self._cache["recent"]

    def recent(self, event: str, minutes: int = 60) -> IntArray:
        """The last ``minutes`` (at most ``RECENT_MINUTES``) complete minutes of ``event``, oldest first."""
        if not 1 <= minutes <= RECENT_MINUTES:
            raise ValueError(f"recent reads 1..{RECENT_MINUTES} minutes, not {minutes}")
        series = self._recent_all(minutes).get(event)
        return np.zeros(minutes, np.int64) if series is None else series[-minutes:]

    def minutes_since_seen(self, event: str) -> float | None:
        """Complete minutes since ``event`` last arrived (0: in the last complete minute); ``None``: not
        within a week."""
        if "seen" not in self._cache:
            self._cache["seen"] = self._last_seen()
        last = self._cache["seen"].get(event)
        return None if last is None else float(self.minute - 1 - last)

    def _last_seen(self) -> dict[str, int]:
        """The last minute each event arrived within a week; with ``reuse``, only the minutes since the
        previous cycle of this hour are read."""
        kept = _REUSED.get(self._key)
        since = self.minute - LAST_SEEN_MINUTES
        seen: dict[str, int] = {}
        if self._reuse and kept is not None and kept["hour"] == self.hour and "seen" in kept:
            seen = {e: m for e, m in kept["seen"].items() if m >= since}
            since = max(since, kept["seen_until"] - 1)
        for event, m in rollup.last_seen(self.engine, self.source_id, since, self.minute).items():
            seen[event] = max(seen.get(event, -1), m)
        seen.pop(TOTAL, None)
        if seen:
            seen[TOTAL] = max(seen.values())
        self._keep(seen=seen, seen_until=self.minute)
        return seen

    # -- violations ----------------------------------------------------------------------------

    def event_totals(self, window: int) -> dict[str, int]:
        """Events per event name over the last ``window`` minutes, the current one so far included
        (``""``: all)."""
        key = ("events", window)
        if key not in self._cache:
            t, where = self._counts()
            query = (select(t.c.event, func.sum(t.c.count))
                     .where(where, t.c.minute > self.minute - window, t.c.minute <= self.minute)
                     .group_by(t.c.event))
            with self.engine.connect() as conn:
                totals = {event: int(n) for event, n in conn.execute(query)}
            totals[TOTAL] = sum(totals.values())
            self._cache[key] = totals
        return self._cache[key]

    def violation_totals(self, window: int, types: Sequence[str] | None = None) -> dict[str, int]:
        """Per event name over the last ``window`` minutes, the current one included (``""``: all): events with any
        violation, or — when ``types`` is given — violations of those types."""
        key = ("violations", window, tuple(types or ()))
        if key not in self._cache:
            t = ViolationCountRow.__table__  # type: ignore[attr-defined]
            query = select(t.c.event, func.sum(t.c.count)).where(
                t.c.source_id == self.source_id, t.c.minute > self.minute - window, t.c.minute <= self.minute)
            query = query.where(t.c.type.in_(list(types)) if types else t.c.type == EVENTS_WITH_VIOLATIONS)
            with self.engine.connect() as conn:
                totals = {event: int(n) for event, n in conn.execute(query.group_by(t.c.event))}
            totals[TOTAL] = sum(totals.values())
            self._cache[key] = totals
        return self._cache[key]

    # -- unplanned -----------------------------------------------------------------------------

    def unplanned_events(self, window: int) -> dict[str, int]:
        """Unplanned track events seen over the last ``window`` minutes, the current one so far included
        (a name is a fact, not a statistic: it alerts within seconds), with counts."""
        t, where = self._counts()
        query = (select(t.c.event, func.sum(t.c.count))
                 .where(where, t.c.planned == false(), t.c.kind == "track", t.c.event != "",
                        t.c.minute > self.minute - window, t.c.minute <= self.minute)
                 .group_by(t.c.event))
        with self.engine.connect() as conn:
            return {event: int(n) for event, n in conn.execute(query) if n}

    def unplanned_properties(self, window: int) -> dict[tuple[str, str], int]:
        """``(event, field)`` of unplanned properties over the last ``window`` minutes (the current one
        included), with counts."""
        t = ViolationCountRow.__table__  # type: ignore[attr-defined]
        query = (select(t.c.event, t.c.field, func.sum(t.c.count))
                 .where(t.c.source_id == self.source_id, t.c.type == ViolationType.UNPLANNED_PROPERTY,
                        t.c.minute > self.minute - window, t.c.minute <= self.minute)
                 .group_by(t.c.event, t.c.field))
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
