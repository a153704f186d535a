"""Segment importer and exporter: the three real files, the Public API shapes, round trips, agreement."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from governance.errors import PlanInvalid
from governance.formats import export_plan, export_plan_with_report, import_plan
from governance.plan.compile import compile_validators

FILES = ["typewriter-plan-config-api-v1.json", "typewriter-plan-public-api.json", "typewriter-telemetry-plan.json"]


def messages(report: list[Any], severity: str | None = None) -> list[str]:
    return [f"{i.path} {i.message}" for i in report if severity is None or i.severity == severity]


@pytest.mark.parametrize("file", FILES)
def test_every_peer_file_imports_and_compiles(peer: Path, file: str) -> None:
    result = import_plan("segment", peer / "segment" / file)
    compiled = compile_validators(result.plan)
    original = json.loads((peer / "segment" / file).read_text())
    rules = original["rules"]["events"] if isinstance(original["rules"], dict) else original["rules"]
    assert len(result.plan.events) == len(rules)
    assert all(("track", name, 1) in compiled.validators for name in result.plan.events)
    assert not messages(result.report, "error")


def test_config_api_v1_details(peer: Path) -> None:
    plan = import_plan("segment", peer / "segment" / FILES[0]).plan
    assert plan.name == "typewriter-e2e" and plan.display_name == "Typewriter E2E"
    terrible = plan.events["42_--terrible==\\\"event'++name~!3"]
    assert terrible.labels == {"area": "account", "type": "contacts"}
    union = plan.events["Union Type"].properties["universe_name"]
    assert union.type == ["string", "integer"] and union.nullable and union.required
    nested = plan.events["Nested Arrays"].properties["universeCharacters"]
    assert nested.items is not None and nested.items.items is not None
    assert nested.items.items.properties is not None
    assert nested.items.items.properties["name"].required
    regex = plan.events["Custom Violation Handler"].properties["regex property"]
    assert regex.pattern == "Lawyer Morty|Evil Morty" and regex.required
    deep = plan.events["Nested Objects"].properties["garage"]
    assert deep.properties is not None and deep.properties["tunnel"].required


def test_typewriter_event_metadata_name_wins_and_is_reported(peer: Path) -> None:
    result = import_plan("segment", peer / "segment" / FILES[1])
    assert "Property Object Name Collision #1" in result.plan.events
    assert "NoID type" in result.plan.events and "NoID Type" not in result.plan.events
    assert any("'NoID type' (sent on the wire) used instead of the rule key 'NoID Type'" in m
               for m in messages(result.report, "info"))


def test_kitchen_sink_formats_and_any(peer: Path) -> None:
    sink = import_plan("segment", peer / "segment" / FILES[2]).plan.events["KitchenSink"].properties
    assert sink["aDate"].type == "string" and sink["aDate"].format == "date-time"
    assert sink["anything"].type is None and sink["anEnum"].enum == ["another", "value"]


def test_nullable_objects_with_properties_are_kept_raw_and_reported(peer: Path) -> None:
    """The compiler spells a nullable object with properties as plain ``object``: not exact, so raw."""
    result = import_plan("segment", peer / "segment" / FILES[0])
    prop = result.plan.events["Every Nullable Optional Type"].properties["optional object with properties"]
    if prop.raw_schema is None:  # the compiler keeps the null now: the friendly form is exact
        assert prop.nullable and prop.properties is not None
        return
    assert prop.raw_schema["type"] == ["object", "null"]
    assert any(i.path.endswith('"optional object with properties"') and "kept as raw JSON Schema" in i.message
               and "differs in type" in i.message for i in result.report)


@pytest.mark.parametrize("file", FILES)
def test_round_trip_through_public_api_rules(peer: Path, file: str) -> None:
    first = import_plan("segment", peer / "segment" / file)
    files = export_plan("segment", first.plan)
    assert set(files) == {"rules.json", "tracking-plan.json"}
    second = import_plan("segment", files)
    assert second.plan.body() == first.plan.body()


def _closed(schema: dict[str, Any], wrapped: bool) -> dict[str, Any]:
    """The original with the properties object closed: a plan's properties object always is."""
    closed = copy.deepcopy(schema)
    target = closed["properties"]["properties"] if wrapped else closed
    target["additionalProperties"] = False
    return closed


@pytest.mark.parametrize("file", FILES)
def test_compiled_validators_agree_with_the_original_schemas(peer: Path, file: str, corpus: Any) -> None:
    original = json.loads((peer / "segment" / file).read_text())
    plan = import_plan("segment", peer / "segment" / file).plan
    compiled = compile_validators(plan)
    cases = []
    if isinstance(original["rules"], dict):
        rules = [(e["name"], e["rules"], True) for e in original["rules"]["events"]]
    else:
        rules = [(r["jsonSchema"]["eventMetadata"]["name"], r["jsonSchema"], False) for r in original["rules"]]
    for name, schema, wrapped in rules:
        closed = _closed(schema, wrapped)
        theirs = corpus.oracle(closed, "draft-07")
        ours = compiled.validators[("track", name, 1)]
        if wrapped:
            cases.append((name, theirs.is_valid, ours.is_valid,
                          corpus.mutated(corpus.values(closed["properties"]["properties"])).map(
                              lambda p: {"properties": p})))
        else:
            cases.append((name, theirs.is_valid, lambda i, v=ours: v.is_valid({"properties": i}),
                          corpus.mutated(corpus.values(closed))))
    corpus.check(cases, examples=400)


def _rule(kind: str, key: str | None, version: int, section: str, props: dict[str, Any], **extra: Any) -> dict:
    top = {"context": {}, "properties": {"type": "object"}, "traits": {"type": "object"}}
    top[section] = {"type": "object", "properties": props, "required": [k for k in props if k.startswith("r_")]}
    rule = {"type": kind, "version": version, "jsonSchema": {
        "$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "properties": top}, **extra}
    if key is not None:
        rule["key"] = key
    return rule


PUBLIC_RULES = [
    _rule("TRACK", "Order Completed", 1, "properties", {"r_id": {"type": "string"}},
          deprecatedAt="2023-01-01T00:00:00.000Z"),
    _rule("TRACK", "Order Completed", 2, "properties", {"r_id": {"type": "string"}, "total": {"type": "number"}},
          deprecatedAt="0001-01-01T00:00:00.000Z"),
    _rule("TRACK", "Order Completed", 3, "properties", {"r_id": {"type": "integer"}}),
    _rule("IDENTIFY", None, 1, "traits", {"email": {"type": "string", "format": "email"}}),
    _rule("GROUP", None, 1, "traits", {"r_plan": {"type": "string", "enum": ["free", "pro"]}}),
    _rule("PAGE", None, 1, "properties", {"path": {"type": "string"}}),
    _rule("PAGE", "Home", 1, "properties", {"r_referrer": {"type": ["string", "null"]}}),
    _rule("SCREEN", "Settings", 1, "properties", {"tab": {"type": "date-time"}}),
    {"type": "COMMON", "version": 1, "jsonSchema": {
        "$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
        "properties": {"context": {"type": "object", "properties": {
            "app": {"type": "object", "properties": {"version": {"type": "string"}}, "required": ["version"]}},
            "required": ["app"]}}, "required": ["context"]}},
]


@pytest.mark.parametrize("shape", ["list", "rules", "data"])
def test_public_api_shapes_kinds_versions(shape: str) -> None:
    doc: Any = {"list": PUBLIC_RULES, "rules": {"rules": PUBLIC_RULES, "name": "Shop Plan"},
                "data": {"data": {"rules": PUBLIC_RULES}}}[shape]
    result = import_plan("segment", orjson.dumps(doc), name="shop")
    plan = result.plan
    event = plan.events["Order Completed"]
    assert event.version == 2 and sorted(event.versions) == [1, 3]
    assert event.versions[1].deprecated and not event.versions[3].deprecated
    assert event.versions[3].properties["r_id"].type == "integer"
    assert plan.identify is not None and plan.identify.traits["email"].format == "email"
    assert plan.group is not None and plan.group.traits["r_plan"].enum == ["free", "pro"]
    assert plan.page is not None and "path" in plan.page.properties
    assert plan.page.names["Home"].properties["r_referrer"].nullable
    assert plan.screen is not None
    tab = plan.screen.names["Settings"].properties["tab"]
    assert (tab.type, tab.format) == ("string", "date-time")
    context = plan.common.properties["context"]
    assert context.required and context.properties is not None and context.properties["app"].required
    compiled = compile_validators(plan)
    assert not compiled.validators[("common", "", 0)].is_valid({"context": {"app": {}}})
    assert compiled.validators[("common", "", 0)].is_valid({"context": {"app": {"version": "1"}}})
    again = import_plan("segment", export_plan("segment", plan), name="shop")
    assert again.plan.body() == plan.body()


def test_export_is_a_put_rules_body() -> None:
    plan = import_plan("segment", orjson.dumps(PUBLIC_RULES), name="shop").plan
    result = export_plan_with_report("segment", plan)
    body = json.loads(result.files["rules.json"])
    assert set(body) == {"rules"}
    kinds = {r["type"] for r in body["rules"]}
    assert kinds == {"TRACK", "IDENTIFY", "GROUP", "PAGE", "SCREEN", "COMMON"}
    track = next(r for r in body["rules"] if r["type"] == "TRACK" and r["version"] == 1)
    assert track["key"] == "Order Completed" and track["deprecatedAt"]
    schema = track["jsonSchema"]
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert set(schema["properties"]) == {"context", "properties", "traits"}
    assert schema["properties"]["properties"]["required"] == ["r_id"]
    meta = json.loads(result.files["tracking-plan.json"])
    assert meta == {"name": "shop", "slug": "shop", "type": "LIVE"}


def test_export_reports_what_segment_cannot_hold() -> None:
    plan = import_plan("segment", orjson.dumps(PUBLIC_RULES), name="shop").plan
    plan.events["Order Completed"].owner = "checkout@example.com"
    plan.identify.traits["email"].pii = True  # type: ignore[union-attr]
    report = export_plan_with_report("segment", plan).report
    assert any("owner, checks and expectations" in i.message for i in report)
    assert any("pii flags" in i.message for i in report)


def test_draft04_exclusive_bounds_and_unknown_format_are_handled() -> None:
    rule = _rule("TRACK", "E", 1, "properties", {
        "n": {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 5},
        "ip": {"type": "string", "format": "ipv4-cidr"},
        "choice": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
    })
    rule["jsonSchema"]["$schema"] = "http://json-schema.org/draft-04/schema#"
    result = import_plan("segment", orjson.dumps([rule]), name="e")
    props = result.plan.events["E"].properties
    assert props["n"].exclusiveMinimum == 0 and props["n"].minimum is None and props["n"].maximum == 5
    assert props["ip"].raw_schema == {"type": "string", "format": "ipv4-cidr"}
    assert props["choice"].raw_schema is not None
    warnings = messages(result.report, "warning")
    assert any("ip kept as raw JSON Schema: format 'ipv4-cidr'" in m for m in warnings)
    assert any("choice kept as raw JSON Schema: uses oneOf" in m for m in warnings)


def test_local_refs_are_inlined_and_recursive_ones_still_resolve() -> None:
    rule = _rule("TRACK", "E", 1, "properties", {
        "address": {"$ref": "#/definitions/address"},
        "tree": {"$ref": "#/definitions/node"},
    })
    rule["jsonSchema"]["definitions"] = {
        "address": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        "node": {"type": "object",
                 "properties": {"children": {"type": "array", "items": {"$ref": "#/definitions/node"}}}},
    }
    result = import_plan("segment", orjson.dumps([rule]), name="e")
    props = result.plan.events["E"].properties
    assert props["address"].properties is not None and props["address"].properties["city"].required
    for plan in (result.plan, import_plan("segment", export_plan("segment", result.plan), name="e").plan):
        validator = compile_validators(plan).validators[("track", "E", 1)]
        assert validator.is_valid({"properties": {"tree": {"children": [{"children": []}]}}})
        assert not validator.is_valid({"properties": {"tree": {"children": [{"children": [1]}]}}})
        assert plan.body() == result.plan.body()


def test_not_a_segment_plan() -> None:
    with pytest.raises(PlanInvalid, match="not a Segment tracking plan"):
        import_plan("segment", b'{"hello": "world"}')
