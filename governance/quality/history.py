"""Backfilled counts merged into the hourly history the checks read (``SourceData.hourly``).

Live counts win from the first hour the proxy counted anything for the source in the window;
before it, hours come from ``quality_backfill``, and an hour neither counted is unknown, not zero.
A daily count is spread over its hours by the event's own hour-of-day profile (the share of each
hour over the days with hourly counts), when at least two such days exist; otherwise evenly, and
those hours are *coarse*: the volume and silence checks treat them as unknown, the decline check
(which sums whole days) uses them.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Engine, select

from governance.quality.tables import BackfillRow

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


def merge_backfill(engine: Engine, source_id: str, series: dict[str, IntArray], *, start: int, end: int,
                   live_start: int | None, total: str = "") -> tuple[dict[str, BoolArray], BoolArray]:
    """Add backfilled hours before ``live_start`` (or all, when the window has no live count) into
    ``series`` (epoch hours ``start`` .. ``end``, in place); returns the coarse hours per event and
    the hours the source has any data for (live, or backfilled for some event)."""
    until = end if live_start is None else min(live_start, end)
    known = np.zeros(end - start, bool)
    known[until - start :] = True
    if until <= start:
        return {}, known
    t = BackfillRow.__table__  # type: ignore[attr-defined]
    query = select(t.c.event, t.c.hour, t.c.hours, t.c.count).where(
        t.c.source_id == source_id, t.c.hour >= start - 23, t.c.hour < until)
    daily: list[tuple[str, int, int]] = []
    size = end - start
    with engine.connect() as conn:
        for event, hour, hours, count in conn.execute(query):
            if hours == 24:
                daily.append((event, int(hour), int(count)))
                known[max(int(hour) - start, 0) : max(min(int(hour) + 24, until) - start, 0)] = True
            elif start <= hour < until:
                known[int(hour) - start] = True
                for name in (event, total):
                    series.setdefault(name, np.zeros(size, np.int64))[int(hour) - start] += int(count)
    coarse: dict[str, BoolArray] = {}
    profiles = {event: _profile(series.get(event), start) for event in {e for e, _, _ in daily}}  # hourly data only
    for event, hour, count in daily:
        spread, even = _spread(profiles[event], hour, count)
        for h, n in enumerate(spread):
            i = hour + h - start
            if 0 <= i < until - start:
                for name in (event, total):
                    series.setdefault(name, np.zeros(size, np.int64))[i] += int(n)
                if even:
                    coarse.setdefault(event, np.zeros(size, bool))[i] = True
    return coarse, known


def _spread(profile: NDArray[np.float64] | None, day_hour: int, count: int) -> tuple[IntArray, bool]:
    """``count`` over the 24 hours from ``day_hour``: by the hour-of-day ``profile``, else evenly."""
    even = profile is None
    weights = np.full(24, 1 / 24) if profile is None else np.roll(profile, -(day_hour % 24))
    raw = weights * count
    out = np.floor(raw).astype(np.int64)
    out[np.argsort(raw - out)[::-1][: count - int(out.sum())]] += 1  # largest remainders: the sum is exact
    return out, even


def _profile(hourly: IntArray | None, start: int) -> NDArray[np.float64] | None:
    """Share of each hour of the day (UTC) over the whole days with any count, from two such days."""
    if hourly is None:
        return None
    first = (-start) % 24  # index of the first 00:00 UTC
    days = (hourly.size - first) // 24
    if days < 2:
        return None
    grid = hourly[first : first + days * 24].reshape(days, 24).astype(np.float64)
    full = grid[grid.sum(1) > 0]
    if len(full) < 2:
        return None
    by_hour = full.sum(0)
    return np.asarray(by_hour / by_hour.sum())
