"""``silence``: an event its baseline expects has not arrived for a while."""

from __future__ import annotations

from pydantic import Field

from governance.quality.checks.base import DEFAULTS, CheckContext, CheckKind, Observation, Params
from governance.quality.checks.volume import baselines
from governance.quality.detect import silence


class SilenceParams(Params):
    after_minutes: float = Field(DEFAULTS.silence_after, gt=0,
                                 description="Minutes without the event before it counts as silent")  # fmt: skip
    min_expected: float = Field(DEFAULTS.silence_min_expected, gt=0,
                                description="Events the baseline expected over the gap (chance: exp(-n))")  # fmt: skip
    level_hours: int = Field(DEFAULTS.level_hours, ge=1, le=48, description="Recent hours that set today's level")
    weeks: int = Field(4, ge=1, le=4, description="Weeks of same-hour-of-week history in the baseline")


def evaluate(ctx: CheckContext) -> list[Observation]:
    p: SilenceParams = ctx.params
    pair = baselines(ctx, p.level_hours, DEFAULTS.min_error, p.weeks)
    if pair is None:
        return [Observation(ctx.check.event)]
    expected = float(pair[0].expected)
    if expected != expected:  # NaN: no baseline for this hour
        return [Observation(ctx.check.event)]
    ago = ctx.data.minutes_since_seen(ctx.check.event)
    finding = silence(ago, expected, after_minutes=p.after_minutes, min_expected=p.min_expected)
    return [Observation(ctx.check.event, "", finding)]


KIND = CheckKind(
    name="silence",
    summary="No event for a while although the baseline expected some",
    params=SilenceParams,
    evaluate=evaluate,
    default_for=DEFAULTS.for_of("silence"),
    default_keep_firing_for=DEFAULTS.keep_firing_for,
)
