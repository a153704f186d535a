"""Expected counts for the volume and silence checks: a robust seasonal baseline per hour.

``seasonal_baseline`` is the median of the same hour over past weeks (or days, with a weekday
factor, while there are fewer than three weeks); ``level_baselines`` scales it to today's level
measured over the last hours, which absorbs day-to-day wobble; ``window_baseline`` turns hourly
baselines into the expected count and spread of a trailing window of minutes.
See ``docs/quality/detection.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

MAD_SCALE = 1.4826  # MAD -> standard deviation for normal data
HOURS_PER_WEEK = 168
WEEKDAY_HALF_WIDTH = 6
WEEKDAY_HISTORY = HOURS_PER_WEEK  # hours of history the weekday factor needs
WEEKDAY_WARMUP_ERROR = 0.13  # a factor from one week also holds that day's level wobble


@dataclass(frozen=True)
class Baseline:
    """Expected events per hour and robust spread, shape = the series' leading shape."""

    expected: FloatArray
    spread: FloatArray
    method: str  # "weekly" | "daily" | "none", "+level" when adjusted to the recent level
    samples: int

    def at(self, index: Any) -> Baseline:
        """The baseline of one series (or a selection) of a batch."""
        return Baseline(self.expected[index], self.spread[index], self.method, self.samples)


def seasonal_baseline(
    hourly: ArrayLike,
    hour: int | None = None,
    *,
    weeks: int = 4,
    days: int = 7,
    min_weeks: int = 3,
    weekday: bool = True,
    min_spread: float = 1.0,
) -> Baseline:
    """Baseline for ``hour`` (default: the hour after the series) of hourly counts ``(..., hours)``.

    Median of the same hour-of-week over the previous ``weeks`` weeks when at least ``min_weeks``
    exist (3: a median of two is their mean, one bad week would move it), else median of the same
    hour-of-day over the previous ``days`` days, times ``weekday_factor`` once a week of history
    exists. Spread: ``max(1.4826 * MAD, sqrt(expected), min_spread)``, so Poisson noise alone
    never looks anomalous.
    """
    series = np.asarray(hourly, dtype=np.float64)
    t = series.shape[-1] if hour is None else hour
    weekly = [t - HOURS_PER_WEEK * k for k in range(1, weeks + 1) if t - HOURS_PER_WEEK * k >= 0]
    if len(weekly) >= min_weeks:
        index, method = weekly, "weekly"
    else:
        index, method = [t - 24 * k for k in range(1, days + 1) if t - 24 * k >= 0], "daily"
    if not index:
        nan = np.full(series.shape[:-1], np.nan)
        return Baseline(nan, nan.copy(), "none", 0)
    if max(index) >= series.shape[-1]:
        raise ValueError(f"hour {t} needs history up to index {max(index)}, series has {series.shape[-1]}")
    sample = series[..., index]
    expected = np.median(sample, axis=-1)
    mad = np.median(np.abs(sample - expected[..., None]), axis=-1) * MAD_SCALE
    if method == "daily" and weekday and t >= WEEKDAY_HISTORY:
        factor = weekday_factor(series, t)
        expected, mad, method = expected * factor, mad * factor, "daily+weekday"
    spread = np.maximum(np.maximum(mad, np.sqrt(expected)), min_spread)
    return Baseline(expected, spread, method, len(index))


def weekday_factor(series: FloatArray, t: int) -> FloatArray:
    """How last week's same weekday compared with the six days after it, around hour ``t - 168``.

    For 13 hours around ``t - 168`` (shifted later while the earlier ones do not exist): each
    one's count over the median of the same hour on the six following days (all past); the factor
    is the median of the 13 ratios: a weekend gets its dip, a weekday about 1, and an anomaly of
    up to 3 hours last week cannot move it. With one week of history it also carries that day's
    level wobble, which ``level_baselines`` cancels.
    """
    first = max(t - HOURS_PER_WEEK - WEEKDAY_HALF_WIDTH, 0)
    last_week = first + np.arange(2 * WEEKDAY_HALF_WIDTH + 1)
    reference = np.median(series[..., last_week[:, None] + 24 * np.arange(1, 7)], axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratios = np.where(reference > 0, series[..., last_week] / reference, 1.0)
    return np.asarray(np.clip(np.median(ratios, axis=-1), 0.2, 5.0))


def recent_level(
    observed: ArrayLike, expected: ArrayLike, *, clip: tuple[float, float] = (0.5, 2.0)
) -> tuple[FloatArray, FloatArray]:
    """Today's level against the seasonal baseline, from recent complete hours ``(..., hours)``.

    Returns the median observed/expected ratio (clipped; 1 without usable hours) and the relative
    error of the level-adjusted baseline: the robust scatter (1.4826 * MAD) of those ratios less
    their own Poisson part ``1 / count`` (the window adds its Poisson noise itself), plus the
    standard error of the median. The median shrugs off an anomaly covering < half the hours.
    """
    obs = np.asarray(observed, dtype=np.float64)
    exp = np.asarray(expected, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(exp > 0, obs / exp, np.nan)
    usable = np.asarray(~np.isnan(ratio).all(axis=-1))
    filled = np.where(usable[..., None], ratio, 1.0)
    level = np.clip(np.nanmedian(filled, axis=-1), *clip)
    scatter = MAD_SCALE * np.nanmedian(np.abs(filled - level[..., None]), axis=-1) / level
    poisson = 1.0 / np.maximum(level * np.median(exp, axis=-1), 1.0)
    hours = np.maximum((~np.isnan(ratio)).sum(axis=-1), 1)
    # shape error (scatter minus its Poisson part) plus the error of the median level itself
    error = np.sqrt(np.maximum(scatter**2 - poisson, 0.0) + (1.2533 * scatter) ** 2 / hours)
    return np.where(usable, level, 1.0), np.where(usable, error, 0.0)


def adjust(
    base: Baseline, level: ArrayLike, error: ArrayLike, *, min_error: float = 0.1, min_spread: float = 1.0
) -> Baseline:
    """``base`` scaled to the recent level; spread = relative error (>= ``min_error``) x expected."""
    expected = base.expected * np.asarray(level, dtype=np.float64)
    spread = np.maximum(np.maximum(np.asarray(error), min_error) * expected, min_spread)
    return Baseline(expected, spread, base.method + "+level", base.samples)


def level_baselines(
    hourly: ArrayLike, hour: int | None = None, *, lookback: int = 12, min_error: float = 0.1, **seasonal: Any
) -> tuple[Baseline, Baseline]:
    """Level-adjusted baselines of ``hour`` (default: the current, incomplete hour) and the one before.

    The level comes from the ``lookback`` complete hours that end two hours before ``hour``, so a
    trailing window of up to 60 minutes never judges itself. With the weekday factor on every one
    of these hours it cancels within a day, leaving only the change from one weekday to the next.
    Warm-up (a week of history, but not yet for the lookback hours, ``weekday_consistent``):
    yesterday's level mixes its weekday effect with its wobble, so the hour gets its seasonal
    baseline and weekday factor without level, with an error floor of ``WEEKDAY_WARMUP_ERROR``.
    """
    series = np.asarray(hourly, dtype=np.float64)
    t = series.shape[-1] if hour is None else hour
    weekday = seasonal.pop("weekday", True)
    consistent = weekday and weekday_consistent(t, lookback)
    now, previous = (seasonal_baseline(series, h, weekday=weekday, **seasonal) for h in (t, t - 1))
    if weekday and not consistent and t >= WEEKDAY_HISTORY:  # warm-up: see the docstring
        ones, floor = np.ones(series.shape[:-1]), np.full(series.shape[:-1], WEEKDAY_WARMUP_ERROR)
        return adjust(now, ones, floor, min_error=min_error), adjust(previous, ones, floor, min_error=min_error)
    past = [h for h in range(t - 1 - lookback, t - 1) if h >= 0]
    if not past:
        return now, previous
    expected = np.stack([seasonal_baseline(series, h, weekday=weekday, **seasonal).expected for h in past], axis=-1)
    level, error = recent_level(series[..., past], expected)
    return adjust(now, level, error, min_error=min_error), adjust(previous, level, error, min_error=min_error)


def weekday_consistent(hour: int, lookback: int) -> bool:
    """Whether every hour ``level_baselines`` looks at for ``hour`` can have a weekday factor."""
    return hour - 1 - lookback >= WEEKDAY_HISTORY


def window_baseline(
    now: Baseline, previous: Baseline, *, window: int, minute_of_hour: ArrayLike, min_spread: float = 1.0
) -> tuple[FloatArray, FloatArray]:
    """Expected count and spread of the trailing ``window`` minutes (<= 60) ending now.

    ``minute_of_hour`` complete minutes lie in the current hour, the rest in the previous one;
    each hour contributes pro rata. The hourly spread (an error of level) scales linearly and adds
    in quadrature to the window's own Poisson noise ``sqrt(expected)``.
    """
    if not 1 <= window <= 60:
        raise ValueError("window must be 1..60 minutes")
    in_now = np.minimum(window, np.asarray(minute_of_hour, dtype=np.float64))
    in_prev = window - in_now
    expected = (in_now * now.expected + in_prev * previous.expected) / 60.0
    level_error = (in_now * now.spread + in_prev * previous.spread) / 60.0
    return expected, np.maximum(np.sqrt(level_error**2 + expected), min_spread)
