"""``volume``: the event's count over trailing windows against its seasonal baseline.

The baseline is the median of the same hour of the week over the last weeks (same hour of the
day when less history exists), scaled to today's level and spread by MAD (see
``detect.level_baselines``); a drop or a spike must pass both a z-score and a relative change.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, field_validator

from governance.quality.baseline import window_baseline
from governance.quality.checks.base import DEFAULTS, CheckContext, CheckKind, Observation, Params
from governance.quality.detect import Baseline, VolumeParams, level_baselines, volume_check

_DEFAULT = VolumeParams()


class VolumeCheckParams(Params):
    direction: Literal["drop", "spike", "both"] = Field(_DEFAULT.direction, description="Which changes fire")
    sensitivity: float = Field(_DEFAULT.sensitivity, gt=0, description="z-score a window must pass")
    min_volume: float = Field(_DEFAULT.min_volume, ge=0, description="Expected events/hour below which nothing fires")
    min_drop: float = Field(_DEFAULT.min_drop, gt=0, le=1, description="Relative drop a window must show")
    min_spike: float = Field(_DEFAULT.min_spike, gt=0, description="Relative rise a window must show")
    min_count: float = Field(_DEFAULT.min_count, ge=0, description="Expected events a window must hold to be judged")
    windows: list[int] = Field(list(_DEFAULT.windows), min_length=1, description="Trailing windows, minutes")
    level_hours: int = Field(DEFAULTS.level_hours, ge=1, le=48, description="Recent hours that set today's level")
    min_error: float = Field(DEFAULTS.min_error, ge=0, description="Floor of the baseline's relative error")
    weeks: int = Field(4, ge=1, le=4, description="Weeks of same-hour-of-week history in the baseline")

    @field_validator("windows")
    @classmethod
    def _windows(cls, value: list[int]) -> list[int]:
        if any(not 1 <= w <= 60 for w in value):
            raise ValueError("windows are 1..60 minutes")
        return sorted(set(value))

    def detector(self) -> VolumeParams:
        return VolumeParams(direction=self.direction, sensitivity=self.sensitivity, min_volume=self.min_volume,
                            min_drop=self.min_drop, min_spike=self.min_spike, min_count=self.min_count,
                            windows=tuple(self.windows))  # fmt: skip


def baselines(ctx: CheckContext, level_hours: int, min_error: float, weeks: int) -> tuple[Baseline, Baseline] | None:
    """Level-adjusted baselines of the current and the previous hour (cached per cycle)."""
    key = ("baselines", ctx.check.event, level_hours, min_error, weeks)
    cache = ctx.data._cache
    if key not in cache:
        series = ctx.data.hourly(ctx.check.event)
        cache[key] = None
        if series.size >= 24:
            now, prev = level_baselines(series[None, :].astype(np.float64), lookback=level_hours,
                                        min_error=min_error, weeks=weeks)  # fmt: skip
            cache[key] = (_one(now), _one(prev))
    return cache[key]


def _one(base: Baseline) -> Baseline:
    return Baseline(base.expected[0], base.spread[0], base.method, base.samples)


def evaluate(ctx: CheckContext) -> list[Observation]:
    p: VolumeCheckParams = ctx.params
    pair = baselines(ctx, p.level_hours, p.min_error, p.weeks)
    if pair is None:  # less than a day of history: no baseline yet
        return [Observation(ctx.check.event)]
    now, prev = pair
    recent = ctx.data.recent(ctx.check.event)
    finding = volume_check(recent, now, prev, minute_of_hour=ctx.data.minute % 60, params=p.detector())
    if finding is not None:
        finding.details["baseline"] = now.method
    return [Observation(ctx.check.event, "", finding, {"volume": measured(recent, now, prev, ctx.data.minute % 60, p)})]


def measured(recent: np.ndarray, now: Baseline, prev: Baseline, minute_of_hour: int,
             p: VolumeCheckParams) -> dict[str, object]:  # fmt: skip
    """What a run saw, stored with it (the console charts it): each window's count against its
    expected band, ``expected -/+ sensitivity x spread``; the longest window on top."""
    windows = []
    for window in p.windows:
        expected, spread = window_baseline(now, prev, window=window, minute_of_hour=minute_of_hour)
        e, s = float(expected), float(spread)
        windows.append({"window_minutes": window, "observed": float(np.asarray(recent)[-window:].sum()),
                        "expected": round(e, 3), "low": round(max(0.0, e - p.sensitivity * s), 3),
                        "high": round(e + p.sensitivity * s, 3)})  # fmt: skip
    return {**windows[-1], "baseline": now.method, "windows": windows}


KIND = CheckKind(
    name="volume",
    summary="Drop or spike of the event's volume against its seasonal baseline",
    params=VolumeCheckParams,
    evaluate=evaluate,
    default_for=DEFAULTS.for_of("drop"),
    default_keep_firing_for=DEFAULTS.keep_firing_for,
)
