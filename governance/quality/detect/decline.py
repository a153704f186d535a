"""Slow decline: the last days against the 4-week level, which the hourly detectors absorb.

``volume`` judges minutes against today's level, so a 40 % decline over three days becomes the
new normal without a single drop. This detector compares whole days with the same hours of
earlier weeks instead. The **reference** of a block of hours is the same hours of one whole week
of the last 4: the week whose block holds the lower median of the weeks' (from two weeks: the
lower of two, the middle of three, the second lowest of four), so a campaign in one or two of them
never makes a normal week look low (``week_of_block``; picked hour by hour, as before, the middle
of three weeks with one campaign among them was the larger of the two normal weeks' hours, 20 %
over either on an event of a few events an hour). For the
three 24-hour blocks that end at the last complete hour, ``ratio`` is the median of the hours'
``observed / reference`` weighted by their reference (over the hours where both are known, at
least 80 % of each block): a decline lowers every hour, an outage of a few hours only a few. The
two blocks that confirm read, where it is higher, their sum against the reference's: their bar
(85 %) is within the noise of a quiet day's median hour (a decline lowers both). Each of the three
blocks' reference must
hold ``min_per_day`` events (a business event's quiet weekend is not judged, nor confirms). It
fires when the last block is at most ``1 - min_decline`` of the reference,
the two blocks before are at most ``1 - confirm``, **and** the last 12 hours are still at most
``1 - min_decline``: three low days in a row that have not recovered, so a holiday (low, then
back, next to a normal weekend) or a one-day outage is not a decline. Nor is a **new step**: the
last 24 h under ``1 - max_step`` (0.75) of the 24 h before (the day after a Monday holiday, whose
weekend ran 15-25 % under the two weekends before: 4 of the 7 false declines of the realistic
seeds 0-5, 100-104 and 300-304); a slow decline loses a few per cent a day, and a lasting step is
reported once the three days agree. Blocks of same-hour-of-week
hours carry the weekly pattern with them (a weekend compares with weekends), in any time zone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from governance.quality.baseline.seasonal import HOURS_PER_WEEK, samples
from governance.quality.detect.finding import Finding

FloatArray = NDArray[np.float64]
BLOCKS = 3  # 24-hour blocks judged
RECENT = 12  # hours of the "still low" block
COVERAGE = 0.8  # share of a block's hours that must be known
CHUNK = 256  # block ends computed at once


@dataclass(frozen=True)
class DeclineParams:
    min_decline: float = 0.3  # the last 24 h at most 70 % of the 4-week level
    confirm: float = 0.15  # ... and the 24 h before at most 85 %
    min_per_day: float = 240.0  # the reference must hold this many events a day to be judged
    weeks: int = 4
    max_step: float = 0.25  # the last 24 h at least ``1 - max_step`` of the 24 h before: a new step is not a trend
    whole_weeks: bool = True  # a block's reference is one whole week's same hours (False: picked hour by hour)


@dataclass(frozen=True)
class DeclineState:
    """Per event and end hour: the ratios of the 24-hour blocks, newest first, and their reference."""

    ratios: FloatArray  # (events, ends, BLOCKS), NaN: not enough history
    reference: FloatArray  # (events, ends, BLOCKS): events a day
    recent: FloatArray  # (events, ends): ratio of the last RECENT hours

    @property
    def learning(self) -> NDArray[np.bool_]:
        return np.asarray(np.isnan(self.ratios).any(-1) | np.isnan(self.recent))


def weekly_reference(hourly: ArrayLike, hours: ArrayLike, weeks: int = 4) -> FloatArray:
    """Reference of ``hours``: the lower median of 2-4 same-hour-of-week samples (the lower of two,
    the middle of three, the second lowest of four), else NaN."""
    counts = np.asarray(hourly, dtype=np.float64)
    weekly = samples(counts, np.asarray(hours, dtype=np.int64), HOURS_PER_WEEK, weeks)
    n = (~np.isnan(weekly)).sum(-1)
    ordered = np.sort(weekly, axis=-1)  # NaN last
    lower = np.take_along_axis(ordered, np.maximum((n - 1) // 2, 0)[..., None], axis=-1)[..., 0]
    return np.asarray(np.where(n >= 2, lower, np.nan))


def week_of_block(weekly: FloatArray, hours: int) -> FloatArray:
    """Per block ``(..., hours, weeks)`` of same-hour-of-week samples: the hours of the one week whose
    block holds the lower median (the lower of two, the middle of three, the second lowest of four) of
    the weeks' means per known hour, among the weeks known over ``COVERAGE`` of the block (``NaN``
    with fewer than two). A week is kept or left out whole: picked hour by hour, the middle of three
    weeks of which one was a campaign is the larger of the two normal weeks' hours, and on an event
    of a few events an hour that is 20 % over either week."""
    known = np.isfinite(weekly)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(known, weekly, 0.0).sum(-2) / known.sum(-2)  # (..., weeks)
    usable = known.sum(-2) >= COVERAGE * hours
    n = usable.sum(-1)
    order = np.argsort(np.where(usable, mean, np.inf), axis=-1)
    pick = np.take_along_axis(order, np.maximum((n - 1) // 2, 0)[..., None], axis=-1)  # (..., 1)
    chosen = np.take_along_axis(weekly, np.broadcast_to(pick[..., None, :], (*weekly.shape[:-1], 1)), axis=-1)[..., 0]
    return np.asarray(np.where((n >= 2)[..., None], chosen, np.nan))


def _block(obs: FloatArray, ref: FloatArray, known: NDArray[np.bool_], stop: NDArray[np.int64],
           hours: int, summed_too: bool = False, weekly: FloatArray | None = None) -> tuple[FloatArray, FloatArray]:
    """Ratio and reference (events a day) of the blocks of ``hours`` ending at columns ``stop``.

    The ratio is the median of the hours' ratios weighted by their reference (an outage of a few hours,
    the volume and silence checks' business, leaves it where it was); ``summed_too``: or, where it is
    higher, the block's sum against the reference's (on hours of a few events each, the median hour is
    counting noise: a quiet weekend's hours of 2-10 events). A decline lowers both."""
    idx = stop[:, None] - hours + np.arange(hours)[None, :]  # (ends, hours)
    o, r, k = obs[:, idx], ref[:, idx], known[:, idx]
    if weekly is not None:  # the reference: one whole week's same hours
        r = week_of_block(weekly[:, idx], hours)
        k = np.isfinite(r) & np.isfinite(o)
    weight = np.where(k, r, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(k & (r > 0), o / np.where(r > 0, r, 1.0), np.inf)
        summed = np.where(k, o, 0.0).sum(-1) / weight.sum(-1)
    order = np.argsort(ratio, axis=-1)
    w = np.take_along_axis(weight, order, axis=-1)
    cum = np.cumsum(w, axis=-1)
    total = cum[..., -1:]
    pick = np.minimum((cum < 0.5 * total).sum(-1, keepdims=True), hours - 1)
    median = np.take_along_axis(np.take_along_axis(ratio, order, axis=-1), pick, axis=-1)[..., 0]
    n = k.sum(-1)
    ok = (n >= COVERAGE * hours) & (total[..., 0] > 0)
    ratio_of = np.fmax(median, summed) if summed_too else median
    return np.where(ok, ratio_of, np.nan), total[..., 0] * 24 / np.maximum(n, 1)


def decline_state(hourly: ArrayLike, ends: ArrayLike, params: DeclineParams | None = None) -> DeclineState:
    """Block ratios for blocks ending at hour indexes ``ends`` (exclusive) of ``hourly`` ``(events, T)``."""
    p = params or DeclineParams()
    counts = np.asarray(hourly, dtype=np.float64)
    counts = counts[None, :] if counts.ndim == 1 else counts
    end = np.asarray(ends, dtype=np.int64).reshape(-1)
    first = int(end.min()) - 24 * BLOCKS
    hours = np.arange(first, int(end.max()))
    ref = weekly_reference(counts, hours, p.weeks)
    weekly = samples(counts, hours, HOURS_PER_WEEK, p.weeks) if p.whole_weeks else None
    obs = np.where((hours >= 0) & (hours < counts.shape[-1]), counts[:, np.clip(hours, 0, counts.shape[-1] - 1)],
                   np.nan)
    known = np.isfinite(ref) & np.isfinite(obs)
    ratios = np.empty((counts.shape[0], end.size, BLOCKS))
    reference = np.empty_like(ratios)
    recent = np.empty((counts.shape[0], end.size))
    for part in range(0, end.size, CHUNK):  # a block's weeks are (events, ends, hours, weeks): bounded memory
        e = end[part : part + CHUNK] - first
        for b in range(BLOCKS):
            ratios[:, part : part + CHUNK, b], reference[:, part : part + CHUNK, b] = _block(
                obs, ref, known, e - 24 * b, 24, summed_too=b > 0, weekly=weekly)
        recent[:, part : part + CHUNK], _ = _block(obs, ref, known, e, RECENT, weekly=weekly)
    return DeclineState(ratios, reference, recent)


def decline_flags(state: DeclineState, params: DeclineParams) -> NDArray[np.bool_]:
    """Vectorised decline condition ``(events, ends)``."""
    r = np.nan_to_num(state.ratios, nan=np.inf)
    now = np.nan_to_num(state.recent, nan=np.inf)
    busy = (state.reference >= params.min_per_day).all(-1)  # every day judged: a quiet weekend's hours are noise
    gradual = r[..., 0] >= (1 - params.max_step) * r[..., 1]  # not a new step down in the last day
    return np.asarray(busy & gradual & (r[..., 0] <= 1 - params.min_decline)
                      & (r[..., 1:] <= 1 - params.confirm).all(-1) & (now <= 1 - params.min_decline))


def decline_finding(ratios: ArrayLike, reference: float, recent: float) -> Finding:
    """The finding of one event whose decline condition holds."""
    r = [float(x) for x in np.asarray(ratios)]
    return Finding(
        kind="decline",
        message=f"volume over the last 24 h is {r[0]:.0%} of its 4-week level (the 24 h before: {r[1]:.0%}, "
                f"before that: {r[2]:.0%}; the last {RECENT} h: {recent:.0%})",
        observed=r[0] * reference,
        expected=reference,
        score=1.0 - r[0],
        details={"ratios": [round(x, 4) for x in r], "recent": round(recent, 4),
                 "reference_per_day": round(reference, 1)},
    )
