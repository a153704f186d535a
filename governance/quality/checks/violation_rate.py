"""``violation_rate``: the share of events with violations over a trailing window, above a threshold.

Events with at least one violation are counted by the proxy per minute (``violation_counts`` rows
of type ``*``); with ``types`` given, violations of those types are counted instead (one per
violated field, capped at the event count). Events come from ``event_counts``. The rate is judged
by the Wilson lower bound, so a handful of events never fires. Event ``""`` judges the whole source.
A finding names its cause (``violation_cause``): the top fields and types with a sample, the plan
version, the app versions and libraries of the violating events, and its onset.
"""

from __future__ import annotations

from dataclasses import replace

from governance.plan.check_spec import ViolationRateParams
from governance.quality.checks.base import CheckContext, CheckKind, Observation, kind
from governance.quality.checks.violation_cause import cause, explain
from governance.quality.detect.violations import violation_rate


def evaluate(ctx: CheckContext) -> list[Observation]:
    p: ViolationRateParams = ctx.params
    event = ctx.check.event
    events = ctx.data.event_totals(p.window).get(event, 0)
    violations = min(ctx.data.violation_totals(p.window, p.types).get(event, 0), events)
    n = ctx.data.event_totals(p.short_window).get(event, 0) if p.short_window else 0
    recent = (min(ctx.data.violation_totals(p.short_window, p.types).get(event, 0), n), n) if p.short_window else None
    finding = violation_rate(violations, events, threshold=p.threshold, min_events=p.min_events,
                             confidence_z=p.confidence_z, recent=recent, recent_window=p.short_window,
                             recent_min_events=p.short_min_events, recent_z=p.short_confidence_z)
    if finding is not None:
        window = int(finding.details.get("window_minutes") or p.window)
        details = {"window_minutes": window, **finding.details,
                   **cause(ctx.data, event, window, p.threshold, ctx.source.plan_version)}
        why = explain(details)
        finding = replace(finding, details=details, message=f"{finding.message}: {why}" if why else finding.message)
    return [Observation(event, "", finding)]


KIND: CheckKind = kind("violation_rate", evaluate)
