"""The drops' bar against a central estimate, from three weeks of same-hour-of-week samples on.

The low estimate (the lower middle of the week samples, or the seven days' median where lower) is a
low order statistic of noisy samples: biased low by a different amount at each hour. A weekend hour's
seven days' median is the weekdays'; an hour whose week samples scatter has a lower middle well under
their median. The level against the low corrects the lookback's *average* bias, so where the judged
hour's low is biased more than the lookback's, the drops' bar ``low x level`` stands under the rate and
a half drop (0.5 of it) passes.

Where the week samples of an hour agree (the largest at most ``agree`` times the least: no campaign,
holiday or outage among them), their median is the hour's *central* estimate. The level against it
(``recent_level(observed, central)`` over the same lookback hours, those whose samples agree) says
how today compares with those weeks, and ``central x level`` is the judged hour's rate with its own
estimate in it. The drops' bar is raised to that where it is higher, never above ``low x drop_cap``;
it is never lowered (a quiet event's short dip is judged as before). Where the samples disagree, or
before three weeks of them, the bar is the low's.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from governance.quality.baseline.seasonal import HOURS_PER_WEEK, MIN_WEEKS, quiet, samples

FloatArray = NDArray[np.float64]


def week_central(counts: ArrayLike, hours: ArrayLike, weeks: int, agree: float) -> FloatArray:
    """The median of the same-hour-of-week samples of target ``hours`` (indexes into ``counts``
    ``(events, T)``) where at least ``MIN_WEEKS`` stand and the largest is at most ``agree`` times the
    least; ``NaN`` elsewhere."""
    c = np.atleast_2d(np.asarray(counts, dtype=np.float64))
    weekly = samples(c, np.asarray(hours, dtype=np.int64).reshape(-1), HOURS_PER_WEEK, weeks)
    n = (~np.isnan(weekly)).sum(-1)
    with quiet():
        median = np.nanmedian(weekly, axis=-1)
        together = np.nanmax(weekly, axis=-1) <= agree * np.nanmin(weekly, axis=-1)
    return np.asarray(np.where((n >= MIN_WEEKS) & together, median, np.nan))


def central_scale(scale: ArrayLike, low: ArrayLike, central: ArrayLike, level: ArrayLike, cap: float) -> FloatArray:
    """The drops' scale of the judged hour's low estimate ``low``: ``scale`` (the level against the low, capped),
    raised to ``central x level / low`` (at most ``cap``) where the hour has a central estimate and that is
    higher."""
    old = np.asarray(scale, dtype=np.float64)
    lo, c = np.asarray(low, dtype=np.float64), np.asarray(central, dtype=np.float64)
    usable = np.isfinite(lo) & np.isfinite(c) & (lo > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(usable, c * np.asarray(level, dtype=np.float64) / np.where(usable, lo, 1.0), 0.0)
    return np.asarray(np.where(usable, np.maximum(old, np.minimum(ratio, cap)), old))
