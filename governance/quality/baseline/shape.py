"""How an hour's events spread over its minutes: a shape learned from the same hour of recent days.

An hourly estimate says how many events an hour should hold, not when inside it. Spreading them
evenly turns a steep morning ramp into a false drop (its first 20 minutes hold far fewer than a
third), and a batch that stops at 17:00 in UTC+5:30 (11:30 UTC) into a false silence at 11:40.
So the shape of each hour is learned, minute by minute, from the same hour of the week on the
last ``WEEKS`` weeks (from three of them: a Friday night that turns into Saturday at 00:00 local
has its own shape) or else on the last ``DAYS`` days. Each sample hour is first normalised to
shares of its own total (a weekend, a holiday or an outage only changes the level, not the
shape), hours holding less than a quarter of the typical one of their group (the days, the weeks:
the hour a weekend begins is quieter than the same hour on weekdays, and still its own best
shape) are left out, and the **median**
share of each minute is taken (a batch that started early on two days of seven puts nothing into
the minutes before its usual start). When the medians hold less than half of the hour (an hour
that only sometimes sees a batch's last minutes), the mean share is used instead. The result is
shrunk towards an even spread by ``PSEUDO`` (3) events: a quiet event has no shape to learn.

The shares of the current and the previous hour are all the checks need (their windows lie in
those two hours); the checks read those minutes from the database by indexed ranges, the bench
from its arrays.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from governance.quality.baseline.seasonal import quiet

FloatArray = NDArray[np.float64]
SUB = 60  # an hour's shape is learned minute by minute
DAYS = 7  # the same hour on this many previous days
WEEKS = 4  # ... or the same hour of the week on this many previous weeks (from three)
SAMPLES = DAYS + WEEKS
PSEUDO = 3.0  # events of even spread mixed into every learned shape (few: an empty minute stays nearly empty)


def sample_hours(hour: int) -> list[int]:
    """The hours that shape ``hour``: the same hour on each of the previous ``DAYS`` days, then the
    same hour of the week on each of the previous ``WEEKS`` weeks."""
    return [hour - 24 * j for j in range(1, DAYS + 1)] + [hour - 168 * k for k in range(1, WEEKS + 1)]


def learned_shape(minutes: ArrayLike) -> FloatArray:
    """Cumulative shares ``(..., SUB + 1)`` (0 .. 1) from minute counts ``(..., SAMPLES, 60)`` of
    the ``sample_hours``; a sample of ``NaN`` (before the event's first arrival) is left out;
    without any usable sample the spread is even."""
    m = np.asarray(minutes, dtype=np.float64)
    totals = m.sum(-1)  # NaN for unknown samples
    with quiet():
        # each group (the days, the weeks) against its own typical total: the hour of the week a weekend
        # begins holds a fraction of the same hour on weekdays, and is still its own best shape
        group = np.arange(SAMPLES) >= DAYS
        typical = np.where(group, np.nanmedian(totals[..., DAYS:], axis=-1, keepdims=True),
                           np.nanmedian(totals[..., :DAYS], axis=-1, keepdims=True))
        usable = np.isfinite(totals) & (totals >= np.maximum(5.0, 0.25 * np.nan_to_num(typical)))
        weekly = usable[..., DAYS:].sum(-1, keepdims=True) >= 3
        chosen = np.where(weekly, np.arange(SAMPLES) >= DAYS, np.arange(SAMPLES) < DAYS) & usable
        shares = np.where(chosen[..., None], m / np.where(chosen, totals, 1.0)[..., None], np.nan)
        median = np.nan_to_num(np.nanmedian(shares, axis=-2))
        mean = np.nan_to_num(np.nanmean(shares, axis=-2))
        size = np.nan_to_num(np.nanmedian(np.where(chosen, totals, np.nan), axis=-1, keepdims=True))
    parts = np.where(median.sum(-1, keepdims=True) >= 0.5, median, mean)
    total = parts.sum(-1, keepdims=True)
    parts = np.where(total > 0, parts / np.where(total > 0, total, 1.0), 1.0 / SUB)
    shares_out = (parts * size + PSEUDO / SUB) / (size + PSEUDO)
    return np.concatenate([np.zeros((*shares_out.shape[:-1], 1)), np.cumsum(shares_out, axis=-1)], axis=-1)


def even_shape(shape: tuple[int, ...] = ()) -> FloatArray:
    return np.broadcast_to(np.linspace(0.0, 1.0, SUB + 1), (*shape, SUB + 1)).copy()


def share_until(cum: ArrayLike, fraction: ArrayLike) -> FloatArray:
    """Share of an hour's events before ``fraction`` (0 .. 1) of it.

    ``cum``: cumulative shares ``(..., SUB + 1)``; ``fraction``: ``(..., n)`` with the same leading
    shape; the result is ``(..., n)``.
    """
    c = np.asarray(cum, dtype=np.float64)
    x = np.clip(np.asarray(fraction, dtype=np.float64), 0.0, 1.0) * SUB
    k = np.minimum(np.floor(x).astype(np.int64), SUB - 1)
    lo, hi = np.take_along_axis(c, k, -1), np.take_along_axis(c, k + 1, -1)
    return np.asarray(lo + (hi - lo) * (x - k))


class ShapeLookup:
    """``share_until`` on rows of a table of cumulative shares, without copying them: ``table[rows, index]``.

    ``table``: ``(events, hours, SUB + 1)``; ``index``: the hour of each ``(events, ...)`` query
    (broadcast against the fractions asked for).
    """

    def __init__(self, table: NDArray[np.floating], index: ArrayLike) -> None:
        self.table = table
        self.index = np.asarray(index, dtype=np.int64)

    def until(self, fraction: ArrayLike) -> FloatArray:
        x = np.clip(np.asarray(fraction, dtype=np.float64), 0.0, 1.0) * SUB
        index = np.broadcast_to(self.index, x.shape)
        rows = np.broadcast_to(np.arange(self.table.shape[0]).reshape((-1,) + (1,) * (x.ndim - 1)), x.shape)
        k = np.minimum(np.floor(x).astype(np.int64), SUB - 1)
        lo = self.table[rows, index, k].astype(np.float64)
        hi = self.table[rows, index, k + 1].astype(np.float64)
        return np.asarray(lo + (hi - lo) * (x - k))
