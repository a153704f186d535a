"""The expectation of a batch of events at one evaluation minute: what the volume and silence checks read.

``expect_now(hourly, first_hour, minute, params, shapes)`` builds, from the complete hours before
the current one:

1. the low, high and floor estimate of every hour from ``silence_horizon`` hours back to the hour
   after the current one (``seasonal.estimate_hours``);
2. today's level against the low and the high estimate (``level.recent_level`` over the
   ``lookback`` complete hours that end two hours before now, so a trailing window of up to 60
   minutes never judges itself); the low estimates are first ``adjusted_low``: the week sample
   scaled by ``week_level`` (the same hours against their week samples, at most 1, and only where
   below ``week_level_below``) where that is lower, so a campaign last week (or in two of the last
   three weeks) is not this week's bar; the drops' level leaves out the lookback hours that held
   more than ``spike_hours`` times their unscaled low estimate (``level.spike_free``: a campaign or a spike
   that just ended is not today's ordinary level);
3. the scales: drops are judged against ``low x min(level, drop_cap)`` (a busy morning raises the
   bar, but never above ``drop_cap``, so the end of a 2.5x campaign is not a drop), spikes
   against ``high x max(level, spike_floor)``;
4. the relative error of each: the level's, floored by ``min_error``, and by ``warmup_error``
   while fewer than three weeks stand behind the estimate; from three weeks on, the drops' one is
   the level's error read as a multiplicative one (``level.multiplicative_error`` at ``error_tail``
   spreads: the rate lies within ``exp(-3 x error)`` of the estimate, not ``1 - 3 x error``).

A trailing window lies in the current and the previous hour (up to 60 minutes) or the two before it
(up to 120); its expectation is each hour's estimate times the share of that hour's events the
window covers, from the learned shapes of those hours (``shape.py``): the low one the least the
window holds with the shapes shifted up to ``SLACK_MINUTES`` either way (a schedule's edge runs a
few minutes off), the high one at least what an even spread of the hours puts in it. A silence
integrates the floor over exactly the gap: whole hours inside it, the previous and the current hour
by their shapes, and the hour the gap began in by no more than its high estimate still owed by the
end of the gap (``high x share - observed``), so a batch that stops at half past, or two minutes
early, owes nothing; once that hour is older than the previous one, its debt no longer counts (the
hours after it decide), and after a quiet hour inside the gap the debt starts over
(``quiet_restart``). The checks bench computes the same quantities for a whole series at once
through the same functions (``window_shares``, ``gap_due``); a test holds the two equal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from governance.quality.baseline.central import central_scale, week_central
from governance.quality.baseline.level import multiplicative_error, recent_level, spike_free
from governance.quality.baseline.recovery import back_level
from governance.quality.baseline.seasonal import FLOOR_KNOWN, KNOWN, MIN_WEEKS, estimate_hours
from governance.quality.baseline.shape import SUB, ShapeLookup, even_shape

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
# the gap's first hour owes no more than what is left of its high estimate once its events so far are
# counted: a batch that sent its hour early owes nothing more, and an event that ran above its floor
# (the floor is conservative) does not have to "use up" that surplus before a silence counts
QUIET = 1.0  # an hour whose floor is below this many events expects nothing
# a window's low expectation (drops) is the least it holds with the learned shapes shifted by up to this many
# minutes either way: a batch that stops two minutes before its usual minute is not a drop of the window
# that ends after it (a smooth shape barely moves when shifted)
SLACK_MINUTES = 3.0
# a trailing window of up to 120 minutes lies in the current hour and the two before it
HOURS_SPANNED = 3
# weeks 1-2: the week sample may be scaled down to this share of itself at most (a 2.5x campaign week is 0.4)
WEEK_LEVEL_MIN = 0.25


@dataclass(frozen=True)
class ModelParams:
    """How the expectation is built (the volume and silence checks share it)."""

    weeks: int = 4  # same-hour-of-week samples at most
    days: int = 7  # same-hour-of-day samples at most
    lookback: int = 12  # complete hours that set today's level
    min_error: float = 0.1  # floor of the relative error
    warmup_error: float = 0.15  # floor while fewer than three weeks stand behind the estimate
    level_clip: tuple[float, float] = (0.5, 2.0)
    drop_cap: float = 1.25  # drops: the level may raise the low estimate by this much at most
    spike_floor: float = 1.0  # spikes: the level may lower the high estimate to this share at most (1: never)
    silence_horizon: int = 48  # hours a silence integrates over at most
    week_level_weeks: int = 5  # ``week_level`` where fewer same-hour-of-week samples than this stand (5: always)
    week_level_below: float = 0.8  # ... and only where it is below this (an ordinary week-on-week dip is not)
    high_days: float = 0.75  # weeks 1-2 of samples: the high estimate is at least this quantile of the last 7 days
    weekend_peer: bool = True  # week 2: a Sunday hour's low is at most Saturday's, when Saturday was a weekend's
    # from three weeks of samples, the drops' error is the level's as a multiplicative one at this many spreads
    # (``level.multiplicative_error``; the volume check's ``sensitivity``; 0: linear)
    error_tail: float = 3.0
    # week 2: a week sample over this many times what the hours around it that day say was a spike; the low is
    # at most what they say (``seasonal._spike_free``; 0: off)
    week_spike: float = 2.0
    # week 1: an earlier day's hour outside the weekday core holding at least this share of the lowest core day's
    # (and under ``seasonal.FIRST_WEEK_BELOW``, 0.6, of it) is a sample of the low (drops) too: the install's first
    # hours before a campaign began (0: off)
    first_week_like: float = 0.3
    # drops: the level leaves out lookback hours observed above this many times their low estimate
    # (``level.spike_free``: a campaign or a spike that just ended is not today's level; 0: every hour)
    spike_hours: float = 2.0
    # from three weeks of samples, where the week samples agree (the largest at most this many times the least),
    # the drops' bar is at least their median times the level against such medians, at most ``low x drop_cap``
    # (``central.py``: the low's bias at this hour is not the lookback's; 0: off)
    central_agree: float = 1.5
    # where the lookback's level is under ``recover_below`` (``week_level``: under ``week_level_below``) and its last
    # this many hours' is not, the level is theirs: a holiday or an outage that ended (``recovery.py``; 0: off)
    recover_hours: int = 2
    recover_below: float = 0.8


def week_level(observed: ArrayLike, week_low: ArrayLike, below: float = 1.0, recover_hours: int = 0) -> FloatArray:
    """How the lookback hours compare with their same-hour-of-week sample (at most 1).

    An hour's low estimate is the lower of its week sample (one, the lower of two, the middle of
    three, the lower middle of four) and the day median of the last seven days; when last week was a
    campaign (or two of the last three weeks were), both are high on a weekend (the days are
    weekdays). The lookback hours of those weeks were mostly in the campaign too: this level, at
    most 1, scales the week sample down to what the recent hours say (``adjusted_low``). 1 where no
    lookback hour has such a sample (the first week), and where the level is ``below`` or more: an
    ordinary week-on-week dip (0.85-0.97) is the level's business, a campaign week is 0.4-0.5.
    ``recover_hours``: where the last this many lookback hours are back at ``below`` or more, the level is
    theirs (``recovery.back_level``: a holiday or an outage that ended)."""
    clip = (WEEK_LEVEL_MIN, 1.0)
    level, _ = recent_level(observed, week_low, clip=clip)
    level = back_level(observed, week_low, level, recover_hours, below, clip)
    return np.asarray(np.where(level < below, level, 1.0))


def drop_error(error: ArrayLike, weeks: ArrayLike, tail: float) -> FloatArray:
    """The drops' relative error: from ``MIN_WEEKS`` same-hour-of-week samples on, the level's error read
    as a multiplicative one (``multiplicative_error``); before, as it is. A campaign or an outage in a
    short history is part of the estimate itself, which the lookback's scatter does not measure: the
    wider linear error (and ``warmup_error``) keep the first weeks conservative."""
    err = np.asarray(error, dtype=np.float64)
    return np.asarray(np.where(np.asarray(weeks) >= MIN_WEEKS, multiplicative_error(err, tail), err))


def adjusted_low(low: ArrayLike, week_low: ArrayLike, scale: ArrayLike) -> FloatArray:
    """``low``, or the week sample scaled by ``week_level`` where that is lower."""
    return np.asarray(np.fmin(np.asarray(low, dtype=np.float64), np.asarray(week_low) * np.asarray(scale)))


def first_arrival_mask(hourly: ArrayLike) -> FloatArray:
    """Hourly counts with the hours up to each event's first non-zero hour set to ``NaN``.

    Zeros from before an event existed would drag its estimates down; they are unknown. So is the
    hour it first arrived in: an install, a deploy or a backfill starts within it, so it is partial
    (a first hour from 11:33 holds half an hour and would be "the lower" sample for weeks).
    """
    counts = np.asarray(hourly, dtype=np.float64)
    seen = np.cumsum(np.nan_to_num(counts) > 0, axis=-1) > 0
    before = np.concatenate([np.zeros_like(seen[..., :1]), seen[..., :-1]], axis=-1)
    return np.where(before, counts, np.nan)


def quiet_restart(start: ArrayLike, last_quiet: ArrayLike) -> tuple[FloatArray, BoolArray]:
    """Where a gap's debt starts: after the last quiet hour (floor below ``QUIET``) inside it.

    A silence that runs through hours expecting nothing (a night, a weekend, the hours between two
    batches) starts over after them: what the day before left unsent is not owed this morning.
    Returns the start (an hour boundary where it moved) and whether it moved.
    """
    s = np.asarray(start, dtype=np.float64)
    q = np.asarray(last_quiet, dtype=np.int64)
    moved = q >= np.floor(s)
    return np.where(moved, (q + 1).astype(np.float64), s), np.asarray(moved)


def gap_due(*, start: ArrayLike, end: ArrayLike, current: ArrayLike, floor_first: FloatArray,
            floor_last: FloatArray, interior: FloatArray, observed_first: FloatArray, shape_prev: ShapeLookup,
            shape_now: ShapeLookup, whole_first: ArrayLike | bool = False,
            high_first: FloatArray | None = None) -> FloatArray:
    """Events the floor owed over ``[start, end)`` (hours, fractional) of a silence.

    ``end`` lies in the current hour ``current`` or the one before; ``floor_first`` and
    ``floor_last`` are the floors of the hours holding ``start`` and ``end``; ``interior`` the
    floors summed over the whole hours between them; ``observed_first``: the events of the first
    hour that arrived before the silence (its cap: ``high_first x share - observed``, what its high
    estimate still owed by the end of the span; ``high_first`` defaults to the floor),
    unless ``whole_first``: the span starts after a quiet hour, and its first hour counts whole.
    The previous and the current hour spread by their learned shapes, older ones evenly.
    """
    s, e = np.asarray(start, dtype=np.float64), np.asarray(end, dtype=np.float64)
    t = np.asarray(current, dtype=np.int64)
    first = np.floor(s).astype(np.int64)
    last = np.ceil(e).astype(np.int64) - 1
    f0, fe = s - first, e - last

    def until(hour: NDArray[np.int64], fraction: FloatArray) -> FloatArray:
        prev, now = shape_prev.until(fraction), shape_now.until(fraction)
        return np.where(hour == t, now, np.where(hour == t - 1, prev, np.clip(fraction, 0.0, 1.0)))

    lo, hi = np.nan_to_num(floor_first), np.nan_to_num(floor_last)
    same = first == last
    top = np.where(same, fe, 1.0)
    owe = lo if high_first is None else np.nan_to_num(high_first)
    cap = np.maximum(owe * until(first, top) - np.nan_to_num(observed_first), 0.0)
    part = lo * (until(first, top) - until(first, f0))
    head = np.where(first >= t - 1, np.minimum(part, cap), 0.0)  # an older first hour: its debt is long settled
    head = np.where(whole_first, part, head)
    tail = np.where(same, 0.0, hi * until(last, fe))
    return np.asarray(np.maximum(head + np.where(same, 0.0, np.nan_to_num(interior)) + tail, 0.0))


def window_shares(into_hour: ArrayLike, minutes: float, shapes: Sequence[ShapeLookup]) -> list[FloatArray]:
    """Shares of each hour's events inside the trailing window, oldest hour first.

    ``shapes``: the learned shapes of the ``len(shapes)`` hours up to the current one (the last); a
    window of up to 60 minutes lies in the last two, one of up to 120 in the last three.
    """
    now = np.asarray(into_hour, dtype=np.float64)
    start = now - minutes / 60.0
    if start.size and float(np.min(start)) < 1 - len(shapes) - 1e-9:
        raise ValueError(f"a {minutes:g}-minute window needs more than {len(shapes)} hours of estimates")
    last = shapes[-1]
    out = [last.until(now) - last.until(np.maximum(start, 0.0))]
    for back, shape in enumerate(reversed(shapes[:-1]), start=1):  # the hour ``back`` hours before the current
        out.append(np.where(start < 1 - back, 1.0 - shape.until(back + np.minimum(start, 1 - back)), 0.0))
    return out[::-1]


def window_expectation(into_hour: ArrayLike, minutes: float, *, low: FloatArray, high: FloatArray,
                       learning: NDArray[np.int64], shapes: Sequence[ShapeLookup], drop_scale: FloatArray,
                       spike_scale: FloatArray) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Low and high expected counts of one trailing window and whether it is learning.

    ``low``/``high``/``learning``: ``(..., k)`` for the ``k`` hours up to the current one (oldest
    first: 2 for windows of up to 60 minutes, 3 for up to 120); ``shapes``: their ``k`` learned
    shapes; the rest has the leading shape of ``into_hour``.
    """
    k = len(shapes)
    into = np.asarray(into_hour, dtype=np.float64)
    parts = window_shares(into, minutes, shapes)
    lows = [np.nan_to_num(low[..., j]) for j in range(k)]

    def weighted(estimates: list[FloatArray], shares: list[FloatArray]) -> FloatArray:
        total = estimates[0] * shares[0]
        for e, part in zip(estimates[1:], shares[1:], strict=True):
            total = total + e * part
        return np.asarray(total)

    lo = weighted(lows, parts)
    for shift in (-SLACK_MINUTES, SLACK_MINUTES):  # the schedule a few minutes early or late
        lo = np.minimum(lo, weighted(lows, window_shares(np.clip(into + shift / 60.0, 0.0, 1.0), minutes, shapes)))
    lo = drop_scale * lo
    # spikes: at least what an even spread of the hours puts in the window (a shape learned from the
    # first days' few samples, one of them cut by an outage, can crowd an hour into a few minutes)
    start = into - minutes / 60.0
    even = [np.clip(np.minimum(into + back, 1.0) - np.clip(start + back, 0.0, 1.0), 0.0, 1.0)
            for back in range(k - 1, -1, -1)]
    hi = spike_scale * weighted([np.nan_to_num(high[..., j]) for j in range(k)],
                                [np.maximum(p, e) for p, e in zip(parts, even, strict=True)])
    waiting = learning[..., k - 1] != KNOWN
    for j in range(k - 1):  # an older hour counts once the window reaches back into it
        waiting = waiting | ((start < j + 2 - k) & (learning[..., j] != KNOWN))
    return np.asarray(lo), np.asarray(hi), np.asarray(waiting)


@dataclass(frozen=True)
class Now:
    """Expectations of ``(events,)`` at one minute; local hour ``i`` is series hour ``start + i``."""

    start: int
    position: float  # now, in local hours (fractional: the current hour is ``int(position)``)
    low: FloatArray  # (events, local hours), NaN while learning
    high: FloatArray
    floor: FloatArray
    high_gap: FloatArray  # the high estimate a silence's first hour may still owe (``HourEstimates.high_gap``)
    observed: FloatArray  # (events, local hours): complete hours' counts (NaN for the current and next)
    learning: NDArray[np.int64]
    weeks: NDArray[np.int64]
    shapes: FloatArray  # (events, 3, SUB + 1): the hour before the previous, the previous and the current hour
    drop_scale: FloatArray  # (events,)
    spike_scale: FloatArray
    high_level: FloatArray  # (events,): the lookback against the high estimate, before ``spike_floor`` (``wary``)
    error: FloatArray  # relative error of the low expectation (drops)
    error_high: FloatArray  # ... and of the high one (spikes)

    @property
    def current(self) -> int:
        return int(self.position)

    def lookups(self) -> tuple[ShapeLookup, ShapeLookup]:
        """The learned shapes of the previous and the current hour."""
        return ShapeLookup(self.shapes, 1), ShapeLookup(self.shapes, 2)

    def windows(self, minutes: ArrayLike) -> tuple[FloatArray, FloatArray, BoolArray]:
        """Expected low and high counts of trailing windows (``(events, windows)``, at most 120
        minutes) and whether each is still learning (an hour it overlaps has no estimate)."""
        t, into = self.current, self.position - self.current
        into_all = np.full(self.low.shape[0], into)
        sizes = np.asarray(minutes, dtype=np.float64).reshape(-1)
        k = HOURS_SPANNED if sizes.size and float(sizes.max()) > 60 else 2  # hours the windows reach into
        hours = slice(t + 1 - k, t + 1)
        looks = tuple(ShapeLookup(self.shapes, j) for j in range(3 - k, 3))
        parts = [window_expectation(into_all, float(w), low=self.low[:, hours], high=self.high[:, hours],
                                    learning=self.learning[:, hours], shapes=looks,
                                    drop_scale=self.drop_scale, spike_scale=self.spike_scale)
                 for w in sizes]
        return tuple(np.stack([p[i] for p in parts], -1) for i in range(3))  # type: ignore[return-value]

    def gap(self, minutes: ArrayLike, horizon: int, observed_now: ArrayLike, *, until_minutes_ago: float = 0.0
            ) -> tuple[FloatArray, BoolArray, FloatArray]:
        """Events the floor owed over the last ``minutes`` (at most ``horizon`` hours) of each event,
        up to ``until_minutes_ago`` before now, unscaled (from after its last quiet hour, see
        ``quiet_restart``); whether every hour of the span is learning; and the minutes the debt
        was counted over. ``observed_now``: the events of the current hour so far."""
        g = np.minimum(np.asarray(minutes, dtype=np.float64).reshape(-1), horizon * 60.0)
        t, rows = self.current, np.arange(g.size)
        hours = np.arange(self.low.shape[-1])
        quiet = np.where((np.nan_to_num(self.floor) < QUIET) & (hours < t)[None, :], hours[None, :], -(10**6))
        start, moved = quiet_restart(self.position - g / 60.0, quiet.max(-1))
        end = np.full(g.size, self.position - until_minutes_ago / 60.0)
        first, last = np.floor(start).astype(np.int64), np.ceil(end).astype(np.int64) - 1
        cum = np.concatenate([np.zeros((g.size, 1)), np.cumsum(np.nan_to_num(self.floor), axis=-1)], axis=-1)
        interior = cum[rows, np.maximum(last, first + 1)] - cum[rows, first + 1]
        so_far = np.asarray(observed_now, dtype=np.float64).reshape(-1)
        before = np.where(first == t, so_far, self.observed[rows, first])
        due = gap_due(start=start, end=end, current=np.full(g.size, t), floor_first=self.floor[rows, first],
                      floor_last=self.floor[rows, last], interior=interior, observed_first=before,
                      shape_prev=self.lookups()[0], shape_now=self.lookups()[1], whole_first=moved,
                      # no high yet (SILENCE_ONLY): the floor
                      high_first=np.fmax(self.high_gap, self.floor)[rows, first])
        covered = (hours[None, :] >= np.floor(self.position - g / 60.0)[:, None]) & (hours[None, :] <= t)
        known = np.asarray((np.isin(self.learning, FLOOR_KNOWN) & covered).any(-1), dtype=bool)  # a floor to count on
        counted = np.maximum((self.position - start) * 60.0, 0.0)
        return np.where(end > start, due, 0.0), ~known, counted


def expect_now(hourly: ArrayLike, first_hour: int, minute: int, params: ModelParams | None = None,
               shapes: ArrayLike | None = None) -> Now:
    """The expectation at epoch ``minute`` of events with complete hourly counts ``(events, T)``
    from epoch hour ``first_hour`` (``NaN``: unknown); the current hour is index ``T``.
    ``shapes``: learned cumulative shares ``(events, 3, SUB + 1)`` of the two hours before the current
    one and the current hour (``shape.learned_shape``; ``(events, 2, SUB + 1)``: the previous and the
    current one, the hour before them spread evenly); ``None``: an even spread."""
    p = params or ModelParams()
    counts = np.asarray(hourly, dtype=np.float64)
    counts = counts[None, :] if counts.ndim == 1 else counts
    t = counts.shape[-1]
    if minute // 60 != first_hour + t:
        raise ValueError(f"minute {minute} is not in the hour after the series (epoch hour {first_hour + t})")
    span = max(p.silence_horizon + 1, p.lookback + 2)
    start = t - span
    local = np.arange(start, t + 2)
    est = estimate_hours(counts, first_hour, local, weeks=p.weeks, days=p.days, week_low_weeks=p.week_level_weeks,
                         high_days=p.high_days, weekend_peer=p.weekend_peer, week_spike=p.week_spike,
                         first_week_like=p.first_week_like)
    observed = np.where((local >= 0) & (local < t), counts[:, np.clip(local, 0, t - 1)], np.nan)
    back = np.arange(t - 1 - p.lookback, t - 1) - start
    week_scale = week_level(observed[:, back], est.week_low[:, back], p.week_level_below)
    low = adjusted_low(est.low, est.week_low, week_scale[:, None])
    ordinary = spike_free(observed[:, back], est.low[:, back], p.spike_hours)  # not the week-scaled low
    scale_drop, err_lo = recent_level(ordinary, low[:, back], clip=p.level_clip)
    scale_spike, err_hi = recent_level(observed[:, back], est.high[:, back], clip=p.level_clip)
    if p.recover_hours > 0:  # a holiday or an outage over: the last hours' level (``recovery.py``), not the error
        week_scale = week_level(observed[:, back], est.week_low[:, back], p.week_level_below, p.recover_hours)
        low = adjusted_low(est.low, est.week_low, week_scale[:, None])
        level, _ = recent_level(ordinary, low[:, back], clip=p.level_clip)
        scale_drop = back_level(ordinary, low[:, back], level, p.recover_hours, p.recover_below, p.level_clip)
    weeks_now = est.weeks[:, t - start]
    drop_scale = np.minimum(scale_drop, p.drop_cap)
    if p.central_agree > 0:
        central = week_central(counts, local, p.weeks, p.central_agree)
        level_c, _ = recent_level(ordinary, central[:, back], clip=p.level_clip)
        level_c = back_level(ordinary, central[:, back], level_c, p.recover_hours, p.recover_below, p.level_clip)
        drop_scale = central_scale(drop_scale, low[:, t - start], central[:, t - start], level_c, p.drop_cap)
    floor = np.where(weeks_now >= MIN_WEEKS, p.min_error, max(p.min_error, p.warmup_error))
    cum = even_shape((counts.shape[0], 3)) if shapes is None else np.asarray(shapes, dtype=np.float64)
    if cum.shape[0] != counts.shape[0] or cum.shape[1:] not in ((2, SUB + 1), (3, SUB + 1)):
        raise ValueError(f"shapes must be (events, 3, {SUB + 1}) or (events, 2, {SUB + 1}), got {cum.shape}")
    if cum.shape[1] == 2:
        cum = np.concatenate([even_shape((counts.shape[0], 1)), cum], axis=1)
    return Now(
        start=start, position=(minute - (first_hour + start) * 60) / 60.0, low=low, high=est.high,
        floor=est.floor, high_gap=est.high_gap, observed=observed, learning=est.learning, weeks=est.weeks, shapes=cum,
        drop_scale=drop_scale, spike_scale=np.maximum(scale_spike, p.spike_floor), high_level=scale_spike,
        error=np.maximum(drop_error(err_lo, weeks_now, p.error_tail), floor), error_high=np.maximum(err_hi, floor),
    )
