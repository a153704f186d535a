"""``new_unplanned``: an event or a property the plan does not know is arriving.

One observation per unplanned event name (field ``""``) and per unplanned property
(event, ``properties.x``), each with the closest planned name: "did you mean ...?". It keeps
firing while the name keeps arriving and resolves ``keep_firing_for`` evaluations after it
stops (the plan learned it, or the app was fixed).
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from governance.plan.check_spec import NewUnplannedParams
from governance.plan.names import NameIndex
from governance.quality.checks.base import CheckContext, CheckKind, Observation, kind
from governance.quality.detect import Finding


def _ignored(name: str, patterns: list[str]) -> bool:
    return any(fnmatchcase(name, p) for p in patterns)


def _hint(suggestion: str | None) -> str:
    return f'; did you mean "{suggestion}"?' if suggestion else ""


def evaluate(ctx: CheckContext) -> list[Observation]:
    p: NewUnplannedParams = ctx.params
    source = ctx.source
    found: list[Observation] = []
    if p.events:
        for name, count in sorted(ctx.data.unplanned_events(p.window).items()):
            if count < p.min_count or _ignored(name, p.ignore):
                continue
            suggestion = source.closest_event(name)
            message = (f'unplanned event "{name}" arrived {count} times in the last {p.window} min on '
                       f"{source.name}{_hint(suggestion)}")
            finding = Finding("unplanned_event", message, float(count), 0.0, float(count),
                              {"name": name, "count": count, "suggestion": suggestion})
            found.append(Observation(name, "", finding))
    if p.properties:
        for (event, field), count in sorted(ctx.data.unplanned_properties(p.window).items()):
            if count < p.min_count or _ignored(field, p.ignore) or _ignored(f"{event}.{field}", p.ignore):
                continue
            suggestion = _closest_property(ctx, event, field)
            message = (f'unplanned property "{field}" on "{event}" arrived {count} times in the last {p.window} '
                       f"min on {source.name}{_hint(suggestion)}")
            finding = Finding("unplanned_property", message, float(count), 0.0, float(count),
                              {"name": field, "count": count, "suggestion": suggestion})
            found.append(Observation(event, field, finding))
    return found


def _closest_property(ctx: CheckContext, event: str, field: str) -> str | None:
    """The planned property of ``event`` the unplanned ``field`` most likely meant."""
    spec = ctx.source.event_spec(event)
    if spec is None:
        return None
    prefix, _, name = field.rpartition(".")
    planned = {prop for props in spec.all_versions().values() for prop in props}
    match = NameIndex(sorted(planned)).closest(name) if planned else None
    if match is None or match == name:
        return None
    return f"{prefix}.{match}" if prefix else match


KIND: CheckKind = kind("new_unplanned", evaluate)
