"""Today's level: how the recent complete hours compare with their estimates.

Day-to-day swings (a slow Monday, a busy launch day, a slow decline) move a whole day. The
*level* is the weighted median of ``observed / expected`` over the lookback hours, each hour
weighted by what it was expected to hold: a night hour expected to hold 3 events says little
about the level, a peak hour a lot. A median shrugs off an anomaly covering less than half of
the weight. Hours that are learning, or expected to hold nothing, carry no weight.

The relative *error* of the level-adjusted expectation is the robust scatter of those ratios
(1.4826 x weighted MAD) less what their own Poisson noise explains, plus the standard error of a
median over the effective number of hours.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
MAD_SCALE = 1.4826
KEPT_SHARE = 0.25  # ``spike_free``: the share of the lookback's expected events the hours left must hold


def weighted_median(values: FloatArray, weights: FloatArray) -> FloatArray:
    """Weighted median along the last axis (``NaN`` where every weight is 0)."""
    order = np.argsort(np.where(weights > 0, values, np.inf), axis=-1)
    v = np.take_along_axis(values, order, -1)
    w = np.take_along_axis(weights, order, -1)
    cum = np.cumsum(w, axis=-1)
    total = cum[..., -1:]
    pick = np.argmax(cum >= 0.5 * total, axis=-1)[..., None]
    out = np.take_along_axis(v, pick, -1)[..., 0]
    return np.where(total[..., 0] > 0, out, np.nan)


def recent_level(observed: ArrayLike, expected: ArrayLike, *, clip: tuple[float, float] = (0.5, 2.0)
                 ) -> tuple[FloatArray, FloatArray]:
    """``(level, error)`` from lookback hours ``(..., hours)``: 1 and 0 without a usable hour."""
    obs = np.asarray(observed, dtype=np.float64)
    exp = np.asarray(expected, dtype=np.float64)
    usable = np.isfinite(obs) & np.isfinite(exp) & (exp > 0)
    weight = np.where(usable, exp, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(usable, obs / np.where(usable, exp, 1.0), 0.0)
    raw = weighted_median(ratio, weight)
    known = np.isfinite(raw)
    level = np.clip(np.where(known, raw, 1.0), *clip)
    spread = weighted_median(np.abs(ratio - level[..., None]), weight)
    scatter = MAD_SCALE * np.nan_to_num(spread) / level
    total = weight.sum(-1)
    n_eff = np.where(total > 0, total**2 / np.maximum((weight**2).sum(-1), 1e-12), 1.0)
    typical = np.where(total > 0, (weight**2).sum(-1) / np.maximum(total, 1e-12), 1.0)  # weight-averaged count
    poisson = 1.0 / np.maximum(level * typical, 1.0)
    error = np.sqrt(np.maximum(scatter**2 - poisson, 0.0) + (1.2533 * scatter) ** 2 / np.maximum(n_eff, 1.0))
    return np.where(known, level, 1.0), np.where(known, error, 0.0)


def spike_free(observed: ArrayLike, expected: ArrayLike, ratio: float) -> FloatArray:
    """``observed`` with the lookback hours that were a spike or a campaign set to ``NaN`` (the level
    then leaves them out).

    An hour is one where it held more than ``ratio`` times its expectation, by more than three
    Poisson spreads of that bar (a night hour expected to hold 3 events that held 8 is noise): a
    campaign or a spike in the lookback is not today's ordinary level, and read as one it raises the
    drops' bar for the hours after it ends. Where the hours left hold less than ``KEPT_SHARE`` of the
    lookback's expected events (the campaign is still on, or ended within the last hour or two,
    whose ramp is half the campaign's), none is kept: one hour is no level. ``ratio`` 0: every hour kept."""
    obs = np.asarray(observed, dtype=np.float64)
    if ratio <= 0:
        return obs
    exp = np.asarray(expected, dtype=np.float64)
    weight = np.where(np.isfinite(obs) & np.isfinite(exp) & (exp > 0), exp, 0.0)
    bar = ratio * np.where(weight > 0, exp, 0.0)
    spike = (weight > 0) & (obs > bar + 3.0 * np.sqrt(bar))
    kept = np.where(spike, 0.0, weight).sum(-1, keepdims=True)
    gone = spike | (kept < KEPT_SHARE * weight.sum(-1, keepdims=True))
    return np.asarray(np.where(gone, np.nan, obs))


def multiplicative_error(error: ArrayLike, tail: float) -> FloatArray:
    """The relative error of a level-scaled expectation as the drop side of a multiplicative one.

    The level is a ratio and its error a scatter of ratios: the rate it stands for lies within
    ``exp(+-tail x error)`` of the estimate, not ``1 +- tail x error`` (an error of 0.34 would
    otherwise put a rate of zero within three of them). Returns the linear relative error whose
    ``tail`` spreads below reach what ``tail`` multiplicative ones do: ``(1 - exp(-tail x error)) / tail``.
    ``tail`` 0: the error unchanged."""
    err = np.asarray(error, dtype=np.float64)
    if tail <= 0:
        return err
    return np.asarray((1.0 - np.exp(-tail * err)) / tail)
