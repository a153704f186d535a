"""The naming convention of an imported plan, read from its names.

Segment, RudderStack and Snowplow files carry no naming convention, so an import reads it from
the names themselves: the convention that at least two thirds of the distinct event (or property)
names follow becomes the plan's ``naming``; when none does, ``any`` (the names follow no
convention the linter knows, and flagging every one of them would bury the real findings). An
imported camelCase plan then lints only the names that break its own rule. The report says what
was chosen and from how many names::

    info: naming: events object_action_title (22 of 24 names), properties camelCase (26 of 27 names)

A plan that states its ``naming`` (a JSON Schema bundle exported from here) keeps it.
"""

from __future__ import annotations

from collections.abc import Iterable

from governance.formats.base import ReportItem
from governance.plan.lint import NAMING, RESERVED_NAMES, all_properties
from governance.plan.model import NamingConfig, Plan

SHARE = 2 / 3
EVENT_CONVENTIONS = ("object_action_title", "snake_case", "camelCase")  # the first is the default
PROPERTY_CONVENTIONS = ("snake_case", "camelCase")


def detect(names: Iterable[str], conventions: tuple[str, ...]) -> tuple[str, str]:
    """(convention, why) for a set of names; ties go to the earlier convention (the default first)."""
    distinct = sorted(set(names))
    if not distinct:
        return conventions[0], "no names"
    counts = {c: sum(1 for n in distinct if NAMING[c][0].match(n)) for c in conventions}
    best = max(conventions, key=lambda c: counts[c])  # max keeps the first of equal counts
    if counts[best] >= SHARE * len(distinct):
        return best, f"{counts[best]} of {len(distinct)} names"
    tried = ", ".join(f"{c} {counts[c]}" for c in conventions)
    return "any", f"no convention fits {len(distinct)} names: {tried}"


def adopt_naming(plan: Plan) -> tuple[Plan, ReportItem]:
    """The plan with the naming convention its names follow, and the report line saying so."""
    events, events_why = detect(plan.events, EVENT_CONVENTIONS)
    names = [name for _loc, name, _spec, _siblings in all_properties(plan, common=False) if name not in RESERVED_NAMES]
    properties, properties_why = detect(names, PROPERTY_CONVENTIONS)
    naming = NamingConfig.model_validate({"events": events, "properties": properties})
    message = f"naming: events {events} ({events_why}), properties {properties} ({properties_why})"
    return plan.model_copy(update={"naming": naming}), ReportItem("naming", message, "info")
