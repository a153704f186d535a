"""``drift``: a property's values change shape between a reference window and a recent one.

Profiles (null share, JSON type mix, value shares) of each property are built from the sampled
events (``event_samples``) of the last ``window`` minutes and of the ``reference`` minutes
before it; ``detect.drift`` reports a null-rate rise, a type-mix change ("int 84% / string 16%")
or a value-share shift that is both large and significant. One fingerprint per property.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from governance.quality.checks.base import DEFAULTS, CheckContext, CheckKind, Observation, Params
from governance.quality.detect import drift, profile_values
from governance.quality.expectations import lookup

MAX_PROPERTIES = 50


class DriftParams(Params):
    window: int = Field(DEFAULTS.drift_window, ge=5, le=1440, description="Recent window, minutes")
    reference: int = Field(DEFAULTS.drift_reference, ge=5, le=10080,
                           description="Reference window before the recent one, minutes")  # fmt: skip
    properties: list[str] | None = Field(
        None, description="Dotted paths to watch, e.g. properties.quantity (default: every top-level property)")
    min_count: int = Field(DEFAULTS.drift_min_count, ge=1, description="Samples each window needs to be judged")
    sensitivity: float = Field(4.0, gt=0, description="z-score a change must pass")
    null_rise: float = Field(0.05, gt=0, le=1, description="Rise of the null share that fires")
    type_shift: float = Field(DEFAULTS.drift_shift, gt=0, le=1,
                              description="Total variation distance of the type mix that fires")  # fmt: skip
    value_shift: float = Field(DEFAULTS.drift_shift, gt=0, le=1,
                               description="Total variation distance of value shares that fires")  # fmt: skip
    max_samples: int = Field(5000, ge=100, le=100_000, description="Samples read per window, newest first")


def _paths(events: list[Any], wanted: list[str] | None) -> list[str]:
    if wanted:
        return wanted
    names: dict[str, None] = {}
    for event in events:
        props = event.get("properties") if isinstance(event, dict) else None
        if isinstance(props, dict):
            names.update(dict.fromkeys(props))
        if len(names) >= MAX_PROPERTIES:
            break
    return [f"properties.{name}" for name in list(names)[:MAX_PROPERTIES]]


def evaluate(ctx: CheckContext) -> list[Observation]:
    p: DriftParams = ctx.params
    event = ctx.check.event
    recent = ctx.data.samples(event, start_minutes_ago=p.window, end_minutes_ago=0, limit=p.max_samples)
    reference = ctx.data.samples(event, start_minutes_ago=p.window + p.reference, end_minutes_ago=p.window,
                                 limit=p.max_samples)  # fmt: skip
    found: list[Observation] = []
    for path in _paths(reference + recent, p.properties):
        before = profile_values(lookup(e, path) for e in reference)
        now = profile_values(lookup(e, path) for e in recent)
        finding = drift(before, now, min_count=p.min_count, sensitivity=p.sensitivity, null_rise=p.null_rise,
                        type_shift=p.type_shift, value_shift=p.value_shift)  # fmt: skip
        if finding is not None:
            finding.details.update(property=path, samples={"reference": before.count, "recent": now.count})
        found.append(Observation(event, path, finding))
    return found


KIND = CheckKind(
    name="drift",
    summary="Null rate, type mix or value shares of a property shift (from sampled events)",
    params=DriftParams,
    evaluate=evaluate,
    default_for=DEFAULTS.for_of("drift"),
    default_keep_firing_for=DEFAULTS.keep_firing_for,
    needs_event=True,
)
