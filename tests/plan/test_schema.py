"""The plan format's JSON Schema stays in step with the pydantic models that load plans.

Checked with the pure-Python ``jsonschema`` (the reference implementation): every plan the models
accept, the schema accepts (random plans and every example plan and docs example); what the
models refuse for a reason JSON Schema can state, the schema refuses too; every field carries a
description an editor can show.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from pydantic import BaseModel, ValidationError

from governance.errors import PlanInvalid
from governance.plan.loader import load_plan_file, plan_from_data
from governance.plan.model import Plan
from governance.plan.schema import PLAN_SCHEMA_ID, plan_json_schema
from tests.plan.plan_strategies import mutated_bodies, plan_bodies

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_LINE = "# yaml-language-server: $schema=../docs/reference/plan.schema.json"
VALIDATOR = jsonschema.Draft202012Validator(plan_json_schema())


def _json(body: dict[str, Any]) -> Any:
    """As an editor or a JSON client sees the document: keys are strings (``versions: {2: ...}``)."""
    return orjson.loads(orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS))


def _errors(body: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(_json(body))]


def test_the_schema_is_a_valid_2020_12_schema_with_an_id() -> None:
    schema = plan_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"] == PLAN_SCHEMA_ID and schema["title"] and schema["description"]
    assert schema["required"] == ["name"] and schema["additionalProperties"] is False


def _models(annotation: Any, seen: dict[str, type[BaseModel]]) -> dict[str, type[BaseModel]]:
    """Every model reachable from ``annotation`` through its fields' types."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and annotation.__name__ not in seen:
        seen[annotation.__name__] = annotation
        for info in annotation.model_fields.values():
            _models(info.annotation, seen)
    for arg in typing.get_args(annotation):
        _models(arg, seen)
    return seen


def test_every_model_and_field_is_in_the_schema_with_a_description() -> None:
    schema = plan_json_schema()
    defs = {**schema["$defs"], "Plan": schema}
    for name, model in _models(Plan, {}).items():
        assert name in defs, f"{name} is missing from the schema"
        fields = {info.alias or field for field, info in model.model_fields.items()}
        assert set(defs[name]["properties"]) == fields, name
        assert defs[name]["additionalProperties"] is False, f"{name} must refuse unknown keys, as the model does"
        undescribed = [f for f, spec in defs[name]["properties"].items() if not spec.get("description")]
        assert undescribed == [], f"{name}: give these fields an attribute docstring: {undescribed}"


@settings(max_examples=150, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(plan_bodies())
def test_every_plan_the_models_accept_the_schema_accepts(body: dict[str, Any]) -> None:
    try:
        plan = Plan.model_validate(body)
    except ValidationError:
        return
    assert _errors(body) == []
    assert _errors(plan.body()) == []  # the canonical form that is stored and served


@settings(max_examples=150, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(plan_bodies(focused=True).flatmap(mutated_bodies))
def test_edited_plans_the_models_accept_the_schema_accepts(body: dict[str, Any]) -> None:
    try:
        Plan.model_validate(body)
    except ValidationError:
        return
    assert _errors(body) == []


EVENT = {"properties": {"total": {"type": "number"}}}
REFUSED = {
    "unknown top-level key": {"name": "p", "evnts": {}},
    "unknown event key": {"name": "p", "events": {"A B": {"propertes": {}}}},
    "unknown property key": {"name": "p", "events": {"A B": {"properties": {"x": {"requird": True}}}}},
    "unknown type name": {"name": "p", "events": {"A B": {"properties": {"x": {"type": "strng"}}}}},
    "unknown type in a list": {"name": "p", "events": {"A B": {"properties": {"x": {"type": ["string", "int"]}}}}},
    "empty type list": {"name": "p", "events": {"A B": {"properties": {"x": {"type": []}}}}},
    "unknown format": {"name": "p", "events": {"A B": {"properties": {"x": {"format": "phone"}}}}},
    "empty enum": {"name": "p", "events": {"A B": {"properties": {"x": {"enum": []}}}}},
    "negative minLength": {"name": "p", "events": {"A B": {"properties": {"x": {"minLength": -1}}}}},
    "zero multipleOf": {"name": "p", "events": {"A B": {"properties": {"x": {"multipleOf": 0}}}}},
    "blank event name": {"name": "p", "events": {"  ": EVENT}},
    "event name over 200 characters": {"name": "p", "events": {"E" * 201: EVENT}},
    "event version 0": {"name": "p", "events": {"A B": {**EVENT, "versions": {"0": EVENT}}}},
    "version below 1": {"name": "p", "events": {"A B": {**EVENT, "version": 0}}},
    "plan name with capitals": {"name": "Shop"},
    "no plan name": {"events": {}},
    "unknown compatibility mode": {"name": "p", "compatibility": "SOMETIMES"},
    "unknown naming convention": {"name": "p", "naming": {"events": "kebab"}},
    "unknown check severity": {"name": "p", "checks": [{"kind": "volume", "severity": "fatal"}]},
    "traits as a list": {"name": "p", "identify": {"traits": ["email"]}},
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_what_the_models_refuse_the_schema_refuses(case: str) -> None:
    body = REFUSED[case]
    with pytest.raises(ValidationError):
        Plan.model_validate(body)
    assert _errors(body), f"the schema accepts a plan the loader refuses: {case}"


@pytest.mark.parametrize("path", sorted((ROOT / "plans").glob("*.yaml")), ids=lambda p: p.name)
def test_example_plans_name_the_schema_and_meet_it(path: Path) -> None:
    assert path.read_text().splitlines()[0] == SCHEMA_LINE
    load_plan_file(path)
    assert _errors(yaml.safe_load(path.read_text())) == []


def _doc_examples() -> list[tuple[str, Any]]:
    """The YAML examples of the plan docs, except those marked ``<!-- invalid on purpose ... -->``."""
    found = []
    for page in ("reference/plan-format.md", "quality/checks.md"):
        text = (ROOT / "docs" / page).read_text()
        blocks = re.findall(r"(<!-- invalid on purpose[^>]*-->\n)?```yaml\n(.*?)```", text, re.S)
        found += [(f"{page}#{n}", yaml.safe_load(block)) for n, (mark, block) in enumerate(blocks) if not mark]
    return found


def _as_plan(fragment: dict[str, Any]) -> dict[str, Any]:
    """A docs example as a whole plan: a plan, top-level keys of one, events, or properties."""
    if set(fragment) <= set(Plan.model_fields):
        return {"name": "example", **fragment}
    for candidate in ({"name": "example", "events": fragment},
                      {"name": "example", "events": {"Order Completed": {"properties": fragment}}}):
        try:
            plan_from_data(candidate)
        except PlanInvalid:  # the next reading may fit
            continue
        return candidate
    raise AssertionError(f"not a plan, plan keys, events or properties: {list(fragment)}")


@pytest.mark.parametrize(("where", "example"), _doc_examples(), ids=[w for w, _ in _doc_examples()])
def test_docs_examples_meet_the_schema(where: str, example: Any) -> None:
    body = _as_plan(example)
    plan_from_data(body)
    assert _errors(body) == [], where


def test_the_plan_format_page_shows_the_editor_line() -> None:
    text = (ROOT / "docs" / "reference" / "plan-format.md").read_text()
    assert "# yaml-language-server: $schema=" in text and "/api/v1/schemas/plan.json" in text
