"""Diff two plans, event by event and property by property, in Karapace's change vocabulary.

    >>> [c.kind for c in diff_plans(old, new)]
    ['maximum_decreased', 'property_added']

Property schemas are compared as ``compile.property_schema`` compiles them, so the verdicts hold
for the schemas the proxy really runs: the top-level ``properties``/``traits`` object of a message
is closed (``additionalProperties: false``), nested objects are open unless the plan closes them,
and the common schema is open. What each kind means for compatibility lives in ``diff_rules``.

Two policies, documented in ``docs/concepts/versions-and-compatibility.md``:

- adding an *optional* property is additive and counts as forward compatible too: an unknown
  property does not break a reader (the proxy reports it as an unplanned property);
- a message kind the plan does not describe (no ``identify:``, no ``page:``) is treated like an
  empty description, as Segment Protocols does: every trait or property of it is unplanned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import BaseModel

from governance.plan import diff_rules as rules
from governance.plan.compile import canonical_bytes, property_schema
from governance.plan.loader import format_path
from governance.plan.model import (
    CommonSpec,
    EventSpec,
    Plan,
    Properties,
    PropertySpec,
    TraitsSpec,
    VersionFallback,
    ViewSpec,
)

Loc = tuple[str, ...]
Schema = dict[str, Any]
_PLAN_METADATA = ("display_name", "description", "owner", "compatibility", "naming", "checks")
_EVENT_METADATA = ("description", "owner", "labels", "deprecated", "checks", "expectations")


@dataclass(frozen=True)
class Change:
    kind: str
    path: str
    event: str | None
    category: str  # "additive" | "revision" | "breaking"
    backward: bool  # every message valid under the old plan stays valid under the new one
    forward: bool  # every message valid under the new plan was valid under the old one
    message: str
    old: Any = None
    new: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "event": self.event,
            "category": self.category,
            "backward": self.backward,
            "forward": self.forward,
            "message": self.message,
            "old": self.old,
            "new": self.new,
        }

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def diff_plans(old: Plan, new: Plan) -> list[Change]:
    """Every change from ``old`` to ``new``, in plan order (events sorted by name)."""
    differ = _Differ(old.body(), new.body())
    differ.plan(old, new)
    return differ.changes


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _show(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def _unchanged(old: Any, new: Any) -> bool:
    """Equality of JSON bodies that tells ``true`` from ``1`` (Python's ``==`` does not)."""
    return old == new and canonical_bytes(old) == canonical_bytes(new)


class _Differ:
    def __init__(self, old_body: dict[str, Any], new_body: dict[str, Any]) -> None:
        self.changes: list[Change] = []
        self.old_body, self.new_body = old_body, new_body
        self.note = ""  # prefix for changes seen through a fallback (default version, default view)

    # --- recording --------------------------------------------------------------------------

    def add(
        self, kind: str, loc: Loc, event: str | None, old: Any = None, new: Any = None, **extra: Any
    ) -> None:
        spec = rules.KINDS[kind]
        old, new = _jsonable(old), _jsonable(new)
        text = spec.summary.format(old=_show(old), new=_show(new), keyword=extra.get("keyword", ""))
        self.changes.append(
            Change(
                kind=kind,
                path=format_path(loc),
                event=event,
                category=spec.category,
                backward=spec.backward,
                forward=spec.forward,
                message=self.note + text,
                old=old,
                new=new,
            )
        )

    def metadata(self, loc: Loc, event: str | None, old: Any, new: Any, fields: tuple[str, ...]) -> None:
        for name in fields:
            before, after = getattr(old, name), getattr(new, name)
            if not _unchanged(_jsonable(before), _jsonable(after)):
                self.add("metadata_changed", (*loc, name), event, before, after, keyword=name)

    # --- plan structure ---------------------------------------------------------------------

    def plan(self, old: Plan, new: Plan) -> None:
        self.metadata((), None, old, new, _PLAN_METADATA)
        fallback_same = old.event_version_fallback == new.event_version_fallback
        if not fallback_same:
            multi = any(len(e.all_versions()) > 1 for p in (old, new) for e in p.events.values())
            kind = "version_fallback_changed" if multi else "metadata_changed"
            self.add(kind, ("event_version_fallback",), None, old.event_version_fallback.value,
                     new.event_version_fallback.value, keyword="event_version_fallback")
        old_events, new_events = self.old_body.get("events", {}), self.new_body.get("events", {})
        for name in sorted(old.events.keys() | new.events.keys()):
            if name not in new.events:
                self.add("event_removed", ("events", name), name, old_events.get(name, {}), None)
            elif name not in old.events:
                self.add("event_added", ("events", name), name, None, new_events.get(name, {}))
            elif not _unchanged(old_events.get(name), new_events.get(name)):
                fallback = new.event_version_fallback if fallback_same else None
                self.event(name, old.events[name], new.events[name], fallback)
        for kind in ("identify", "group"):
            self.traits(kind, getattr(old, kind) or TraitsSpec(), getattr(new, kind) or TraitsSpec())
        for kind in ("page", "screen"):
            self.view(kind, getattr(old, kind) or ViewSpec(), getattr(new, kind) or ViewSpec())
        self.common(old.common, new.common)

    def event(self, name: str, old: EventSpec, new: EventSpec, fallback: VersionFallback | None) -> None:
        loc: Loc = ("events", name)
        self.metadata(loc, name, old, new, _EVENT_METADATA)
        old_versions, new_versions = old.all_versions(), new.all_versions()

        def where(number: int) -> Loc:
            return loc if number == new.version else (*loc, "versions", str(number))

        for number in sorted(old_versions.keys() | new_versions.keys()):
            if number not in new_versions:
                self.add("event_version_removed", (*loc, "versions", str(number)), name, number, None)
            elif number not in old_versions:
                self.add("event_version_added", where(number), name, None, number)
            else:
                self.properties(where(number), name, "properties", old_versions[number], new_versions[number])
                if number in old.versions and number in new.versions:
                    self.metadata(where(number), name, old.versions[number], new.versions[number],
                                  ("description", "deprecated"))
        if fallback in (VersionFallback.latest, VersionFallback.oldest):
            pick = max if fallback is VersionFallback.latest else min
            before, after = pick(old_versions), pick(new_versions)
            if before != after:
                self.add("default_version_changed", (*loc, "version"), name, before, after)
                self.note = f"messages without event_version (version {before} -> {after}): "
                self.properties(where(after), name, "properties", old_versions[before], new_versions[after])
                self.note = ""

    def traits(self, kind: str, old: TraitsSpec, new: TraitsSpec) -> None:
        if _unchanged(self.old_body.get(kind), self.new_body.get(kind)):
            return
        self.metadata((kind,), None, old, new, ("description", "owner"))
        self.properties((kind,), None, "traits", old.traits, new.traits)

    def view(self, kind: str, old: ViewSpec, new: ViewSpec) -> None:
        if _unchanged(self.old_body.get(kind), self.new_body.get(kind)):
            return
        self.metadata((kind,), None, old, new, ("description",))
        self.properties((kind,), None, "properties", old.properties, new.properties)
        for name in sorted(old.names.keys() | new.names.keys()):
            loc: Loc = (kind, "names", name)
            before, after = old.names.get(name), new.names.get(name)
            if before is not None and after is not None:
                self.metadata(loc, None, before, after, ("description", "owner"))
                self.properties(loc, None, "properties", before.properties, after.properties)
                continue
            # a name without its own schema is validated by the default one
            self.add("view_added" if after is not None else "view_removed", loc, None)
            self.note = "named schema replaces the default: " if after else "default schema replaces it: "
            self.properties(loc, None, "properties", before.properties if before else old.properties,
                            after.properties if after else new.properties)
            self.note = ""

    def common(self, old: CommonSpec, new: CommonSpec) -> None:
        if _unchanged(self.old_body.get("common"), self.new_body.get("common")):
            return
        self.metadata(("common",), None, old, new, ("description",))
        self.properties(("common",), None, "properties", old.properties, new.properties, closed=False)

    # --- objects and properties -------------------------------------------------------------

    def properties(
        self,
        loc: Loc,
        event: str | None,
        field: str,
        old: Properties,
        new: Properties,
        *,
        closed: bool = True,
    ) -> None:
        """A message's top-level properties/traits object (closed, except the common schema's)."""
        self.object(
            loc, event, field,
            {n: (s, None) for n, s in old.items()}, {n: (s, None) for n, s in new.items()},
            {n for n, s in old.items() if s.required}, {n for n, s in new.items() if s.required},
            old_open=not closed, new_open=not closed,
        )

    def object(
        self,
        loc: Loc,
        event: str | None,
        field: str,
        old: Mapping[str, tuple[PropertySpec | None, Schema | None]],
        new: Mapping[str, tuple[PropertySpec | None, Schema | None]],
        old_required: set[str],
        new_required: set[str],
        *,
        old_open: bool,
        new_open: bool,
    ) -> None:
        if old_open != new_open:
            kind = "additional_properties_extended" if new_open else "additional_properties_narrowed"
            self.add(kind, (*loc, "additionalProperties"), event, not old_open, not new_open)
        for name in sorted(old.keys() | new.keys()):
            here: Loc = (*loc, field, name)
            if name not in old:
                spec, schema = new[name]
                schema = _schema(spec, schema)
                if name in new_required:
                    kind = "required_attribute_added"
                elif old_open and not rules.unconstrained(schema):
                    kind = "property_added_to_open_content_model"
                else:
                    kind = "property_added"
                self.add(kind, here, event, None, schema)
            elif name not in new:
                spec, schema = old[name]
                kind = (
                    "property_removed_from_open_content_model" if new_open
                    else "property_removed_from_closed_content_model"
                )
                self.add(kind, here, event, _schema(spec, schema), None)
                if name in old_required:
                    self.add("required_attribute_removed", (*here, "required"), event, True, False)
            else:
                was, now = name in old_required, name in new_required
                if was != now:
                    kind = "required_attribute_added" if now else "required_attribute_removed"
                    self.add(kind, (*here, "required"), event, was, now)
                self.node(here, event, old[name], new[name])

    def node(
        self,
        loc: Loc,
        event: str | None,
        old: tuple[PropertySpec | None, Schema | None],
        new: tuple[PropertySpec | None, Schema | None],
    ) -> None:
        old_spec, new_spec = old[0], new[0]
        lazy = old[1] is None and new[1] is None  # top-level: nothing compiled yet
        if (
            lazy
            and old_spec is not None
            and new_spec is not None
            and _unchanged(_spec_body(old_spec), _spec_body(new_spec))
        ):
            return
        before, after = _schema(old_spec, old[1]), _schema(new_spec, new[1])
        old_pii, new_pii = bool(old_spec and old_spec.pii), bool(new_spec and new_spec.pii)
        if old_pii != new_pii:
            self.add("metadata_changed", (*loc, "pii"), event, old_pii, new_pii, keyword="pii")
        raw = any(spec is not None and spec.raw_schema is not None for spec in (old_spec, new_spec))
        unknown = any(k not in rules.KNOWN_KEYWORDS for schema in (before, after) for k in schema)
        if raw or unknown:
            for finding in rules.metadata_rule(before, after):
                self._finding(loc, event, finding)
            if not _unchanged(_strip(before), _strip(after)):
                self.add("schema_changed", (*loc, "schema"), event, before, after)
            return
        for _keyword, rule in rules.KEYWORD_RULES:
            for finding in rule(before, after):
                self._finding(loc, event, finding)
        if "items" in before or "items" in after:
            self.node((*loc, "items"), event, _child_item(old_spec, before), _child_item(new_spec, after))
        if any(k in s for s in (before, after) for k in ("properties", "required", "additionalProperties")):
            old_children, new_children = _children(old_spec, before), _children(new_spec, after)
            self.object(
                loc, event, "properties", old_children, new_children,
                set(before.get("required", ())), set(after.get("required", ())),
                old_open=before.get("additionalProperties") is not False,
                new_open=after.get("additionalProperties") is not False,
            )

    def _finding(self, loc: Loc, event: str | None, finding: rules.Finding) -> None:
        kind, keyword, before, after = finding
        self.add(kind, (*loc, keyword), event, before, after, keyword=keyword)


def _spec_body(spec: PropertySpec) -> Any:
    return spec.model_dump(mode="json", by_alias=True, exclude_defaults=True)


def _schema(spec: PropertySpec | None, schema: Schema | None) -> Schema:
    if schema is not None:
        return schema
    return property_schema(spec) if spec is not None else {}


def _strip(schema: Schema) -> Schema:
    return {k: v for k, v in schema.items() if k not in ("description", "deprecated")}


def _child_item(spec: PropertySpec | None, schema: Schema) -> tuple[PropertySpec | None, Schema]:
    return (spec.items if spec is not None else None), schema.get("items", {})


Child = tuple[PropertySpec | None, Schema | None]


def _children(spec: PropertySpec | None, schema: Schema) -> dict[str, Child]:
    specs = (spec.properties if spec is not None else None) or {}
    return {name: (specs.get(name), child) for name, child in schema.get("properties", {}).items()}
