"""The compiler: deterministic, meta-valid JSON Schema 2020-12, and compiled validators that agree
with the pure-Python ``jsonschema`` oracle on valid and invalid instances."""

from __future__ import annotations

from typing import Any

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance.plan.compile import COMMON_KEY, compile_plan, compile_validators, content_hash
from governance.plan.loader import load_plan_text
from governance.plan.model import Plan
from tests.plan.plan_strategies import object_for, plan_bodies, to_plan

ORACLE = jsonschema.Draft202012Validator
FORMATS = ORACLE.FORMAT_CHECKER

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10, 10), st.sampled_from([0.5, 2.0, -1.25]),
                         st.text("abcxyz019@.-", max_size=6))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.sampled_from("abcde"), inner, max_size=3), max_leaves=8)


def _message(kind: str, data_field: str, value: Any) -> dict[str, Any]:
    return {"type": kind, "userId": "u", data_field: value}


def test_same_plan_same_bytes_same_hash() -> None:
    text = "name: shop\nevents:\n  B Done: {properties: {y: {type: integer}, x: {type: string, required: true}}}\n"
    reordered = "name: shop\nevents:\n  B Done: {properties: {x: {required: true, type: string}, y: {type: integer}}}\n"
    first, second = compile_validators(load_plan_text(text)), compile_validators(load_plan_text(reordered))
    assert first.schema_hash == second.schema_hash
    assert content_hash(compile_plan(load_plan_text(text))[("track", "B Done", 1)]) == \
        content_hash(compile_plan(load_plan_text(reordered))[("track", "B Done", 1)])


def test_schemas_are_2020_12_and_meta_valid() -> None:
    plan = load_plan_text((__import__("pathlib").Path(__file__).resolve().parents[2] / "plans" / "ecommerce.yaml")
                          .read_text())
    for key, schema in compile_plan(plan).items():
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema", key
        ORACLE.check_schema(schema)
    assert COMMON_KEY in compile_plan(plan)


def test_a_message_without_its_properties_object_still_misses_required_keys() -> None:
    plan = load_plan_text("name: s\nevents:\n  A Done: {properties: {x: {type: string, required: true}}}\n")
    validator = compile_validators(plan).validators[("track", "A Done", 1)]
    assert not validator.is_valid({"type": "track", "event": "A Done"})


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(body=plan_bodies(), data=st.data())
def test_compiled_validators_agree_with_the_pure_python_oracle(body: dict[str, Any], data: st.DataObject) -> None:
    plan: Plan = to_plan(body)
    compiled = compile_validators(plan)
    for key, schema in compiled.schemas.items():
        kind, _name, _version = key
        if kind == "common":
            continue
        data_field = "traits" if kind in {"identify", "group"} else "properties"
        props = _properties_of(plan, key)
        candidates = [
            _message(kind, data_field, data.draw(object_for(props), label=f"valid {key}")),
            _message(kind, data_field, data.draw(st.dictionaries(st.sampled_from("abcdz"), json_values, max_size=4),
                                                 label=f"random {key}")),
        ]
        oracle = ORACLE(schema, format_checker=FORMATS)
        for message in candidates:
            assert compiled.validators[key].is_valid(message) == oracle.is_valid(message), (schema, message)


def _properties_of(plan: Plan, key: tuple[str, str, int]) -> Any:
    kind, name, version = key
    if kind == "track":
        return plan.events[name].all_versions()[version]
    if kind in {"identify", "group"}:
        return getattr(plan, kind).traits
    view = getattr(plan, kind)
    return view.names[name].properties if name else view.properties


def test_json_documents_with_characters_yaml_refuses_still_load() -> None:
    plan = load_plan_text('{"name": "a", "description": "del \u007f char"}')
    assert plan.description == "del \x7f char"
