"""What an hour should hold: a low and a high estimate from the same hour of past weeks and days.

For each target hour, from the complete hourly counts before it (``NaN``: no data, e.g. before the
event first arrived or before the proxy ran):

- **one week or more**: the same hour of the week (from three weeks their median, which shrugs
  off one holiday, campaign or outage, the lower middle value of four for the low estimate and the
  upper one for the high; one value, or the lower and the higher of two) against the
  median of the same hour on the last seven days. The *low* estimate is the smaller, the *high*
  estimate the larger. Drops and silences are judged against the low one, spikes against the
  high one: a weekend that was quiet last week is quiet again (low), and a Monday after a holiday,
  or after an outage and a holiday on the two Mondays before, is not a spike (high); with one or
  two weeks, the high one is at least the upper quartile of the seven days (``high_days`` of
  ``ModelParams``: outages and a weekend among them no longer make a normal weekday a spike); with
  one week, a week sample that was a spike against the hours around it that day counts, for the low
  one, as what those hours say it held (``week_spike``, ``_spike_free``);
- **no week yet**: only hours in the *weekday core*, Monday 12:00 to Friday 12:00 UTC, are
  judged, against the same hour on earlier core days (two days: the lower and the higher; three
  or more: their median). A weekend in any time zone from UTC-12 to UTC+12 lies outside the
  core, so the first weekend is never judged against weekdays; such hours are *learning*. With
  one earlier core day only, an hour is still learning for drops and spikes, but it has a floor
  (``SILENCE_ONLY``): half of the least of that day's hour and its two neighbours, so a busy
  event's outage to zero is a silence from the second core day on. In the first week, an hour's
  floor is never more than the hours either side of it held on its core days: a schedule's edge
  moves by minutes from day to day, and a few days do not say by how much. For the low estimate
  alone, an earlier day's hour outside the core that held at least ``first_week_like`` of the lowest
  core day's is a sample too: the install's first hours, before a campaign that covered every core day.

The *floor* of an hour, what a silence may count on, is the low estimate less one robust spread
of its samples (from three samples on): an hour whose samples swing between nothing and a lot,
like the minutes around a batch's start or end, counts for nothing. So does an hour that was
quiet (fewer than ``EDGE`` events) on one of its same-hour-of-week samples (in the first week: on
one of its core days): the edge of a schedule that starts or stops a few minutes off its usual
minute is quiet on some days and not on others, and a silence must not count on it. Before three
weeks of samples, an hour of the week under half of the same hour on other days (the night a
weekend begins, for an event that rests on weekends) counts for nothing either: its shape is still
learned from the other days.

Events that are legitimately zero for hours or days (batch jobs, business hours, weekdays only)
get zero estimates for those hours and nothing is expected of them.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

HOURS_PER_WEEK = 168
MIN_WEEKS = 3  # same-hour-of-week samples for the median alone
MAD_SCALE = 1.4826  # MAD -> standard deviation for normal data
CORE_START, CORE_END = 12, 4 * 24 + 12  # hour of the (Monday-based) week: Monday 12:00 .. Friday 12:00 UTC
UNLIKE = 0.5  # ... and so is, before three weeks, an hour of the week under this share of other days'
EDGE = 1.0  # a same-hour sample below this many events was quiet: the hour's floor is 0
BUSY = 20.0  # ... and so is an hour quiet on a recent day whose hour before or after held this many (an edge)
ONE_DAY_SHARE = 0.5  # first week, one earlier core day at an hour: a silence may count on half of its least busy
KNOWN, NEEDS_DAYS, NEEDS_WEEK, NEVER_SEEN, SILENCE_ONLY = 0, 1, 2, 3, 4
FLOOR_KNOWN = (KNOWN, SILENCE_ONLY)  # learning codes whose hour has a floor a silence may count on
LEARNING = {
    NEEDS_DAYS: "waits for 2 days of history at this hour of the day",
    SILENCE_ONLY: "waits for 2 days of history at this hour of the day (a silence is judged from one: an outage "
                  "of a busy event to zero needs less evidence than a half drop)",
    NEEDS_WEEK: "waits for one week of history: until then, Friday 12:00 to Monday 12:00 UTC is only "
                "learned, never judged against weekdays",
    NEVER_SEEN: "waits for the event's first arrival",
}


def hour_of_week(epoch_hour: ArrayLike) -> IntArray:
    """Hours since Monday 00:00 UTC (0..167) of epoch hours (1970-01-01 was a Thursday)."""
    return np.asarray((np.asarray(epoch_hour, dtype=np.int64) + 3 * 24) % HOURS_PER_WEEK)


def in_core(epoch_hour: ArrayLike) -> NDArray[np.bool_]:
    """Whether epoch hours lie in the weekday core (Monday 12:00 to Friday 12:00 UTC)."""
    how = hour_of_week(epoch_hour)
    return np.asarray((how >= CORE_START) & (how < CORE_END))


@dataclass(frozen=True)
class HourEstimates:
    """Per event and target hour: the low and high estimates (``NaN`` while learning)."""

    low: FloatArray
    high: FloatArray
    floor: FloatArray  # what a silence may count on: the low estimate less one robust spread of its samples
    weeks: IntArray  # same-hour-of-week samples behind the estimate
    learning: IntArray  # KNOWN, or the LEARNING code of what it waits for
    week_low: FloatArray  # the same-hour-of-week low the low mixed in (``week_low_weeks``), else NaN (``week_level``)
    high_gap: FloatArray  # the high estimate without ``high_days``: what a silence's first hour may still owe


def samples(counts: FloatArray, hours: IntArray, step: int, n: int) -> FloatArray:
    """``counts[..., h - step * k]`` for k = 1..n, NaN where the index is before the series."""
    idx = hours[:, None] - step * np.arange(1, n + 1)[None, :]
    valid = (idx >= 0) & (idx < counts.shape[-1])
    picked = counts[..., np.clip(idx, 0, counts.shape[-1] - 1)]
    return np.where(valid, picked, np.nan)


def _spread_pick(samples: FloatArray, n: IntArray) -> tuple[FloatArray, FloatArray]:
    """Low and high of a small sample: from three values the lower and the upper median (the two middle
    values of an even count: with two campaign weeks of four, their mean was half a campaign too high),
    else the min and the max."""
    ordered = np.sort(samples, axis=-1)  # NaN last
    with quiet():
        lo, hi = np.nanmin(samples, axis=-1), np.nanmax(samples, axis=-1)
    k = np.clip(n, 1, None)[..., None]
    lower = np.take_along_axis(ordered, (k - 1) // 2, -1)[..., 0]
    upper = np.take_along_axis(ordered, k // 2, -1)[..., 0]
    few = n < MIN_WEEKS
    return np.where(few, lo, lower), np.where(few, hi, upper)


def estimate_hours(hourly: ArrayLike, first_hour: int, hours: ArrayLike, *, weeks: int = 4,
                   days: int = 7, week_low_weeks: int = MIN_WEEKS, high_days: float = 0.5,
                   weekend_peer: bool = False, week_spike: float = 0.0, first_week_like: float = 0.0
                   ) -> HourEstimates:
    """Estimates for target ``hours`` (indexes into ``hourly`` ``(events, T)``, may be >= T).

    ``first_hour`` is the epoch hour of index 0 (it places the weekday core). ``week_low`` is
    reported where one to ``week_low_weeks - 1`` same-hour-of-week samples stand behind the estimate
    (``week_level``; the default, three, is weeks 1-2 of samples). ``high_days``: with one or two
    weeks of samples, the high estimate is at least this quantile of the last seven days' same hour
    (the lower of the two values it falls between; 0.5: their median, as the low estimate takes).
    ``weekend_peer``: with one week of samples, a Sunday hour's low is at most Saturday's (``_weekend_peer``).
    ``week_spike``, ``first_week_like``: ``_spike_free`` (week 2), ``_first_week_like`` (0: off; not the floor).
    """
    counts = np.atleast_2d(np.asarray(hourly, dtype=np.float64))
    h = np.asarray(hours, dtype=np.int64).reshape(-1)
    weekly = samples(counts, h, HOURS_PER_WEEK, weeks)  # (E, H, weeks)
    daily = samples(counts, h, 24, days)  # (E, H, days)
    n_weeks = (~np.isnan(weekly)).sum(-1)
    n_days = (~np.isnan(daily)).sum(-1)
    with quiet():
        week_median = np.nanmedian(weekly, axis=-1)
        day_median = np.nanmedian(daily, axis=-1)
    week_lo, week_hi = _spread_pick(weekly, n_weeks)
    mixed = n_days >= MIN_WEEKS
    low = np.where(mixed, np.fmin(week_lo, day_median), week_lo)
    if weekend_peer:
        low = _weekend_peer(low, daily, first_hour + h, mixed & (n_weeks == 1), day_median)
    floor_low = low  # the floor (silences) reads the low before ``week_spike`` and ``first_week_like``
    if week_spike > 0:
        low = np.where(mixed & (n_weeks == 1), _spike_free(counts, h, low, week_lo, day_median, days, week_spike), low)
    unraised = np.where(mixed, np.fmax(week_hi, day_median), week_hi)
    raised = mixed & (n_weeks >= 1) & (n_weeks < MIN_WEEKS)
    high = _raised_high(unraised, daily, raised, high_days)
    # no week yet: the weekday core, against earlier core days only
    sample_core = in_core(first_hour + h[:, None] - 24 * np.arange(1, days + 1)[None, :])
    core_days = np.where(sample_core, daily, np.nan)
    n_core = (~np.isnan(core_days)).sum(-1)
    _, core_hi = _spread_pick(core_days, n_core)
    with quiet():  # the lowest core day: one to three days of a campaign are most of a first week
        core_lo = np.nanmin(core_days, axis=-1)
    target_core = np.broadcast_to(in_core(first_hour + h), n_weeks.shape)
    first_week = n_weeks == 0
    usable = target_core & (n_core >= 2)
    low = np.where(first_week, np.where(usable, core_lo, np.nan), low)
    floor_low = np.where(first_week, low, floor_low)
    if first_week_like > 0:
        low = np.where(first_week & usable, _first_week_like(low, daily, sample_core, core_lo, first_week_like), low)
    high = np.where(first_week, np.where(usable, core_hi, np.nan), high)
    one_day = first_week & target_core & (n_core == 1)
    learning = np.where(~first_week | usable, KNOWN,
                        np.where(one_day, SILENCE_ONLY, np.where(target_core, NEEDS_DAYS, NEEDS_WEEK)))
    learning = np.where(np.asarray(~np.isnan(counts).all(axis=-1))[:, None], learning, NEVER_SEEN)  # not yet arrived
    edge = np.where(first_week, _quiet_sample(core_days), _quiet_sample(weekly)) | _edge_day(counts, h, daily, days)
    floor = _floor(floor_low, weekly, core_days, first_week, n_weeks, n_core, edge
                   | (mixed & (n_weeks >= 1) & (n_weeks < MIN_WEEKS) & (week_median < UNLIKE * day_median)))
    floor = _first_week_floor(floor, counts, h, sample_core, core_days, days, first_week & usable, one_day, edge)
    week_low = np.where(mixed & (n_weeks >= 1) & (n_weeks < week_low_weeks), week_lo, np.nan)
    high_gap = np.where(raised & (high_days != 0.5), unraised, high)
    return HourEstimates(low, high, floor, n_weeks.astype(np.int64), learning.astype(np.int64), week_low, high_gap)


FIRST_WEEK_BELOW = 0.6  # ... and under this share of it: a first hour like the core days changes nothing
SPIKE_SIDES = (-3, -2, -1, 1, 2, 3)  # the hours either side of a week sample that say what its day was like


def _raised_high(high: FloatArray, daily: FloatArray, raised: NDArray[np.bool_], high_days: float) -> FloatArray:
    """Weeks 1-2 of samples: the high estimate at least the ``high_days`` quantile of the last seven days (a
    quiet week sample and a median pulled down by quiet days: a weekend, an outage); 0.5: as it is."""
    if high_days == 0.5:
        return high
    with quiet():
        day_high = np.nanpercentile(daily, 100 * high_days, axis=-1, method="lower")
    return np.asarray(np.where(raised, np.fmax(high, day_high), high))


def _first_week_like(low: FloatArray, daily: FloatArray, sample_core: NDArray[np.bool_], core_lo: FloatArray,
                     share: float) -> FloatArray:
    """Week 1: the low (drops) at most an earlier day's same hour outside the weekday core that held from
    ``share`` to ``FIRST_WEEK_BELOW`` of the lowest core day's (not a weekend's trickle; not a day like the
    core days, whose lowest is the bar as before). A campaign (2.5x) that began in the install's first day
    is every core day's sample; the hours before it began, at 0.4 of them, are the only normal ones."""
    other = np.where(sample_core, np.nan, daily)
    with quiet():
        band = (other >= share * core_lo[..., None]) & (other < FIRST_WEEK_BELOW * core_lo[..., None])
        like = np.nanmin(np.where(band, other, np.nan), axis=-1)
    return np.asarray(np.fmin(low, like))


def _spike_free(counts: FloatArray, h: IntArray, low: FloatArray, week_lo: FloatArray, day_median: FloatArray,
                days: int, above: float) -> FloatArray:
    """Week 2: the low at most what the hours around the one week sample say it held, where it was a spike.

    Each hour near the sample is set against its own seven days' median before now; the sample is a
    spike when its ratio is over ``above`` times the median ratio of those hours (a spike of 30-120
    minutes covers at most two of the six), and then counts as that median ratio times its day median."""
    ratios = []
    for k in SPIKE_SIDES:
        side = samples(counts, h + k, HOURS_PER_WEEK, 1)[..., 0]
        with quiet():
            ratios.append(side / np.nanmedian(samples(counts, h + k, 24, days), axis=-1))
    with quiet():
        usual = np.nanmedian(np.stack(ratios, -1), axis=-1)
        spike = week_lo > above * usual * day_median
        return np.asarray(np.where(spike, np.fmin(low, usual * day_median), low))


def _weekend_peer(low: FloatArray, daily: FloatArray, epoch_hour: IntArray, one_week: NDArray[np.bool_],
                  day_median: FloatArray) -> FloatArray:
    """Week 2: a Sunday (UTC) hour's low is at most the same hour on Saturday, when Saturday's was under
    ``UNLIKE`` of the seven days' median (this event has a weekend). The one week sample of a Sunday
    hour is the first weekend's, which nobody judged (it was learning): a campaign or a spike in it was
    this Sunday's bar, and the weekdays' median no lower. The two days of a weekend are alike; Saturday
    is the recent sample of one. UTC days: a Sunday in UTC-8 to UTC+9 is Sunday or Saturday evening
    locally (the hour before it then is Friday evening's, no lower); east of UTC+9 the first hours of
    Monday morning are judged against Saturday's night hours, for a week."""
    yesterday = daily[..., 0]
    sunday = (hour_of_week(epoch_hour) >= 6 * 24)[None, :]
    with quiet():
        peer = one_week & sunday & (yesterday < UNLIKE * day_median)
    return np.asarray(np.where(peer, np.fmin(low, yesterday), low))


def _first_week_floor(floor: FloatArray, counts: FloatArray, h: IntArray, sample_core: NDArray[np.bool_],
                      core_days: FloatArray, days: int, judged: NDArray[np.bool_], one_day: NDArray[np.bool_],
                      edge: NDArray[np.bool_]) -> FloatArray:
    """The first week's floor is no more than its hour's neighbours held (an edge moves by minutes);
    from one core day, half of that: one day says little about tomorrow's level, but a busy event at
    zero for a quarter of an hour is an outage against half of it."""
    sides = _neighbours_low(counts, h, sample_core, days)
    with quiet():
        one = ONE_DAY_SHARE * np.fmin(np.nanmax(core_days, axis=-1), sides)
    floor = np.where(judged, np.fmin(floor, sides), floor)
    return np.where(one_day, np.where(edge, 0.0, one), floor)


def _floor(low: FloatArray, weekly: FloatArray, core_days: FloatArray, first_week: NDArray[np.bool_],
           n_weeks: IntArray, n_core: IntArray, nothing: NDArray[np.bool_]) -> FloatArray:
    """What a silence may count on: from three samples on, one robust spread (1.4826 x MAD) below the
    low estimate (an hour whose samples swing between 0 and a lot, the edge of a batch, counts for
    nothing); 0 where ``nothing``: an hour quiet on one of its recent same-hour samples (a schedule
    that starts or stops a few minutes off its usual minute, a weekend that may or may not begin at
    midnight), or, with one or two weeks of samples, under ``UNLIKE`` of the same hour on other days
    (the night a weekend begins, for an event that rests on weekends: no shape of its own yet)."""
    with quiet():
        week_spread = MAD_SCALE * np.nanmedian(np.abs(weekly - np.nanmedian(weekly, -1)[..., None]), axis=-1)
        core_spread = MAD_SCALE * np.nanmedian(np.abs(core_days - np.nanmedian(core_days, -1)[..., None]), axis=-1)
    spread = np.where(first_week, np.where(n_core >= MIN_WEEKS, core_spread, 0.0),
                      np.where(n_weeks >= MIN_WEEKS, week_spread, 0.0))
    return np.asarray(np.where(nothing, 0.0, np.clip(low - spread, 0.0, None)))


def _neighbours_low(counts: FloatArray, hours: IntArray, sample_core: NDArray[np.bool_], days: int) -> FloatArray:
    """First week: the least of the hours either side of each hour, on its core days (each the lowest of
    them). A schedule's edge moves by a few minutes from one day to the next, and a few days do not say
    by how much: a batch that started at 08:58 on both earlier days may start at 09:02 today, so its 08:00
    hour, next to a quiet 07:00, must owe a silence nothing, nor its 09:00 hour more than the 08:00 one held."""
    day = sample_core & ~np.isnan(samples(counts, hours, 24, days))  # the core days with the hour known
    with quiet():
        sides = [np.nanmin(np.where(day, samples(counts, hours + k, 24, days), np.nan), axis=-1) for k in (-1, 1)]
    return np.asarray(np.fmin(sides[0], sides[1]))


def _edge_day(counts: FloatArray, hours: IntArray, daily: FloatArray, days: int) -> NDArray[np.bool_]:
    """Whether the hour was quiet on one of the last ``days`` days while the hour before or after it was
    busy (``BUSY`` events): a schedule's edge (a batch that starts at 08:58 on some days and at 09:02 on
    others), seen on the days before the weeks have a sample quiet at that hour. A weekend, quiet next to
    quiet hours, is not an edge."""
    before = samples(counts, hours - 1, 24, days)
    after = samples(counts, hours + 1, 24, days)
    with quiet():
        busy = (np.nan_to_num(before) >= BUSY) | (np.nan_to_num(after) >= BUSY)
    return np.asarray(((np.nan_to_num(daily, nan=np.inf) < EDGE) & busy).any(-1))


def _quiet_sample(samples: FloatArray) -> NDArray[np.bool_]:
    """Whether any known sample held fewer than ``EDGE`` events."""
    return np.asarray((np.nan_to_num(samples, nan=np.inf) < EDGE).any(-1))


@contextmanager
def quiet() -> Iterator[None]:
    """Silences numpy's "All-NaN slice" warnings: a NaN result is the intended answer there."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
