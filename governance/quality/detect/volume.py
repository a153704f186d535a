"""Volume drops and spikes over trailing windows, against the low and the high expectation.

A window fires a **drop** when its expected rate (the low expectation) is at least
``min_volume`` per hour, it should hold at least ``min_count`` events, it holds at most
``1 - min_drop`` of them, and ``z <= -sensitivity``; a **spike** likewise against the high
expectation with ``1 + min_spike`` and ``z >= sensitivity``. The spread is
``sqrt((error x expected)^2 + expected)``: the expectation's own relative error plus the window's
Poisson noise, so counting noise alone never looks anomalous. The z-score guards slow events,
the relative change busy ones (a 10 % dip of a 10,000/h event is many sigmas and nobody's
problem). Every condition has a vectorised form (the bench) and a scalar one (the checks).

**Deep drops of thin windows**: a window of at least ``DEEP_WINDOW`` (30) minutes expected to hold
fewer than ``min_count`` events but at least ``deep_count`` is judged too, for drops only, and only
when it holds at most ``1 - deep_drop`` (half) of its low expectation: an event of 120-200/h at a
quiet hour, whose 30-minute window expects 60-100 events, loses half of them in a half drop, which
its noise alone rarely does; a 40 % dip of such a window is common (it is why ``min_count`` is 100).

**Halved windows of a settled estimate**: from three weeks of same-hour-of-week samples (``settled``),
a judged window (``min_count`` events or more) that holds at most ``1 - deep_drop`` (half) of its low
expectation fires from ``z <= -deep_z`` (2) instead of ``-sensitivity``: a busy event at half its rate
while the level's error is 0.2-0.3 (a holiday, an outage or a campaign among the lookback hours), where
three spreads reach further down than half. Before three weeks the estimate itself may hold a campaign
or the first weekend, which its error does not measure, and the ordinary z holds.

**Deeper drops while learning, where the samples were busier than today** (``wary``; off with
``warmup_drop`` 0): before two weeks of same-hour-of-week samples (``WARY_WEEKS``: weeks 1 and 2), where
the lookback hours ran under ``warmup_level`` (0.6) of their high estimate, a drop must hold at most
``1 - warmup_drop`` of its low expectation: the busier of the samples was a campaign the recent hours are
not like, and a campaign that covered every known day at the hour (week 1) or the whole first weekend
(week 2) is then the low estimate too; its end reads as a drop to 0.4-0.5 of the bar. An outage still fires.

**Recovery**: a longer window still holds a drop (or a spike) for up to an hour after the event is
back. When the shortest window is judged and looks nearly normal again (at least
``1 - min_drop / 2`` of its low expectation, at most ``1 + min_spike / 2`` of its high one), the
longer windows' verdict of that direction no longer holds, so an alert resolves minutes after the
recovery instead of when the longest window has forgotten it.

**Confirmation**: the shortest window alone is the noisiest, and the one a schedule's edge moves
most (a batch that stops two minutes early holds 40 % less in the ten minutes around its end). Its
drop (or spike) holds only while the next longer window leans the same way by ``CONFIRM_Z`` spreads
(``leans``); the longer windows judge on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from governance.quality.detect.finding import Finding

CONFIRM_Z = 2.0  # the next longer window must lean the same way by this many spreads
WARY_WEEKS = 2  # ``wary`` applies while fewer same-hour-of-week samples than this stand behind the estimate
DEEP_WINDOW = 30  # windows at least this long are judged from ``deep_count`` expected events, on a deeper drop
BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]
Direction = Literal["drop", "spike", "both"]


@dataclass(frozen=True)
class VolumeParams:
    """Volume anomaly thresholds; a z-score and a relative change must both hold."""

    direction: Direction = "both"
    sensitivity: float = 3.0  # z threshold (the spread includes the expectation's own error)
    min_volume: float = 100.0  # expected events/hour below which nothing fires
    min_drop: float = 0.4  # drop fires when observed <= (1 - min_drop) * expected
    min_spike: float = 1.0  # spike fires when observed >= (1 + min_spike) * expected
    min_count: float = 100.0  # a window is judged only when it should hold this many events
    deep_count: float = 60.0  # ... or this many (windows of DEEP_WINDOW minutes or more, drops of deep_drop only)
    deep_drop: float = 0.5  # a thin window's drop fires when observed <= (1 - deep_drop) * expected
    deep_z: float = 2.0  # settled: a judged window at most (1 - deep_drop) of its low expectation fires from this z
    warmup_drop: float = 0.7  # wary: a drop fires when observed <= (1 - warmup_drop) * expected (0: off)
    warmup_level: float = 0.6  # wary where the lookback ran under this share of its high estimate
    windows: tuple[int, ...] = (10, 20, 30, 60)  # trailing windows (minutes)


def spread(expected: ArrayLike, error: ArrayLike) -> FloatArray:
    """``sqrt((error x expected)^2 + expected)``, at least 1."""
    e = np.nan_to_num(np.asarray(expected, dtype=np.float64))
    return np.maximum(np.sqrt((np.asarray(error) * e) ** 2 + e), 1.0)


def wary(weeks: ArrayLike, high_level: ArrayLike, params: VolumeParams) -> BoolArray:
    """Vectorised: fewer than ``WARY_WEEKS`` same-hour-of-week samples behind the estimate and the lookback
    hours under ``warmup_level`` of their high estimate (``high_level``), with ``warmup_drop`` on."""
    return np.asarray((params.warmup_drop > 0) & (np.asarray(weeks) < WARY_WEEKS)
                      & (np.asarray(high_level) < params.warmup_level))


def volume_flags(observed: ArrayLike, low: ArrayLike, high: ArrayLike, error: ArrayLike, *, window_minutes: int,
                 params: VolumeParams, error_high: ArrayLike | None = None,
                 settled: ArrayLike = False, wary: ArrayLike = False) -> tuple[BoolArray, BoolArray]:
    """Vectorised: ``(drop, spike)`` of window counts against the low and high expected counts
    (``error``: relative error of the low one; ``error_high`` of the high one, default the same;
    ``settled``: three weeks of samples stand behind the estimate, so a halved window fires from ``deep_z``;
    ``wary``: a drop must hold at most ``1 - warmup_drop`` of the low expectation, see ``wary``)."""
    err_hi = error if error_high is None else error_high
    obs = np.asarray(observed, dtype=np.float64)
    lo = np.nan_to_num(np.asarray(low, dtype=np.float64))
    hi = np.nan_to_num(np.asarray(high, dtype=np.float64))
    per_hour = 60.0 / window_minutes
    judged_lo = (lo * per_hour >= params.min_volume) & (lo >= params.min_count)
    judged_hi = (hi * per_hour >= params.min_volume) & (hi >= params.min_count)
    thin = (window_minutes >= DEEP_WINDOW) & (lo * per_hour >= params.min_volume) & (lo >= params.deep_count)
    halved = obs <= (1 - params.deep_drop) * lo
    deep = thin & ~judged_lo & halved  # fewer than min_count events: a deeper drop
    z = (obs - lo) / spread(lo, error)
    drop = ((judged_lo & (obs <= (1 - params.min_drop) * lo)) | deep) & (
        (z <= -params.sensitivity) | (np.asarray(settled) & judged_lo & halved & (z <= -params.deep_z)))
    drop = drop & (~np.asarray(wary) | (obs <= (1 - params.warmup_drop) * lo))
    spike = judged_hi & (obs >= (1 + params.min_spike) * hi) & ((obs - hi) / spread(hi, err_hi) >= params.sensitivity)
    if params.direction == "drop":
        spike = np.zeros_like(spike)
    elif params.direction == "spike":
        drop = np.zeros_like(drop)
    return np.asarray(drop), np.asarray(spike)


def leans(observed: ArrayLike, low: ArrayLike, high: ArrayLike, error: ArrayLike,
          error_high: ArrayLike | None = None) -> tuple[BoolArray, BoolArray]:
    """Vectorised: ``(down, up)``: the window is at least ``CONFIRM_Z`` spreads below its low
    expectation, or above its high one (the confirmation of the shortest window's verdict)."""
    obs = np.asarray(observed, dtype=np.float64)
    lo = np.nan_to_num(np.asarray(low, dtype=np.float64))
    hi = np.nan_to_num(np.asarray(high, dtype=np.float64))
    err_hi = error if error_high is None else error_high
    return (np.asarray((obs - lo) / spread(lo, error) <= -CONFIRM_Z),
            np.asarray((obs - hi) / spread(hi, err_hi) >= CONFIRM_Z))


def recovered(observed: ArrayLike, low: ArrayLike, high: ArrayLike, *, window_minutes: int,
              params: VolumeParams) -> tuple[BoolArray, BoolArray]:
    """Vectorised: ``(from_drop, from_spike)``: the shortest window is judged and nearly normal again."""
    obs = np.asarray(observed, dtype=np.float64)
    lo = np.nan_to_num(np.asarray(low, dtype=np.float64))
    hi = np.nan_to_num(np.asarray(high, dtype=np.float64))
    per_hour = 60.0 / window_minutes
    judged_lo = (lo * per_hour >= params.min_volume) & (lo >= params.min_count)
    judged_hi = (hi * per_hour >= params.min_volume) & (hi >= params.min_count)
    return (np.asarray(judged_lo & (obs >= (1 - params.min_drop / 2) * lo)),
            np.asarray(judged_hi & (obs <= (1 + params.min_spike / 2) * hi)))


def volume_finding(observed: float, expected: float, error: float, *, window_minutes: int, drop: bool) -> Finding:
    """The finding of one window that fired."""
    s = float(spread(expected, error))
    z = (observed - expected) / s
    change = (observed - expected) / expected if expected else 0.0
    word = "dropped" if drop else "rose"
    return Finding(
        kind="volume_drop" if drop else "volume_spike",
        message=f"volume {word} {abs(change):.0%} in the last {window_minutes} min: "
        f"{observed:.0f} events vs {expected:.0f} expected (z={z:.1f})",
        observed=float(observed),
        expected=float(expected),
        score=abs(z),
        details={"window_minutes": window_minutes, "change": round(change, 4), "spread": s},
    )


def volume_check(recent: ArrayLike, low: ArrayLike, high: ArrayLike, error: float, params: VolumeParams,
                 error_high: float | None = None, settled: bool = False, wary: bool = False) -> Finding | None:
    """Strongest finding over ``params.windows`` of one event.

    ``recent``: the last complete minute counts, newest last (at least the longest window);
    ``low``/``high``: the expected counts of each window, in ``params.windows`` order.
    """
    counts = np.asarray(recent, dtype=np.float64)
    best: Finding | None = None
    first = params.windows[0]
    back = recovered(counts[-first:].sum(), np.asarray(low)[0], np.asarray(high)[0], window_minutes=first,
                     params=params)
    err_hi = error if error_high is None else error_high
    lows, highs = np.asarray(low), np.asarray(high)
    for i, (window, lo, hi) in enumerate(zip(params.windows, lows, highs, strict=True)):
        observed = float(counts[-window:].sum())
        drop, spike = volume_flags(observed, lo, hi, error, window_minutes=window, params=params, error_high=err_hi,
                                   settled=settled, wary=wary)
        drop, spike = drop & ~back[0], spike & ~back[1]
        if i == 0 and len(params.windows) > 1:  # the shortest window needs the next one to lean its way
            down, up = leans(float(counts[-params.windows[1]:].sum()), lows[1], highs[1], error, err_hi)
            drop, spike = drop & down, spike & up
        if not (drop or spike):
            continue
        finding = volume_finding(observed, float(lo if drop else hi), error if drop else err_hi, window_minutes=window,
                                 drop=bool(drop))
        if best is None or finding.score > best.score:
            best = finding
    return best
