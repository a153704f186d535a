"""RudderStack: import a rudder-cli YAML project (``version: rudder/v0.1``).

A project is a directory of YAML files, each a ``kind``: ``properties``, ``events``,
``custom-types``, ``categories`` and ``tp`` (the tracking plan, whose rules reference the rest with
``#/properties/<group>/<id>``-style or ``#property:<id>``-style references, resolved here,
locally). Every RudderStack definition is first written as the JSON Schema it stands for, then
mapped like any other JSON Schema, so the friendly form is used exactly when it is exact.

What carries over in another form, and is reported:

* custom types with discriminator ``variants``: a raw schema with ``if``/``then``/``else``;
* variants on a tracking-plan rule: the plan has no conditional rules over an event's properties,
  so the properties of every case and of the default are added as optional;
* ``allow_unplanned`` on a rule: unplanned properties are a source setting in this service;
* categories: the label ``category``; ``{{ .VAR }}`` templates are kept as written.
"""

from __future__ import annotations

import re
from typing import Any

from governance.errors import PlanInvalid
from governance.formats.base import ImportResult, Reporter, build_plan, is_template, slugify
from governance.formats.jsonschema_map import MapContext, to_spec
from governance.formats.naming import adopt_naming
from governance.formats.source import read_source
from governance.plan.model import Properties

_REF = re.compile(r"^#(?:/(?P<kind>[a-z-]+)/(?P<group>[^/]+)/(?P<id>.+)|(?P<kind1>[a-z-]+):(?P<id1>.+))$")
_KINDS = {"property": "properties", "event": "events", "custom-type": "custom-types", "category": "categories",
          "tracking-plan": "tp"}
_CONFIG_KEYS = ("enum", "format", "pattern", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum",
                "exclusiveMaximum", "multipleOf", "minItems", "maxItems", "uniqueItems")
_LISTS = {"properties": "properties", "events": "events", "custom-types": "types", "categories": "categories"}
Entry = tuple[str, tuple[Any, ...], dict[str, Any]]  # file, location in it, the item


class Catalog:
    """Every definition of the project by (kind, group, id), with where it was written."""

    def __init__(self, report: Reporter) -> None:
        self.report = report
        self.items: dict[tuple[str, str, str], Entry] = {}
        self.by_id: dict[tuple[str, str], Entry] = {}
        self.plans: list[Entry] = []

    def add_document(self, file: str, doc: Any) -> None:
        if not isinstance(doc, dict) or "kind" not in doc:
            self.report.add("", "not a rudder-cli resource (no 'kind'); skipped", "info", file=file)
            return
        kind, spec = str(doc["kind"]), doc.get("spec") or {}
        group = str((doc.get("metadata") or {}).get("name", ""))
        if str(doc.get("version", "")) not in ("rudder/v0.1", "rudder/0.1"):
            self.report.add("version", f"version {doc.get('version')!r}: read as rudder/v0.1", "warning", file=file)
        if kind == "tp":
            self.plans.append((file, ("spec",), spec))
            return
        if kind not in _LISTS:
            self.report.add("kind", f"kind {kind!r} is not part of a tracking plan; skipped", "info", file=file)
            return
        field = _LISTS[kind]
        for i, item in enumerate(spec.get(field) or []):
            if isinstance(item, dict) and item.get("id") is not None:
                entry: Entry = (file, ("spec", field, i), item)
                self.items[(kind, group, str(item["id"]))] = entry
                self.by_id.setdefault((kind, str(item["id"])), entry)

    def lookup(self, ref: Any, kind: str) -> Entry | None:
        match = _REF.match(ref) if isinstance(ref, str) else None
        if match is None:
            return None
        found_kind = match["kind"] or _KINDS.get(match["kind1"] or "", "")
        if found_kind != kind:
            return None
        local_id = match["id"] or match["id1"]
        return self.items.get((kind, match["group"] or "", local_id)) or self.by_id.get((kind, local_id))


class RudderStackImporter:
    name = "rudderstack"
    description = "RudderStack rudder-cli YAML project (events, properties, custom types, categories, tp)"

    def load(self, source: Any, *, name: str | None = None) -> ImportResult:
        report = Reporter()
        catalog = Catalog(report)
        for file, doc in read_source(source, accept=lambda n: n.endswith((".yaml", ".yml"))).documents():
            catalog.add_document(file, doc)
        if not catalog.plans:
            raise PlanInvalid("no tracking plan (kind: tp) in the RudderStack project",
                              details=[{"path": "", "message": "no kind: tp"}])
        chosen = catalog.plans
        if len(chosen) > 1:
            chosen = [p for p in chosen if name and name in (str(p[2].get("id")), slugify(str(p[2].get("id"))))]
            if len(chosen) != 1:
                ids = sorted(str(p[2].get("id")) for p in catalog.plans)
                raise PlanInvalid(f"the project defines {len(catalog.plans)} tracking plans ({', '.join(ids)}); "
                                  f"pass the name of one", details=[{"path": "", "message": "several plans"}])
        builder = _Builder(catalog, report)
        data = builder.plan(chosen[0], name)
        plan, naming = adopt_naming(build_plan(data))
        return ImportResult(plan, [*report.finish(), naming])


class _Builder:
    def __init__(self, catalog: Catalog, report: Reporter) -> None:
        self.catalog, self.report = catalog, report
        self.reported: set[str] = set()

    # -- schemas --------------------------------------------------------------------------------

    def property_schema(self, entry: Entry, rule_props: Any, extra: Any, stack: tuple[str, ...]) -> dict[str, Any]:
        file, loc, item = entry
        type_text = str(item.get("type") or "")
        schema: dict[str, Any]
        if type_text.startswith("#"):
            custom = self.catalog.lookup(type_text, "custom-types")
            if custom is None:
                self.report.add((*loc, "type"), f"custom type {type_text!r} not found; any value accepted", "error",
                                file=file)
                schema = {}
            else:
                schema = self.custom_type_schema(custom, stack)
        else:
            schema = self.typed(type_text, item.get("propConfig") or item.get("config") or {}, file, loc)
        if isinstance(item.get("description"), str):
            schema["description"] = item["description"]
        if rule_props:
            nested, required = self.properties(rule_props, file, (*loc, "properties"), stack)
            schema.update({"type": schema.get("type", "object"), "properties": nested})
            if required:
                schema["required"] = required
        if extra is False:
            schema["additionalProperties"] = False
        return schema

    def typed(self, type_text: str, config: dict[str, Any], file: str, loc: tuple[Any, ...]) -> dict[str, Any]:
        names = [t.strip() for t in type_text.split(",") if t.strip()]
        schema: dict[str, Any] = {"type": names[0] if len(names) == 1 else names} if names else {}
        for key, value in config.items():
            if key in _CONFIG_KEYS:
                schema[key] = value
            elif key == "itemTypes" and isinstance(value, list):
                items = [self.typed(str(v), {}, file, loc) if not str(v).startswith("#") else self.item_type(str(v))
                         for v in value]
                plain = all(set(i) == {"type"} and isinstance(i["type"], str) for i in items)
                schema["items"] = ({"type": [i["type"] for i in items]} if plain and len(items) > 1 else
                                   items[0] if len(items) == 1 else {"anyOf": items})
            else:
                self.report.add((*loc, "config", key), f"setting {key!r} is not carried over", "warning", file=file)
        return schema

    def item_type(self, ref: str) -> dict[str, Any]:
        custom = self.catalog.lookup(ref, "custom-types")
        return self.custom_type_schema(custom, ()) if custom is not None else {}

    def custom_type_schema(self, entry: Entry, stack: tuple[str, ...]) -> dict[str, Any]:
        file, loc, item = entry
        key = f"{file}:{loc}"
        if key in stack:
            self.report.add(loc, "custom type refers to itself; the inner use accepts any value", "error", file=file)
            return {}
        stack = (*stack, key)
        schema = self.typed(str(item.get("type") or ""), item.get("config") or item.get("propConfig") or {},
                            file, loc)
        if isinstance(item.get("description"), str):
            schema["description"] = item["description"]
        if item.get("properties"):
            nested, required = self.properties(item["properties"], file, (*loc, "properties"), stack)
            schema["properties"] = nested
            if required:
                schema["required"] = required
        variants = item.get("variants") or []
        if variants:
            schema["allOf"] = [rule for v in variants for rule in self.variant(v, file, (*loc, "variants"), stack)]
        if variants and key not in self.reported:
            self.reported.add(key)
            self.report.add((*loc, "variants"), f"custom type {item.get('name') or item.get('id')!r}: "
                                                f"discriminator variants kept as a raw if/then/else JSON Schema",
                            "warning", file=file)
        return schema

    def properties(self, refs: list[Any], file: str, loc: tuple[Any, ...],
                   stack: tuple[str, ...]) -> tuple[dict[str, Any], list[str]]:
        out: dict[str, Any] = {}
        required: list[str] = []
        for i, ref in enumerate(refs if isinstance(refs, list) else []):
            if not isinstance(ref, dict):
                continue
            target = ref.get("$ref", ref.get("property"))
            entry = self.catalog.lookup(target, "properties")
            if entry is None:
                self.report.add((*loc, i), f"property {target!r} not found; skipped", "error", file=file)
                continue
            prop_name = str(entry[2].get("name") or entry[2].get("id"))
            extra = ref.get("additionalProperties", ref.get("additional_properties"))
            out[prop_name] = self.property_schema(entry, ref.get("properties"), extra, stack)
            if ref.get("required") is True:
                required.append(prop_name)
        return out, required

    def variant(self, variant: Any, file: str, loc: tuple[Any, ...], stack: tuple[str, ...]) -> list[dict[str, Any]]:
        if not isinstance(variant, dict) or variant.get("type", "discriminator") != "discriminator":
            self.report.add(loc, "variant that is not a discriminator skipped", "error", file=file)
            return []
        disc = self.catalog.lookup(variant.get("discriminator"), "properties")
        if disc is None:
            self.report.add(loc, f"discriminator {variant.get('discriminator')!r} not found", "error", file=file)
            return []
        key = str(disc[2].get("name") or disc[2].get("id"))
        rules: list[dict[str, Any]] = []
        matched: list[Any] = []
        for i, case in enumerate(variant.get("cases") or []):
            match = list(case.get("match") or [])
            matched.extend(match)
            nested, required = self.properties(case.get("properties") or [], file, (*loc, "cases", i), stack)
            then: dict[str, Any] = {"properties": nested, **({"required": required} if required else {})}
            rules.append({"if": {"properties": {key: {"enum": match}}, "required": [key]}, "then": then})
        if variant.get("default"):
            nested, required = self.properties(variant["default"], file, (*loc, "default"), stack)
            otherwise = {"properties": nested, **({"required": required} if required else {})}
            rules.append({"if": {"properties": {key: {"enum": matched or [None]}}, "required": [key]},
                          "else": otherwise})
        return rules

    # -- plan -----------------------------------------------------------------------------------

    def plan(self, entry: Entry, name: str | None) -> dict[str, Any]:
        file, loc, spec = entry
        data: dict[str, Any] = {"name": name or slugify(str(spec.get("id") or "rudderstack"))}
        for key in ("display_name", "description"):
            if isinstance(spec.get(key), str) and spec[key].strip():
                data[key] = spec[key]
        for i, rule in enumerate(spec.get("rules") or []):
            if isinstance(rule, dict):
                self.rule(data, rule, file, (*loc, "rules", i))
        self.report.add("", "the top-level properties/traits of every message are closed in the plan: "
                            "undeclared keys are unplanned properties, allowed or omitted by source settings", "info")
        return data

    def rule(self, data: dict[str, Any], rule: dict[str, Any], file: str, loc: tuple[Any, ...]) -> None:
        if "includes" in rule:
            self.report.add((*loc, "includes"), "rules included from another plan are not imported", "warning",
                            file=file)
            return
        event_ref = rule.get("event")
        section = rule.get("identity_section")
        allow = rule.get("additional_properties")
        if isinstance(event_ref, dict):
            section = event_ref.get("identity_section", section)
            allow = event_ref.get("allow_unplanned", allow)
            event_ref = event_ref.get("$ref")
        found = self.catalog.lookup(event_ref, "events")
        if found is None:
            self.report.add((*loc, "event"), f"event {event_ref!r} not found; rule skipped", "error", file=file)
            return
        event = found[2]
        kind = str(event.get("event_type") or "track")
        name = event.get("name") if isinstance(event.get("name"), str) and event.get("name") else None
        if is_template(name) or is_template(event.get("description")):
            self.report.add(found[1], "contains a {{ }} template, kept as written: resolve it before use",
                            "warning", file=found[0])
        if allow is True:
            self.report.add((*loc, "event"), "allow_unplanned: true is not carried over: unplanned properties are "
                                             "a per-source setting (allow or omit) here", "warning", file=file)
        expected = "traits" if kind in ("identify", "group") else "properties"
        if section and section != expected:
            self.report.add((*loc, "event"), f"identity_section {section!r} read as {expected!r}", "warning",
                            file=file)
        schema_props, required = self.properties(rule.get("properties") or [], file, (*loc, "properties"), ())
        for variant in rule.get("variants") or []:
            self.union_variant(variant, schema_props, file, (*loc, "variants"))
        ctx = MapContext({}, self.report, file)
        props: Properties = {
            key: to_spec(value, ctx, (*loc, "properties", key), required=key in required)
            for key, value in schema_props.items()
        }
        self.place(data, kind, name or str(event.get("id")), props, event, file, loc)

    def union_variant(self, variant: Any, props: dict[str, Any], file: str, loc: tuple[Any, ...]) -> None:
        added: list[str] = []
        cases = [*(variant.get("cases") or []), {"properties": variant.get("default") or []}]
        for case in cases:
            nested, _ = self.properties(case.get("properties") or [], file, loc, ())
            for key, value in nested.items():
                if key not in props:
                    props[key] = value
                    added.append(key)
        disc = self.catalog.lookup(variant.get("discriminator"), "properties")
        name = disc[2].get("name") if disc else variant.get("discriminator")
        self.report.add(loc, f"variants on {name!r} are not carried over: a plan has no conditional rules over an "
                             f"event's properties; the properties of the cases and default were added as optional "
                             f"({', '.join(added) or 'none new'})", "warning", file=file)

    def place(self, data: dict[str, Any], kind: str, name: str, props: Properties, event: dict[str, Any],
              file: str, loc: tuple[Any, ...]) -> None:
        extra: dict[str, Any] = {}
        if isinstance(event.get("description"), str) and event["description"].strip():
            extra["description"] = event["description"]
        if kind == "track":
            category = self.catalog.lookup(event.get("category"), "categories")
            if category is not None:
                extra["labels"] = {"category": str(category[2].get("name") or category[2].get("id"))}
            elif event.get("category"):
                self.report.add(loc, f"category {event['category']!r} not found", "warning", file=file)
            if name in data.setdefault("events", {}):
                self.report.add(loc, f"a second rule for event {name!r} skipped", "warning", file=file)
                return
            data["events"][name] = {**extra, "properties": props}
        elif kind in ("identify", "group"):
            if kind in data:
                self.report.add(loc, f"a second {kind} rule: its traits are merged in", "warning", file=file)
            target = data.setdefault(kind, {"traits": {}})
            target["traits"].update(props)
            target.update({k: v for k, v in extra.items() if k == "description"})
        elif kind in ("page", "screen"):
            view = data.setdefault(kind, {})
            if event.get("name"):
                view.setdefault("names", {})[name] = {**{k: v for k, v in extra.items() if k == "description"},
                                                      "properties": props}
            else:
                view["properties"] = props
        else:
            self.report.add(loc, f"event type {kind!r} is not a Segment message kind; skipped", "error", file=file)


IMPORTER = RudderStackImporter()
