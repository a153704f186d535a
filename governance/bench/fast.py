"""The checks' conditions at every evaluation of a whole series at once, from the checks' own functions.

``run_cycle`` evaluates one cycle: per event it reads 31 days of hourly counts and the last hour
of minutes, builds ``expect_now`` and judges. Replaying 35 days every 5 minutes that way takes
hours, so this module computes the same numbers for every hour and every evaluation minute in
one pass, from the same functions: ``estimate_hours`` over the whole series, ``recent_level``
over sliding lookbacks, the learned shape of every hour, ``window_expectation`` and
``gap_due`` for every evaluation, ``decline_state`` for every hour. ``tests/quality/test_bench.py``
holds the two equal, evaluation by evaluation, and replays traffic through ``run_cycle``.

``run_cycle`` reads the last ``HISTORY_HOURS`` (38 days) and treats an event as unknown before
its first arrival in them; the checks read at most 31 days back, so the extra week makes that
mask the whole series' mask for every event that had traffic in any of its weeks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from governance.plan.check_spec import DeclineCheckParams, SilenceParams, VolumeCheckParams
from governance.quality.baseline import ModelParams
from governance.quality.baseline.central import central_scale, week_central
from governance.quality.baseline.expectation import (
    HOURS_SPANNED,
    QUIET,
    adjusted_low,
    drop_error,
    gap_due,
    quiet_restart,
    week_level,
    window_expectation,
)
from governance.quality.baseline.level import recent_level, spike_free
from governance.quality.baseline.recovery import back_level
from governance.quality.baseline.seasonal import FLOOR_KNOWN, MIN_WEEKS, estimate_hours
from governance.quality.baseline.shape import SUB, ShapeLookup, learned_shape, sample_hours
from governance.quality.checks.decline import detector as decline_detector
from governance.quality.checks.volume import detector as volume_detector
from governance.quality.detect.decline import decline_flags, decline_state
from governance.quality.detect.silence import silence_flags
from governance.quality.detect.volume import leans, recovered, volume_flags, wary
from governance.quality.queries import LAST_SEEN_MINUTES

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Conditions:
    """Per check kind: ``(events, times)`` condition and learning arrays at evaluation minutes ``times``."""

    times: IntArray  # evaluation minutes, relative to the traffic's start (the minute being entered)
    holds: dict[str, BoolArray]
    learning: dict[str, BoolArray]


def hourly_counts(counts: NDArray[np.integer]) -> IntArray:
    """Complete hours of per-minute counts ``(events, minutes)`` -> ``(events, hours)``."""
    hours = counts.shape[1] // 60
    return np.asarray(counts[:, : hours * 60].reshape(counts.shape[0], hours, 60).sum(axis=2, dtype=np.int64))


def _cumsum(counts: NDArray[np.integer]) -> IntArray:
    out = np.zeros((counts.shape[0], counts.shape[1] + 1), np.int64)
    np.cumsum(counts, axis=1, out=out[:, 1:])
    return out


@dataclass(frozen=True)
class HourModel:
    """``expect_now``'s quantities for every current hour ``t`` (axis 1) of a whole series."""

    low: FloatArray  # (events, hours + 2): estimates of every hour, NaN while learning
    high: FloatArray
    floor: FloatArray
    learning: IntArray
    drop_scale: FloatArray  # (events, hours + 1): per current hour
    spike_scale: FloatArray
    error: FloatArray
    error_high: FloatArray
    week_low: FloatArray  # (events, hours + 2): the same-hour-of-week low the low mixed in (``week_level``)
    week_scale: FloatArray  # (events, hours + 1): per current hour, ``week_level``
    high_gap: FloatArray  # (events, hours + 2): what a silence's first hour may still owe (``Now.high_gap``)
    weeks: IntArray  # (events, hours + 1): same-hour-of-week samples behind the current hour's estimate
    high_level: FloatArray  # (events, hours + 1): the lookback against the high estimate, before ``spike_floor``

    def low_pair(self, pair: IntArray, t: IntArray) -> FloatArray:
        """The low estimates of hours ``pair`` (``(n, 2)``) at current hours ``t`` (``adjusted_low``)."""
        return adjusted_low(self.low[:, pair], self.week_low[:, pair], self.week_scale[:, t][..., None])


def hour_model(masked: FloatArray, first_hour: int, p: ModelParams) -> HourModel:
    """Estimates of every hour and the level of every current hour (as ``expect_now`` builds them)."""
    events, hours = masked.shape
    est = estimate_hours(masked, first_hour, np.arange(hours + 2), weeks=p.weeks, days=p.days,
                         week_low_weeks=p.week_level_weeks, high_days=p.high_days, weekend_peer=p.weekend_peer,
                         week_spike=p.week_spike, first_week_like=p.first_week_like)
    pad = p.lookback + 1
    obs = np.concatenate([np.full((events, pad), np.nan), masked, np.full((events, 2), np.nan)], axis=1)
    current = np.arange(hours + 1)
    index = current[:, None] - 1 - p.lookback + np.arange(p.lookback)[None, :]  # (hours+1, lookback)
    look_obs = obs[:, index + pad]

    def looked(estimate: FloatArray) -> FloatArray:
        return np.concatenate([np.full((events, pad), np.nan), estimate], axis=1)[:, index + pad]

    week_scale = week_level(look_obs, looked(est.week_low), p.week_level_below)
    scales, errors = [], []
    lows = adjusted_low(looked(est.low), looked(est.week_low), week_scale[..., None])
    ordinary = spike_free(look_obs, looked(est.low), p.spike_hours)  # the drops' level: no campaign or spike hours
    for obs, estimate in ((ordinary, lows), (look_obs, looked(est.high))):
        level, err = recent_level(obs, estimate, clip=p.level_clip)
        scales.append(level)
        errors.append(err)
    if p.recover_hours > 0:  # a holiday or an outage over: the last hours' level (``recovery.py``), not the error
        week_scale = week_level(look_obs, looked(est.week_low), p.week_level_below, p.recover_hours)
        lows = adjusted_low(looked(est.low), looked(est.week_low), week_scale[..., None])
        level, _ = recent_level(ordinary, lows, clip=p.level_clip)
        scales[0] = back_level(ordinary, lows, level, p.recover_hours, p.recover_below, p.level_clip)
    weeks_now = est.weeks[:, : hours + 1]
    drop_scale = np.minimum(scales[0], p.drop_cap)
    if p.central_agree > 0:
        central = week_central(masked, np.arange(hours + 2), p.weeks, p.central_agree)
        level_c, _ = recent_level(ordinary, looked(central), clip=p.level_clip)
        level_c = back_level(ordinary, looked(central), level_c, p.recover_hours, p.recover_below, p.level_clip)
        low_now = adjusted_low(est.low[:, : hours + 1], est.week_low[:, : hours + 1], week_scale)
        drop_scale = central_scale(drop_scale, low_now, central[:, : hours + 1], level_c, p.drop_cap)
    floor = np.where(weeks_now >= MIN_WEEKS, p.min_error, max(p.min_error, p.warmup_error))
    err_drop = np.maximum(drop_error(errors[0], weeks_now, p.error_tail), floor)
    return HourModel(est.low, est.high, est.floor, est.learning, drop_scale,
                     np.maximum(scales[1], p.spike_floor), err_drop,
                     np.maximum(errors[1], floor), est.week_low, week_scale, est.high_gap, weeks_now, scales[1])


def hour_shapes(counts: NDArray[np.integer], masked: FloatArray, chunk: int = 96) -> FloatArray:
    """``learned_shape`` of every hour ``0..hours`` from the same hour of the previous days
    ``(events, hours + 1, SUB + 1)``; a day whose hour is unknown in ``masked`` is left out."""
    events, minutes = counts.shape
    hours = minutes // 60
    by_hour = counts[:, : hours * 60].reshape(events, hours, 60)
    out = np.empty((events, hours + 1, SUB + 1))
    lags = [-h for h in sample_hours(0)]  # 24, 48, ...
    for lo in range(0, hours + 1, chunk):
        target = np.arange(lo, min(lo + chunk, hours + 1))
        idx = target[:, None] - np.asarray(lags)[None, :]  # (chunk, days)
        safe = np.clip(idx, 0, hours - 1)
        known = (idx >= 0)[None] & np.isfinite(masked[:, safe])  # (events, chunk, days)
        samples = np.where(known[..., None], by_hour[:, safe], np.nan)
        out[:, target] = learned_shape(samples)
    return out


def _chunks(times: IntArray, size: int = 1440) -> list[slice]:
    return [slice(i, min(i + size, times.size)) for i in range(0, times.size, size)]


def volume_conditions(cs: IntArray, times: IntArray, model: HourModel, shapes: FloatArray, p: VolumeCheckParams
                      ) -> tuple[BoolArray, BoolArray, BoolArray]:
    """``(drop, spike, learning)`` of the default volume check at every evaluation minute."""
    events = cs.shape[0]
    detector = volume_detector(p)
    drop = np.zeros((events, times.size), bool)
    spike = np.zeros_like(drop)
    learning = np.ones_like(drop)
    for part in _chunks(times):
        m = times[part]
        t = m // 60
        into = np.broadcast_to((m % 60) / 60.0, (events, m.size))
        k = HOURS_SPANNED if max(detector.windows) > 60 else 2  # the hours the windows reach into
        pair = np.stack([t - j for j in range(k - 1, -1, -1)], -1)  # (n, k), oldest first
        looks = tuple(ShapeLookup(shapes, (t - j)[None, :]) for j in range(k - 1, -1, -1))
        back: tuple[BoolArray, BoolArray] | None = None
        first: tuple[BoolArray, BoolArray] | None = None
        for i, w in enumerate(detector.windows):
            low, high, waiting = window_expectation(
                into, float(w), low=model.low_pair(pair, t), high=model.high[:, pair], learning=model.learning[:, pair],
                shapes=looks, drop_scale=model.drop_scale[:, t], spike_scale=model.spike_scale[:, t])
            observed = cs[:, m] - cs[:, m - w]
            low, high = np.where(waiting, np.nan, low), np.where(waiting, np.nan, high)
            learning[:, part] &= waiting
            if back is None:  # the shortest window says whether the event is back to normal
                back = recovered(observed, low, high, window_minutes=w, params=detector)
            d, s = volume_flags(observed, low, high, model.error[:, t], window_minutes=w, params=detector,
                                error_high=model.error_high[:, t], settled=model.weeks[:, t] >= MIN_WEEKS,
                                wary=wary(model.weeks[:, t], model.high_level[:, t], detector))
            d, s = d & ~back[0], s & ~back[1]
            if i == 0 and len(detector.windows) > 1:  # the shortest window waits for the next one's lean
                first = (d, s)
                continue
            if first is not None:
                down, up = leans(observed, low, high, model.error[:, t], model.error_high[:, t])
                d, s = d | (first[0] & down), s | (first[1] & up)
                first = None
            drop[:, part] |= d
            spike[:, part] |= s
        if first is not None:  # a single window
            drop[:, part] |= first[0]
            spike[:, part] |= first[1]
    return drop, spike, learning


@dataclass(frozen=True)
class _Gaps:
    """What ``gap_due`` needs of a whole series, for one chunk of evaluation minutes ``m``."""

    m: IntArray
    t: IntArray  # (events, n) current hours
    so_far: IntArray  # events of the current hour so far
    floor_cum: FloatArray
    hourly: FloatArray
    model: HourModel
    shapes: FloatArray

    last_quiet: IntArray  # (events, hours + 2): the last hour at or before each with a quiet floor

    def due(self, length: FloatArray, until_ago: float) -> tuple[FloatArray, IntArray, FloatArray]:
        """Owed over the last ``length`` minutes up to ``until_ago`` minutes ago; the first hour of the
        span; and the minutes the debt was counted over (``Now.gap``)."""
        rows = np.arange(self.t.shape[0])[:, None]
        span_start = self.m / 60.0 - length / 60.0
        start, moved = quiet_restart(span_start, self.last_quiet[rows, self.t - 1])
        end = np.broadcast_to(self.m / 60.0 - until_ago / 60.0, self.t.shape)
        first, last = np.floor(start).astype(np.int64), np.ceil(end).astype(np.int64) - 1
        interior = self.floor_cum[rows, np.maximum(last, first + 1)] - self.floor_cum[rows, first + 1]
        before = np.where(first == self.t, self.so_far, self.hourly[rows, np.clip(first, 0, self.hourly.shape[1] - 1)])
        due = gap_due(start=start, end=end, current=self.t, floor_first=self.model.floor[rows, first],
                      floor_last=self.model.floor[rows, last], interior=interior, observed_first=before,
                      shape_prev=ShapeLookup(self.shapes, self.t - 1), shape_now=ShapeLookup(self.shapes, self.t),
                      whole_first=moved, high_first=np.fmax(self.model.high_gap, self.model.floor)[rows, first])
        counted = np.maximum((self.m / 60.0 - start) * 60.0, 0.0)
        return np.where(end > start, due, 0.0), np.floor(span_start).astype(np.int64), counted


def silence_conditions(counts: NDArray[np.integer], cs: IntArray, hourly: FloatArray, times: IntArray,
                       model: HourModel, shapes: FloatArray, p: SilenceParams
                       ) -> tuple[BoolArray, BoolArray]:
    """``(silent, learning)`` of the default silence check at every evaluation minute."""
    events, minutes = counts.shape
    seen = np.where(counts > 0, np.arange(minutes), -(10**9))
    last_all = np.maximum.accumulate(seen, axis=1)
    floor_cum = np.concatenate([np.zeros((events, 1)), np.cumsum(np.nan_to_num(model.floor), axis=1)], axis=1)
    floor_known = np.isin(model.learning, FLOOR_KNOWN)
    known_cum = np.concatenate([np.zeros((events, 1), np.int64), np.cumsum(floor_known, axis=1)], axis=1)
    index = np.arange(model.floor.shape[1])
    last_quiet = np.maximum.accumulate(np.where(np.nan_to_num(model.floor) < QUIET, index, -(10**6)), axis=1)
    rows = np.arange(events)[:, None]
    silent = np.zeros((events, times.size), bool)
    learning = np.zeros_like(silent)
    for part in _chunks(times):
        m = times[part]
        t = np.broadcast_to(m // 60, (events, m.size))
        ago = (m - 1 - last_all[:, m - 1]).astype(np.float64)
        gap = np.where(ago > LAST_SEEN_MINUTES, float(LAST_SEEN_MINUTES), ago)
        span = np.minimum(np.maximum(gap, p.after_minutes), p.horizon_hours * 60.0)
        gaps = _Gaps(m, t, cs[:, m] - cs[:, (m // 60) * 60], floor_cum, hourly, model, shapes, last_quiet)
        due, first, counted = gaps.due(span, 0.0)
        settled, _, _ = gaps.due(span, p.settle_minutes)
        recent, _, _ = gaps.due(np.minimum(span, max(p.settle_minutes, 1.0)), 0.0)
        early, _, _ = gaps.due(span, p.after_minutes)
        waiting = (known_cum[rows, t + 1] - known_cum[rows, np.clip(first, 0, None)]) == 0
        on = gap >= p.after_minutes
        silent[:, part] = silence_flags(gap, due, np.where(on, settled, 0.0), recent, after_minutes=p.after_minutes,
                                        min_expected=p.min_expected, settle_minutes=p.settle_minutes,
                                        span_minutes=counted, early=early, level=model.drop_scale[rows, t]) & ~waiting
        learning[:, part] = waiting
    return silent, learning


def decline_conditions(masked: FloatArray, times: IntArray, p: DeclineCheckParams) -> tuple[BoolArray, BoolArray]:
    """``(declining, learning)`` of the default decline check at every evaluation minute."""
    params = decline_detector(p)
    hours = np.arange(masked.shape[1] + 1)
    state = decline_state(masked, hours, params)
    holds, learning = decline_flags(state, params), state.learning
    t = times // 60
    return np.asarray(holds[:, t] & ~learning[:, t]), np.asarray(learning[:, t])


