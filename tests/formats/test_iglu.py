"""Iglu importer: real evolution pairs, SchemaVer ordering, agreement with the draft-04 originals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from governance.formats import export_plan, import_plan
from governance.plan.compile import compile_validators


def originals(peer: Path) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path in sorted((peer / "snowplow").glob("*/*/jsonschema/*")):
        doc = json.loads(path.read_text())
        found.append((f"{doc['self']['vendor']}/{doc['self']['name']}", doc["self"]["version"], doc))
    return found


def test_every_schema_imports(peer: Path) -> None:
    result = import_plan("iglu", peer / "snowplow")
    plan = result.plan
    files = originals(peer)
    assert sum(len(e.all_versions()) for e in plan.events.values()) == len(files) == 21
    assert plan.name == "snowplow"
    compile_validators(plan)
    assert not [i for i in result.report if i.severity != "info"]
    assert any("draft-04 counts 2.0 as a number but not an integer" in i.message for i in result.report)


def test_versions_follow_schemaver_order(peer: Path) -> None:
    plan = import_plan("iglu", peer / "snowplow").plan
    mobile = plan.events["com.snowplowanalytics.snowplow/mobile_context"]
    assert list(mobile.all_versions()) == [1, 2, 3, 4]
    assert mobile.labels["schemaver.1"] == "1-0-0" and mobile.labels["schemaver.4"] == "1-0-3"
    assert mobile.labels["iglu.vendor"] == "com.snowplowanalytics.snowplow"
    link = plan.events["com.snowplowanalytics.snowplow/link_click"]
    assert link.description == "Schema for a link click event"
    assert "elementContent" not in link.properties and "elementContent" in link.versions[2].properties
    assert link.properties["targetUrl"].required and link.properties["targetUrl"].minLength == 1
    action = plan.events["com.snowplowanalytics.snowplow.ecommerce/snowplow_ecommerce_action"]
    assert "refund" not in (action.properties["type"].enum or [])
    assert "trns_error" in (action.versions[3].properties["type"].enum or [])
    network = mobile.versions[4].properties["networkType"]
    assert network.nullable and network.enum == ["mobile", "wifi", "offline", None]


def test_compiled_validators_agree_with_the_original_schemas(peer: Path, corpus: Any) -> None:
    plan = import_plan("iglu", peer / "snowplow").plan
    compiled = compile_validators(plan)
    cases = []
    for event, schemaver, doc in originals(peer):
        spec = plan.events[event]
        number = next(int(k.split(".")[1]) for k, v in spec.labels.items() if k.startswith("schemaver.")
                      and v == schemaver)
        ours = compiled.validators[("track", event, number)]
        cases.append((f"{event} {schemaver}", corpus.oracle(doc, "draft-04").is_valid,
                      lambda i, v=ours: v.is_valid({"properties": i}), corpus.mutated(corpus.values(doc))))
    corpus.check(cases, examples=600)


def test_round_trip_through_the_jsonschema_bundle(peer: Path) -> None:
    first = import_plan("iglu", peer / "snowplow")
    second = import_plan("jsonschema", export_plan("jsonschema", first.plan))
    assert second.plan.body() == first.plan.body()


def _schema(vendor: str, name: str, version: str, props: dict[str, Any], **extra: Any) -> bytes:
    return orjson.dumps({
        "$schema": "http://iglucentral.com/schemas/com.snowplowanalytics.self-desc/schema/jsonschema/1-0-0#",
        "self": {"vendor": vendor, "name": name, "format": "jsonschema", "version": version},
        "type": "object", "properties": props, "additionalProperties": False, **extra,
    })


def test_gaps_model_changes_and_path_mismatch_are_reported() -> None:
    files = {
        "com.acme/signup/jsonschema/1-0-0": _schema("com.acme", "signup", "1-0-0", {"a": {"type": "string"}}),
        "com.acme/signup/jsonschema/1-0-2": _schema("com.acme", "signup", "1-0-2", {"a": {"type": "string"}}),
        "com.acme/signup/jsonschema/2-0-0": _schema("com.acme", "signup", "2-0-0", {"a": {"type": "integer"}}),
        "com.acme/other/jsonschema/1-0-0": _schema("com.acme", "renamed", "1-0-0", {}),
    }
    result = import_plan("iglu", files)
    signup = result.plan.events["com.acme/signup"]
    assert signup.versions[3].properties["a"].type == "integer"
    texts = [f"{i.path} {i.message}" for i in result.report]
    assert any("1-0-2 follows 1-0-0: a gap" in t for t in texts)
    assert any("2-0-0 changes MODEL" in t for t in texts)
    assert any("path says com.acme/other/jsonschema/1-0-0" in t for t in texts)
    assert "com.acme/renamed" in result.plan.events
    assert result.plan.name == "com.acme"


def test_open_schemas_and_unknown_keywords_are_reported() -> None:
    files = {"com.acme/e/jsonschema/1-0-0": orjson.dumps({
        "self": {"vendor": "com.acme", "name": "e", "format": "jsonschema", "version": "1-0-0"},
        "type": "object", "properties": {"x": {"type": "string", "format": "ipv4"}}, "minProperties": 1,
    })}
    result = import_plan("iglu", files, name="acme")
    assert result.plan.events["com.acme/e"].properties["x"].format == "ipv4"
    texts = [i.message for i in result.report]
    assert any("minProperties on the event data object is not carried over" in t for t in texts)
    assert any("allows undeclared properties" in t for t in texts)


@pytest.mark.parametrize("bad", [b"[1, 2]", b'{"self": {"vendor": "v", "name": "n", "format": "avro",'
                                                 b' "version": "1-0-0"}}'])
def test_non_schemas_are_skipped_with_an_error(bad: bytes) -> None:
    files = {"v/n/jsonschema/1-0-0": bad, "v/ok/jsonschema/1-0-0": _schema("v", "ok", "1-0-0", {})}
    result = import_plan("iglu", files, name="v")
    assert list(result.plan.events) == ["v/ok"]
    assert [i for i in result.report if i.severity == "error"]
