"""``violation_rate``: the share of events with violations over a trailing window, above a threshold.

Events with at least one violation are counted by the proxy per minute (``violation_counts`` rows
of type ``*``); with ``types`` given, violations of those types are counted instead (one per
violated field, capped at the event count). Events come from ``event_counts``. The rate is judged
by the Wilson lower bound, so a handful of events never fires. Event ``""`` judges the whole source.
"""

from __future__ import annotations

from pydantic import Field

from governance.quality.checks.base import DEFAULTS, CheckContext, CheckKind, Observation, Params
from governance.quality.detect import violation_rate


class ViolationRateParams(Params):
    window: int = Field(DEFAULTS.violation_window, ge=1, le=1440, description="Trailing window, minutes")
    threshold: float = Field(DEFAULTS.violation_threshold, gt=0, le=1,
                             description="Share of events with violations above which it fires")  # fmt: skip
    min_events: int = Field(DEFAULTS.violation_min_events, ge=1, description="Events the window must hold to be judged")
    confidence_z: float = Field(DEFAULTS.violation_z, ge=0, description="z of the Wilson lower bound (0: the raw rate)")
    types: list[str] | None = Field(None, description="Violation types counted (default: all)")


def evaluate(ctx: CheckContext) -> list[Observation]:
    p: ViolationRateParams = ctx.params
    event = ctx.check.event
    events = ctx.data.event_totals(p.window).get(event, 0)
    violations = min(ctx.data.violation_totals(p.window, p.types).get(event, 0), events)
    finding = violation_rate(violations, events, threshold=p.threshold, min_events=p.min_events,
                             confidence_z=p.confidence_z)  # fmt: skip
    if finding is not None:
        finding.details["window_minutes"] = p.window
    return [Observation(event, "", finding)]


KIND = CheckKind(
    name="violation_rate",
    summary="Share of events with violations above a threshold, per event or per source",
    params=ViolationRateParams,
    evaluate=evaluate,
    default_for=DEFAULTS.for_of("violations"),
    default_keep_firing_for=DEFAULTS.keep_firing_for,
)
