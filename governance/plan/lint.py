"""Lint a tracking plan: errors that must be fixed, warnings worth fixing.

    events."Completed Order": near-duplicate of event "Order Completed" (...)   error near_duplicate_event
    events."Order Completed".properties.orderId: ... snake_case ...              warning property_naming

``lint_text`` loads first: a document that does not load yields ``invalid_plan`` errors (unknown
keys, invalid values, regexes the linear-time engine refuses), placed on their lines. Each rule
is a small function registered in ``RULES``; codes are stable, clients may match on them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from jsonschema import Draft202012Validator, SchemaError

from governance.errors import PlanInvalid
from governance.plan.jsontype import json_type
from governance.plan.loader import _NodeIndex, format_path, parse_document, plan_from_data
from governance.plan.model import Plan, Properties, PropertySpec
from governance.plan.names import REASONS, NameIndex, closest_event, words
from governance.plan.regex import regex_problem

__all__ = ["RULES", "LintIssue", "NameIndex", "closest_event", "lint_plan", "lint_text"]

Severity = Literal["error", "warning"]
Loc = tuple[Any, ...]


@dataclass(frozen=True)
class LintIssue:
    severity: Severity
    code: str
    path: str
    message: str
    line: int | None = None
    file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "path": self.path,
            "message": self.message,
            "line": self.line,
            "file": self.file,
        }

    def __str__(self) -> str:
        where = f" ({self.file or '<input>'}:{self.line})" if self.line else ""
        return f"{self.severity}: {self.path or '<root>'}: {self.message} [{self.code}]{where}"


@dataclass(frozen=True)
class Finding:
    """What a rule yields: the location as a tuple, so the caller can place it on a line."""

    severity: Severity
    code: str
    loc: Loc
    message: str


Rule = Callable[[Plan], Iterator[Finding]]

# --- walking the plan -----------------------------------------------------------------------

# Segment's reserved traits and page properties are camelCase by spec; never flag their names.
RESERVED_NAMES = frozenset(
    {"createdAt", "firstName", "lastName", "avatar", "birthday", "username", "website", "referrer"}
)


def property_sets(plan: Plan, *, common: bool = True) -> Iterator[tuple[Loc, Properties]]:
    """Every top-level properties/traits object of the plan, with its location."""
    for name, event in plan.events.items():
        yield ("events", name, "properties"), event.properties
        for number, version in event.versions.items():
            yield ("events", name, "versions", str(number), "properties"), version.properties
    for kind in ("identify", "group"):
        traits = getattr(plan, kind)
        if traits is not None:
            yield (kind, "traits"), traits.traits
    for kind in ("page", "screen"):
        view = getattr(plan, kind)
        if view is not None:
            yield (kind, "properties"), view.properties
            for name, named in view.names.items():
                yield (kind, "names", name, "properties"), named.properties
    if common:
        yield ("common", "properties"), plan.common.properties


def walk(loc: Loc, properties: Properties) -> Iterator[tuple[Loc, str, PropertySpec, Properties]]:
    """Every property under ``properties`` (nested objects and array items too)."""
    for name, spec in properties.items():
        yield (*loc, name), name, spec, properties
        yield from _walk_spec((*loc, name), spec)


def _walk_spec(loc: Loc, spec: PropertySpec) -> Iterator[tuple[Loc, str, PropertySpec, Properties]]:
    if spec.properties:
        yield from walk((*loc, "properties"), spec.properties)
    if spec.items is not None:
        yield from _walk_spec((*loc, "items"), spec.items)


def all_properties(plan: Plan, *, common: bool = True) -> Iterator[tuple[Loc, str, PropertySpec, Properties]]:
    for loc, properties in property_sets(plan, common=common):
        yield from walk(loc, properties)


# --- naming ---------------------------------------------------------------------------------

NAMING: dict[str, tuple[re.Pattern[str], Callable[[tuple[str, ...]], str], str]] = {
    "object_action_title": (
        re.compile(r"^[A-Z0-9][A-Za-z0-9]*( [A-Z0-9][A-Za-z0-9]*)+$"),
        lambda w: " ".join(part.capitalize() for part in w) if len(w) > 1 else "Order Completed",
        "Title Case words, an object then an action",
    ),
    "snake_case": (re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"), "_".join, "snake_case"),
    "camelCase": (
        re.compile(r"^[a-z][a-z0-9]*([A-Z][a-z0-9]*)*$"),
        lambda w: w[0] + "".join(part.capitalize() for part in w[1:]) if w else "orderCompleted",
        "camelCase",
    ),
}


def _naming_problem(name: str, convention: str) -> str | None:
    rule = NAMING.get(convention)
    if rule is None or rule[0].match(name):
        return None
    _pattern, suggest, label = rule
    suggestion = suggest(words(name)) or "?"
    return f"{name!r} does not follow the {convention} convention ({label}); e.g. {suggestion!r}"


def rule_event_naming(plan: Plan) -> Iterator[Finding]:
    for name in plan.events:
        problem = _naming_problem(name, plan.naming.events)
        if problem:
            yield Finding("warning", "event_naming", ("events", name), f"event name {problem}")


def rule_property_naming(plan: Plan) -> Iterator[Finding]:
    for loc, name, _spec, _siblings in all_properties(plan, common=False):
        if name in RESERVED_NAMES:
            continue
        problem = _naming_problem(name, plan.naming.properties)
        if problem:
            yield Finding("warning", "property_naming", loc, f"property name {problem}")


# --- descriptions, duplicates, contradictions ------------------------------------------------


def rule_descriptions(plan: Plan) -> Iterator[Finding]:
    for name, event in plan.events.items():
        if not (event.description or "").strip():
            yield Finding("warning", "missing_description", ("events", name), "event has no description")
    for loc, _name, spec, _siblings in all_properties(plan, common=False):
        raw_description = (spec.raw_schema or {}).get("description")
        if not (spec.description or raw_description or "").strip():
            yield Finding("warning", "missing_description", loc, "property has no description")


def rule_near_duplicate_events(plan: Plan) -> Iterator[Finding]:
    index = NameIndex(plan.events)
    position = {name: i for i, name in enumerate(plan.events)}
    for name in plan.events:
        for other, reason, distance in index.matches(name):
            if position[other] < position[name]:  # report each pair once, on the later name
                why = REASONS[reason].format(distance=distance)
                yield Finding("error", "near_duplicate_event", ("events", name),
                              f"near-duplicate of event {other!r}: {why}")


def rule_near_duplicate_properties(plan: Plan) -> Iterator[Finding]:
    groups: dict[int, tuple[Loc, Properties]] = {}
    for loc, _name, _spec, siblings in all_properties(plan):
        groups.setdefault(id(siblings), (loc[:-1], siblings))
    for loc, siblings in groups.values():
        first: dict[tuple[str, str], str] = {}  # (reason, normalised key) -> first name with it
        for name in siblings:
            parts = words(name)
            keys = [("same_key", "".join(parts)), ("word_order", " ".join(sorted(parts)))] if parts else []
            earlier = next((first[key] for key in keys if key in first), None)
            if earlier is not None:
                reason = next(key[0] for key in keys if first.get(key) == earlier)
                why = f"near-duplicate of property {earlier!r}: {REASONS[reason]}"
                yield Finding("warning", "near_duplicate_property", (*loc, name), why)
            for key in keys:
                first.setdefault(key, name)


def rule_required_deprecated(plan: Plan) -> Iterator[Finding]:
    for loc, _name, spec, _siblings in all_properties(plan):
        if spec.required and spec.deprecated:
            why = "property is both required and deprecated: senders cannot stop sending it"
            yield Finding("warning", "required_deprecated", loc, why)


def rule_enum_types(plan: Plan) -> Iterator[Finding]:
    for loc, _name, spec, _siblings in all_properties(plan):
        values = [*(spec.enum or []), *([spec.const] if spec.const is not None else [])]
        if not values:
            continue
        declared = set(spec.types())
        if declared:
            accepted = declared | ({"integer"} if "number" in declared else set())
            accepted |= {"null"} if spec.nullable else set()
            wrong = [v for v in values if json_type(v) not in accepted]
            if wrong:
                yield Finding("error", "enum_type_mismatch", loc,
                              f"values {wrong!r} do not match the declared type {spec.type!r}")
            continue
        kinds = {json_type(v).replace("integer", "number") for v in values if v is not None}
        if len(kinds) > 1:
            yield Finding("warning", "enum_mixed_types", loc, f"enum mixes value types {sorted(kinds)}")


# --- raw schemas ----------------------------------------------------------------------------

_VALUE_KEYWORDS = frozenset({"enum", "const", "default", "examples"})
_SCHEMA_MAPS = frozenset({"properties", "$defs", "definitions", "dependentSchemas"})


def _raw_patterns(node: Any, loc: Loc) -> Iterator[tuple[Loc, str]]:
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from _raw_patterns(item, (*loc, i))
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in _VALUE_KEYWORDS:
            continue
        if key == "pattern" and isinstance(value, str):
            yield (*loc, key), value
        elif key == "patternProperties" and isinstance(value, dict):
            for pattern, sub in value.items():
                yield (*loc, key, pattern), pattern
                yield from _raw_patterns(sub, (*loc, key, pattern))
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            for name, sub in value.items():
                yield from _raw_patterns(sub, (*loc, key, name))
        else:
            yield from _raw_patterns(value, (*loc, key))


def rule_raw_schemas(plan: Plan) -> Iterator[Finding]:
    for loc, _name, spec, _siblings in all_properties(plan):
        if spec.raw_schema is None:
            continue
        try:
            Draft202012Validator.check_schema(spec.raw_schema)
        except SchemaError as exc:
            # a bad regex is reported below as invalid_regex, with the linear-time engine's verdict
            if not (exc.validator == "format" and exc.validator_value == "regex"):
                where = (*loc, "schema", *exc.path)
                message = f"not a valid JSON Schema 2020-12: {exc.message}"
                yield Finding("error", "invalid_schema", where, message)
        for where, pattern in _raw_patterns(spec.raw_schema, (*loc, "schema")):
            problem = regex_problem(pattern) if isinstance(pattern, str) else "pattern must be a string"
            if problem:
                yield Finding("error", "invalid_regex", where, problem)


RULES: dict[str, Rule] = {
    "raw_schema": rule_raw_schemas,
    "enum_types": rule_enum_types,
    "near_duplicate_events": rule_near_duplicate_events,
    "near_duplicate_properties": rule_near_duplicate_properties,
    "event_naming": rule_event_naming,
    "property_naming": rule_property_naming,
    "descriptions": rule_descriptions,
    "required_deprecated": rule_required_deprecated,
}


# --- entry points ---------------------------------------------------------------------------


def _run(plan: Plan, index: _NodeIndex | None, file: str | None) -> list[LintIssue]:
    issues = []
    for rule in RULES.values():
        for found in rule(plan):
            line = index.line(found.loc) if index is not None else None
            path = format_path(found.loc)
            issues.append(LintIssue(found.severity, found.code, path, found.message, line, file))
    return sorted(issues, key=lambda issue: issue.severity != "error")


def lint_plan(plan: Plan, *, file: str | None = None) -> list[LintIssue]:
    """Every issue of a loaded plan, errors first."""
    return _run(plan, None, file)


def lint_text(text: str | bytes, *, file: str | None = None) -> list[LintIssue]:
    """Load and lint a YAML/JSON document; loading errors become ``invalid_plan`` errors."""
    try:
        data, index = parse_document(text, file=file)
        plan = plan_from_data(data, index=index, file=file)
    except PlanInvalid as exc:
        details = exc.details if isinstance(exc.details, list) and exc.details else [{"message": exc.message}]
        return [_loading_issue(detail, exc.message, file) for detail in details]
    return _run(plan, index, file)


def _loading_issue(detail: dict[str, Any], fallback: str, file: str | None) -> LintIssue:
    line = detail.get("line")
    return LintIssue(
        "error",
        "invalid_plan",
        str(detail.get("path") or ""),
        str(detail.get("message") or fallback),
        line if isinstance(line, int) else None,
        detail.get("file") or file,
    )
