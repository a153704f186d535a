"""``drift``: a property's values change shape between a reference window and a recent one.

Profiles (null share, JSON type mix, value shares) of each property are built from the sampled
events (``event_samples``) of the last ``window`` minutes and of the ``reference`` minutes
before it; ``detect.drift`` reports a null-rate rise, a type-mix change ("int 84% / string 16%")
or a value-share shift that is both large and significant. One fingerprint per property.
"""

from __future__ import annotations

from typing import Any

from governance.plan.check_spec import DriftParams
from governance.quality.checks.base import CheckContext, CheckKind, Observation, kind
from governance.quality.detect.drift import drift, profile_values
from governance.quality.expectations import lookup

MAX_PROPERTIES = 50


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
                                 limit=p.max_samples)
    found: list[Observation] = []
    for path in _paths(reference + recent, p.properties):
        before = profile_values(lookup(e, path) for e in reference)
        now = profile_values(lookup(e, path) for e in recent)
        finding = drift(before, now, min_count=p.min_count, sensitivity=p.sensitivity, null_rise=p.null_rise,
                        type_shift=p.type_shift, value_shift=p.value_shift)
        if finding is not None:
            finding.details.update(property=path, samples={"reference": before.count, "recent": now.count})
        found.append(Observation(event, path, finding))
    return found


KIND: CheckKind = kind("drift", evaluate)
