"""``volume``: the event's count over trailing windows against its low and high expectation.

The expectation (``governance.quality.baseline``) is the same hour of past weeks and days,
scaled to today's level, integrated over exactly the minutes of each window; a drop is judged
against the low estimate, a spike against the high one, and both must pass a z-score and a
relative change (``detect.volume``). A window that overlaps an hour without an estimate is not
judged; when none can be, the check is ``learning`` and says what it waits for.
"""

from __future__ import annotations

import numpy as np

from governance.plan.check_spec import VolumeCheckParams
from governance.quality.baseline import ModelParams
from governance.quality.baseline.seasonal import MIN_WEEKS
from governance.quality.checks.base import CheckContext, CheckKind, Observation, kind
from governance.quality.checks.expected import expectation, waits_for
from governance.quality.detect.volume import VolumeParams, spread, volume_check, wary


def detector(p: VolumeCheckParams) -> VolumeParams:
    return VolumeParams(direction=p.direction, sensitivity=p.sensitivity, min_volume=p.min_volume,
                        min_drop=p.min_drop, min_spike=p.min_spike, min_count=p.min_count,
                        deep_count=p.deep_count, deep_drop=p.deep_drop, deep_z=p.deep_z, warmup_drop=p.warmup_drop,
                        warmup_level=p.warmup_level, windows=tuple(p.windows))


def model(p: VolumeCheckParams) -> ModelParams:
    # error_tail: the drops' multiplicative error reaches ``sensitivity`` spreads (the default, 3, keeps the
    # key of the silence check's model, so one cycle builds one expectation per event)
    return ModelParams(weeks=p.weeks, lookback=p.level_hours, min_error=p.min_error, error_tail=p.sensitivity)


def evaluate(ctx: CheckContext) -> list[Observation]:
    p: VolumeCheckParams = ctx.params
    event = ctx.check.event
    now = expectation(ctx, model(p))
    low, high, learning = now.windows(p.windows)
    if learning.all():
        first = int(np.floor(now.position - max(p.windows) / 60.0))
        return [Observation.waiting(event, waits_for(now, first))]
    low, high = np.where(learning, np.nan, low)[0], np.where(learning, np.nan, high)[0]
    recent = ctx.data.recent(event, max(60, max(p.windows)))
    settled = bool(now.weeks[0, now.current] >= MIN_WEEKS)  # three weeks of samples: a halved window fires from deep_z
    cautious = bool(wary(now.weeks[0, now.current], now.high_level[0], detector(p)))
    finding = volume_check(recent, low, high, float(now.error[0]), detector(p), error_high=float(now.error_high[0]),
                           settled=settled, wary=cautious)
    if finding is not None:
        finding.details.update(weeks=int(now.weeks[0, now.current]), level=round(float(now.drop_scale[0]), 3))
    return [Observation(event, "", finding, {"volume": measured(recent, low, high, float(now.error[0]),
                                                            float(now.error_high[0]), p, settled, cautious)})]


def measured(recent: np.ndarray, low: np.ndarray, high: np.ndarray, error: float, error_high: float,
             p: VolumeCheckParams, settled: bool = False, wary: bool = False) -> dict[str, object]:
    """What a run saw, stored with it (the console charts it): each judged window's count against
    the band in which nothing fires (below ``low`` a drop, above ``high`` a spike, when the window
    is judged at all), and ``expected`` between the low and the high estimate; the longest window on top.
    ``settled`` and ``wary`` as ``detect.volume.volume_flags`` takes them, so the band is the detector's."""
    counts = np.asarray(recent, dtype=np.float64)
    rows = []
    for w, lo, hi in zip(p.windows, low, high, strict=True):
        if np.isnan(lo) or np.isnan(hi):
            continue
        drop = p.min_drop if lo >= p.min_count else p.deep_drop  # a thin window: its deeper drop (detect.volume)
        floor = min((1 - drop) * lo, lo - p.sensitivity * float(spread(lo, error)))
        if settled and lo >= p.min_count:  # a halved window fires from deep_z (detect.volume)
            floor = max(floor, min((1 - p.deep_drop) * lo, lo - p.deep_z * float(spread(lo, error))))
        if wary:  # weeks 1-2 after busier samples: a drop must be deeper (detect.volume.wary)
            floor = min(floor, (1 - p.warmup_drop) * lo)
        ceiling = max((1 + p.min_spike) * hi, hi + p.sensitivity * float(spread(hi, error_high)))
        rows.append({"window_minutes": w, "observed": float(counts[-w:].sum()),
                     "expected": round(float(lo + hi) / 2, 3), "low": round(max(0.0, floor), 3),
                     "high": round(ceiling, 3)})
    return {**rows[-1], "windows": rows} if rows else {}


KIND: CheckKind = kind("volume", evaluate)
