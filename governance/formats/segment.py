"""Segment Protocols tracking plans: import the three shapes Segment and Typewriter write, export rules.

Import, detected from the document:

* Config API v1: ``{display_name, rules: {events: [{name, version, description, rules}],
  global, identify_traits, group_traits}}``; each schema wraps the whole message
  (``properties: {context, properties, traits}``) and may carry ``labels``;
* Public API rules: ``{type: TRACK|IDENTIFY|GROUP|PAGE|SCREEN|COMMON, key, version, jsonSchema,
  deprecatedAt}`` as a bare list, ``{rules: [...]}`` (with the plan's ``name``/``description``
  beside them) or ``{data: {rules: [...]}}``;
* Typewriter ``plan.json``: Public API rules whose ``jsonSchema`` is the event's properties
  themselves, with ``eventMetadata {name, type}`` (the name sent on the wire; it wins over ``key``).

Several rules with the same key and different versions become one event with ``version`` (the
lowest live one) and ``versions``. A ``deprecatedAt`` other than Segment's zero date deprecates
that version. Export writes ``rules.json`` (the body of ``PUT /tracking-plans/{id}/rules``) and
``tracking-plan.json`` (the body of ``POST /tracking-plans``).
"""

from __future__ import annotations

from typing import Any

import orjson

from governance.errors import PlanInvalid
from governance.formats.base import ExportResult, ImportResult, Reporter, build_plan, slugify, walk_properties
from governance.formats.drafts import (
    DRAFT4,
    DRAFT4_INTEGERS,
    DRAFT7,
    DRAFT_URIS,
    detect_draft,
    downgrade,
    upgrade,
    uses_integer,
)
from governance.formats.jsonschema_map import MapContext, properties_from_object, properties_to_object
from governance.formats.naming import adopt_naming
from governance.formats.source import read_source
from governance.plan.model import Plan, Properties

KINDS = ("TRACK", "IDENTIFY", "GROUP", "PAGE", "SCREEN", "COMMON")
ZERO_DATE = "0001-01-01T00:00:00.000Z"
DEPRECATED_AT = "1970-01-01T00:00:00.000Z"  # exported for deprecated versions: the plan keeps no date
_TRIVIAL: tuple[dict[str, Any], ...] = ({}, {"type": "object"})
_WRAPPER_KEYS = frozenset({"context", "properties", "traits"})


class Rule:
    """One Segment rule, whatever shape it came in."""

    def __init__(self, kind: str, key: str | None, version: int, schema: Any, loc: tuple[Any, ...], *,
                 file: str, description: str | None = None, deprecated: bool = False) -> None:
        self.kind, self.key, self.version, self.schema, self.loc = kind, key, version, schema, loc
        self.file, self.description, self.deprecated = file, description, deprecated


def _version(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else 1


def _deprecated(value: Any) -> bool:
    return isinstance(value, str) and bool(value) and not value.startswith("0001-01-01")


def _v1_rules(doc: dict[str, Any], file: str, report: Reporter) -> list[Rule]:
    rules = doc["rules"]
    out: list[Rule] = []
    for i, event in enumerate(rules.get("events") or []):
        if not isinstance(event, dict) or not isinstance(event.get("name"), str):
            report.add(("rules", "events", i), "event without a name skipped", "error", file=file)
            continue
        out.append(Rule("TRACK", event["name"], _version(event.get("version")), event.get("rules"),
                        ("rules", "events", i, "rules"), file=file, description=event.get("description")))
    for field_name, kind in (("global", "COMMON"), ("identify_traits", "IDENTIFY"), ("identify", "IDENTIFY"),
                             ("group_traits", "GROUP"), ("group", "GROUP")):
        value = rules.get(field_name)
        entries = value if isinstance(value, list) else [value] if isinstance(value, dict) and value else []
        for i, entry in enumerate(entries):
            metadata = isinstance(entry, dict) and isinstance(entry.get("rules"), dict)
            schema = entry["rules"] if metadata else entry
            loc = ("rules", field_name, *((i,) if isinstance(value, list) else ()))
            out.append(Rule(kind, None, _version(entry.get("version")) if metadata else 1, schema,
                            (*loc, "rules") if metadata else loc, file=file))
    return out


def _public_rules(items: list[Any], base: tuple[Any, ...], file: str, report: Reporter) -> list[Rule]:
    out: list[Rule] = []
    for i, item in enumerate(items):
        loc = (*base, i)
        kind = str(item.get("type", "")).upper() if isinstance(item, dict) else ""
        if kind not in KINDS:
            report.add(loc, f"rule of unknown type {kind or None!r} skipped", "error", file=file)
            continue
        schema = item.get("jsonSchema", item.get("json_schema"))
        key = item.get("key") if isinstance(item.get("key"), str) and item.get("key") else None
        meta = schema.get("eventMetadata") if isinstance(schema, dict) else None
        if isinstance(meta, dict) and isinstance(meta.get("name"), str) and meta["name"] != key:
            report.add((*loc, "jsonSchema", "eventMetadata", "name"),
                       f"event name {meta['name']!r} (sent on the wire) used instead of the rule key {key!r}",
                       "info", file=file)
            key = meta["name"]
        if kind == "TRACK" and not key:
            report.add(loc, "TRACK rule without a key skipped", "error", file=file)
            continue
        out.append(Rule(kind, key, _version(item.get("version")), schema, (*loc, "jsonSchema"), file=file,
                        deprecated=_deprecated(item.get("deprecatedAt"))))
    return out


def _meta_of(doc: Any) -> dict[str, str]:
    """The plan's name, slug, display name and description, wherever the shape keeps them.

    ``GET /tracking-plans/{id}`` answers ``{data: {trackingPlan: {name, slug, description}}}``
    (saved beside the rules, or merged with them); Config API v1 has ``display_name``; a bare
    ``{name, rules}`` has them at the top. The plan object wins over the document around it.
    """
    if not isinstance(doc, dict):
        return {}
    data: dict[str, Any] = doc["data"] if isinstance(doc.get("data"), dict) else {}
    places = [data.get("trackingPlan"), doc.get("trackingPlan"), data, doc]
    meta: dict[str, str] = {}
    for place in places:
        if not isinstance(place, dict):
            continue
        for key in ("name", "slug", "display_name", "description"):
            value = place.get(key)
            if isinstance(value, str) and value.strip() and key not in meta:
                meta[key] = value.strip()
    return meta


def _read(source: Any, report: Reporter) -> tuple[list[Rule], dict[str, Any]]:
    """Every rule in the input and the plan metadata found beside them."""
    rules: list[Rule] | None = None
    meta: dict[str, Any] = {}
    for file, doc in read_source(source, accept=lambda n: n.endswith(".json")).documents():
        found: list[Rule] | None = None
        if isinstance(doc, list):
            found = _public_rules(doc, (), file, report)
        elif isinstance(doc, dict) and isinstance(doc.get("rules"), dict):
            found = _v1_rules(doc, file, report)
        elif isinstance(doc, dict) and isinstance(doc.get("rules"), list):
            found = _public_rules(doc["rules"], ("rules",), file, report)
        elif isinstance(doc, dict) and isinstance(doc.get("data"), dict) and isinstance(doc["data"].get("rules"),
                                                                                         list):
            found = _public_rules(doc["data"]["rules"], ("data", "rules"), file, report)
        for key, value in _meta_of(doc).items():
            meta.setdefault(key, value)
        if found is not None:
            if rules is not None:
                raise PlanInvalid(f"{file}: a second set of rules; import one tracking plan at a time",
                                  details=[{"path": file, "message": "more than one set of rules"}])
            rules = found
    if rules is None:
        raise PlanInvalid("not a Segment tracking plan: no Config API v1 'rules', Public API rules or "
                          "Typewriter plan found", details=[{"path": "", "message": "no rules"}])
    return rules, meta


class SegmentImporter:
    name = "segment"
    description = "Segment Protocols: Config API v1 plan, Public API rules, Typewriter plan.json"

    def load(self, source: Any, *, name: str | None = None) -> ImportResult:
        report = Reporter()
        rules, meta = _read(source, report)
        display = meta.get("display_name") or (meta.get("name") if meta.get("name") != meta.get("slug") else None)
        if isinstance(display, str) and display.startswith("workspaces/"):
            display = None
        data: dict[str, Any] = {"name": name or slugify(meta.get("slug") or display)}
        if display:
            data["display_name"] = display
        if meta.get("description"):
            data["description"] = meta["description"]
        events: dict[str, list[tuple[Rule, Properties, dict[str, str], str | None]]] = {}
        singles: dict[tuple[str, str | None], tuple[Rule, Properties, str | None]] = {}
        for rule in rules:
            props, labels, description = _schema_parts(rule, report)
            if rule.kind == "TRACK":
                events.setdefault(str(rule.key), []).append((rule, props, labels, description))
                continue
            slot = (rule.kind, rule.key if rule.kind in ("PAGE", "SCREEN") else None)
            if slot in singles:
                older, newer = sorted([singles[slot][0], rule], key=lambda r: r.version)
                report.add(older.loc, f"{rule.kind} version {older.version} dropped: the plan keeps one "
                                      f"(version {newer.version})", "warning", file=older.file)
                if newer is not rule:
                    continue
            singles[slot] = (rule, props, description)
        data["events"] = {key: _event(versions, report) for key, versions in events.items()}
        for (kind, key), (rule, props, description) in singles.items():
            _place(data, kind, key, props, description)
            if rule.deprecated:
                report.add(rule.loc, f"{kind} rule is deprecated; the plan has no such flag for it", "info",
                           file=rule.file)
        if any(detect_draft(r.schema) == DRAFT4 and uses_integer(r.schema) for r in rules):
            report.add("", DRAFT4_INTEGERS, "info")
        report.add("", "the top-level properties/traits of every message are closed in the plan: undeclared "
                       "keys are unplanned properties, allowed or omitted by each source's settings", "info")
        plan, naming = adopt_naming(build_plan(data))
        return ImportResult(plan, [*report.finish(), naming])


def _schema_parts(rule: Rule, report: Reporter) -> tuple[Properties, dict[str, str], str | None]:
    schema = rule.schema if isinstance(rule.schema, dict) else {}
    if not isinstance(rule.schema, dict):
        report.add(rule.loc, "rule has no JSON Schema; nothing constrained", "warning", file=rule.file)
    draft = detect_draft(schema, DRAFT7)
    doc = upgrade(schema, draft, segment_types=True)
    ctx = MapContext(doc, report, rule.file)
    labels = {str(k): str(v) for k, v in (schema.get("labels") or {}).items()} if isinstance(
        schema.get("labels"), dict) else {}
    description = schema.get("description") or rule.description
    description = description if isinstance(description, str) and description.strip() else None
    if rule.kind == "COMMON":
        return properties_from_object(doc, ctx, rule.loc, what="message"), labels, description
    section = "traits" if rule.kind in ("IDENTIFY", "GROUP") else "properties"
    top = doc.get("properties") if isinstance(doc.get("properties"), dict) else {}
    wrapped = "eventMetadata" not in schema and bool(top) and set(top) <= _WRAPPER_KEYS
    if not wrapped:
        return properties_from_object(doc, ctx, rule.loc, what=section), labels, description
    for other in sorted(_WRAPPER_KEYS - {section}):
        if top.get(other) not in (*_TRIVIAL, None):
            report.add((*rule.loc, "properties", other), f"rules on {other} of this {rule.kind.lower()} are not "
                       f"carried over (put message-wide rules in common)", "warning", file=rule.file)
    for key in sorted(set(doc) - {"$schema", "type", "properties", "labels", "description", "eventMetadata",
                                  "id", "$id", "title", "required", "additionalProperties"}):
        report.add((*rule.loc, key), f"{key} on the message schema is not carried over", "warning", file=rule.file)
    return properties_from_object(top.get(section), ctx, (*rule.loc, "properties", section),
                                  what=section), labels, description


def _event(versions: list[tuple[Rule, Properties, dict[str, str], str | None]], report: Reporter) -> dict[str, Any]:
    versions.sort(key=lambda v: v[0].version)
    by_number: dict[int, tuple[Rule, Properties, dict[str, str], str | None]] = {}
    for entry in versions:
        if entry[0].version in by_number:
            report.add(entry[0].loc, f"a second rule for version {entry[0].version} replaces the first",
                       "warning", file=entry[0].file)
        by_number[entry[0].version] = entry
    live = [n for n, e in by_number.items() if not e[0].deprecated]
    everything_deprecated = not live
    own = min(live or by_number)
    labels: dict[str, str] = {}
    for rule, _, version_labels, _ in by_number.values():
        for key, value in version_labels.items():
            if labels.get(key, value) != value:
                report.add((*rule.loc, "labels", key), f"label {key!r} differs between versions; "
                                                       f"{value!r} kept", "info", file=rule.file)
            labels[key] = value
    _, props, _, description = by_number[own]
    event: dict[str, Any] = {"properties": props}
    if own != 1:
        event["version"] = own
    if description:
        event["description"] = description
    if labels:
        event["labels"] = labels
    if everything_deprecated:
        event["deprecated"] = True
    others: dict[int, dict[str, Any]] = {}
    for number, (rule, version_props, _, version_description) in by_number.items():
        if number == own:
            continue
        other: dict[str, Any] = {"properties": version_props}
        if version_description and version_description != description:
            other["description"] = version_description
        if rule.deprecated and not everything_deprecated:
            other["deprecated"] = True
        others[number] = other
    if others:
        event["versions"] = others
    return event


def _place(data: dict[str, Any], kind: str, key: str | None, props: Properties, description: str | None) -> None:
    extra = {"description": description} if description else {}
    if kind == "COMMON":
        data["common"] = {"properties": props, **extra}
    elif kind in ("IDENTIFY", "GROUP"):
        data[kind.lower()] = {"traits": props, **extra}
    else:
        view = data.setdefault(kind.lower(), {})
        if key:
            view.setdefault("names", {})[key] = {"properties": props, **extra}
        else:
            view.update({"properties": props, **extra})


# -- export ---------------------------------------------------------------------------------------


def _wrapper(section: str, properties: Properties, lost: list[str]) -> dict[str, Any]:
    inner = downgrade(properties_to_object(properties), DRAFT7, lost)
    top: dict[str, Any] = {"context": {}, "properties": {"type": "object"}, "traits": {"type": "object"}}
    top[section] = inner
    return {"$schema": DRAFT_URIS[DRAFT7], "type": "object", "properties": top}


def _rule(kind: str, key: str | None, version: int, schema: dict[str, Any], *, description: str | None = None,
          labels: dict[str, str] | None = None, deprecated: bool = False) -> dict[str, Any]:
    if description:
        schema = {**schema, "description": description}
    if labels:
        schema = {**schema, "labels": labels}
    rule: dict[str, Any] = {"type": kind}
    if key is not None:
        rule["key"] = key
    rule.update({"version": version, "jsonSchema": schema})
    if deprecated:
        rule["deprecatedAt"] = DEPRECATED_AT
    return rule


class SegmentExporter:
    name = "segment"
    description = "Segment Public API rules (PUT /tracking-plans/{id}/rules) and the plan (POST /tracking-plans)"

    def dump(self, plan: Plan) -> ExportResult:
        report = Reporter(file="rules.json")
        lost: list[str] = []
        rules: list[dict[str, Any]] = []
        if plan.common.properties:
            common = downgrade(properties_to_object(plan.common.properties), DRAFT7, lost)
            rules.append(_rule("COMMON", None, 1, {"$schema": DRAFT_URIS[DRAFT7], **common},
                               description=plan.common.description))
        for name, event in sorted(plan.events.items()):
            for number, props in event.all_versions().items():
                version = event.versions.get(number)
                rules.append(_rule(
                    "TRACK", name, number, _wrapper("properties", props, lost),
                    description=(version.description if version else None) or event.description,
                    labels=event.labels, deprecated=event.deprecated or bool(version and version.deprecated)))
            if event.owner or event.checks or event.expectations:
                report.add(("events", name), "owner, checks and expectations have no Segment equivalent", "info")
        for kind in ("identify", "group"):
            traits = getattr(plan, kind)
            if traits is not None:
                rules.append(_rule(kind.upper(), None, 1, _wrapper("traits", traits.traits, lost),
                                   description=traits.description))
        for kind in ("page", "screen"):
            view = getattr(plan, kind)
            if view is None:
                continue
            rules.append(_rule(kind.upper(), None, 1, _wrapper("properties", view.properties, lost),
                               description=view.description))
            for view_name, named in sorted(view.names.items()):
                rules.append(_rule(kind.upper(), view_name, 1, _wrapper("properties", named.properties, lost),
                                   description=named.description))
        for keyword in sorted(set(lost)):
            report.add("", f"{keyword} has no draft-07 spelling; kept as is (Segment may ignore it)", "warning")
        if any(spec.pii for _, spec in walk_properties(plan)):
            report.add("", "pii flags have no Segment equivalent", "info")
        meta: dict[str, Any] = {"name": plan.display_name or plan.name, "slug": plan.name, "type": "LIVE"}
        if plan.description:
            meta["description"] = plan.description
        files = {
            "rules.json": orjson.dumps({"rules": rules}, option=orjson.OPT_INDENT_2),
            "tracking-plan.json": orjson.dumps(meta, option=orjson.OPT_INDENT_2),
        }
        return ExportResult(files, report.finish())


IMPORTER = SegmentImporter()
EXPORTER = SegmentExporter()
