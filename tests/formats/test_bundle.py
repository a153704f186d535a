"""JSON Schema bundle: what the compiler produces, an index, and a lossless way back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from governance.formats import export_plan, import_plan
from governance.plan.compile import compile_plan, compile_validators
from governance.plan.loader import load_plan_file, load_plan_text

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "plans").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_plans_round_trip(path: Path) -> None:
    plan = load_plan_file(path)
    files = export_plan("jsonschema", plan)
    again = import_plan("jsonschema", files)
    assert again.plan.body() == plan.body()
    assert not [i for i in again.report if i.severity != "info"]


@pytest.mark.parametrize("source", [("segment", "segment/typewriter-plan-config-api-v1.json"),
                                    ("segment", "segment/typewriter-telemetry-plan.json"),
                                    ("rudderstack", "rudderstack/typer-project"),
                                    ("rudderstack", "rudderstack/update"),
                                    ("iglu", "snowplow")], ids=lambda s: s[1])
def test_imported_peer_plans_round_trip(peer: Path, source: tuple[str, str]) -> None:
    first = import_plan(source[0], peer / source[1]).plan
    assert import_plan("jsonschema", export_plan("jsonschema", first)).plan.body() == first.body()


def test_files_are_the_compiled_schemas_with_an_index() -> None:
    plan = load_plan_file(REPO / "plans" / "ecommerce.yaml")
    files = export_plan("jsonschema", plan)
    index = json.loads(files["index.json"])
    compiled = compile_plan(plan)
    assert index["format"] == "governance-jsonschema-bundle"
    assert index["plan"]["name"] == "ecommerce" and "events" not in index["plan"]
    assert len(index["schemas"]) == len(compiled) == len(files) - 1
    for entry in index["schemas"]:
        schema = json.loads(files[entry["file"]])
        assert schema == compiled[(entry["kind"], entry["name"], entry["version"])]
        assert schema["$id"] == entry["$id"]
        jsonschema_rs.meta.validate(schema)
    assert "common.schema.json" in files and "identify.schema.json" in files


PLAN = """
name: odd
events:
  "Weird/Name: ünïcode":
    owner: a@example.com
    labels: {team: x}
    properties:
      email: {type: string, format: email, pii: true, required: true}
      nested: {type: object, properties: {secret: {type: string, pii: true}}}
      list: {type: array, items: {type: object, properties: {token: {type: string, pii: true}}}}
    versions:
      3: {description: third, deprecated: true, properties: {x: {type: integer}}}
  weird_name_unicode: {properties: {y: {schema: {oneOf: [{type: string}, {type: integer}]}}}}
page:
  properties: {path: {type: string}}
  names: {Home: {owner: web@example.com, properties: {ref: {type: [string, "null"]}}}}
checks:
  - {kind: volume, params: {min_volume: 1}}
"""


def test_metadata_pii_and_odd_names_survive() -> None:
    plan = load_plan_text(PLAN)
    files = export_plan("jsonschema", plan)
    assert all(len(name) < 120 for name in files)
    again = import_plan("jsonschema", files).plan
    event = again.events["Weird/Name: ünïcode"]
    assert event.properties["email"].pii and event.owner == "a@example.com"
    assert event.properties["nested"].properties["secret"].pii  # type: ignore[index]
    assert event.versions[3].deprecated and event.versions[3].description == "third"
    assert again.checks[0].kind == "volume"
    assert again.events["weird_name_unicode"].properties["y"].raw_schema is not None
    # a user-written [string, null] comes back in the canonical spelling: nullable
    ref = again.page.names["Home"].properties["ref"]  # type: ignore[union-attr]
    assert ref.nullable and ref.type == "string"
    compile_validators(again)


def test_a_bundle_without_index_is_read_from_the_ids(tmp_path: Path) -> None:
    plan = load_plan_file(REPO / "plans" / "saas.yaml")
    for name, content in export_plan("jsonschema", plan).items():
        if name != "index.json":
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_bytes(content)
    again = import_plan("jsonschema", tmp_path)
    assert again.plan.name == plan.name
    assert set(again.plan.events) == set(plan.events)
    for name, event in plan.events.items():
        assert again.plan.events[name].all_versions().keys() == event.all_versions().keys()


def test_an_unrelated_json_file_is_not_a_bundle() -> None:
    from governance.errors import PlanInvalid

    with pytest.raises(PlanInvalid, match="not a JSON Schema bundle"):
        import_plan("jsonschema", {"a.json": b'{"type": "object"}'})


def test_schema_draft_of_each_file_is_honoured() -> None:
    schema: dict[str, Any] = {
        "$schema": "http://json-schema.org/draft-04/schema#", "$id": "urn:governance:d4:track:E:1",
        "type": "object", "properties": {"properties": {"type": "object", "properties": {
            "n": {"type": "number", "maximum": 3, "exclusiveMaximum": True}}}},
    }
    plan = import_plan("jsonschema", {"e.json": json.dumps(schema).encode()}).plan
    assert plan.name == "d4"
    n = plan.events["E"].properties["n"]
    assert n.exclusiveMaximum == 3 and n.maximum is None


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_reimported_validators_agree_with_the_bundle_files(path: Path, corpus: Any) -> None:
    files = export_plan("jsonschema", load_plan_file(path))
    index = json.loads(files["index.json"])
    compiled = compile_validators(import_plan("jsonschema", files).plan)
    cases = []
    for entry in index["schemas"]:
        if entry["kind"] == "common":
            continue
        schema = json.loads(files[entry["file"]])
        section = "traits" if entry["kind"] in ("identify", "group") else "properties"
        ours = compiled.validators[(entry["kind"], entry["name"], entry["version"])]
        strategy = corpus.mutated(corpus.values(schema["properties"][section])).map(lambda v, s=section: {s: v})
        cases.append((entry["file"], corpus.oracle(schema, "2020-12").is_valid, ours.is_valid, strategy))
    corpus.check(cases, examples=300)
