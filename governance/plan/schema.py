"""The plan format as a JSON Schema (2020-12), so editors complete and check plan files.

Put this first line in a plan file and any editor with the YAML language server (VS Code's YAML
extension, Neovim, JetBrains) completes keys, shows descriptions and flags unknown keys::

    # yaml-language-server: $schema=http://127.0.0.1:8000/api/v1/schemas/plan.json

The schema is generated from the pydantic models of ``governance/plan/model.py`` (their attribute
docstrings are the descriptions), then tightened where a model checks in a validator what JSON
Schema can say: property type names, formats, non-empty enums and type lists, event names,
event version numbers. What only the loader can judge (a pattern the linear-time regex engine
refuses, ``minimum`` above ``maximum``, ``schema`` combined with friendly keywords) stays with
``governance plan lint``: the schema accepts every plan the loader accepts, and refuses most of
what it refuses. It is served at ``/api/v1/schemas/plan.json`` (no token: it documents a format),
printed by ``governance plan schema``, and committed as ``docs/reference/plan.schema.json``.
"""

from __future__ import annotations

import copy
from typing import Any

from governance.plan.model import FORMATS, PROPERTY_TYPES, Plan

PLAN_SCHEMA_ID = "urn:governance:format:plan"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
TITLE = "governance tracking plan"
DESCRIPTION = ("A tracking plan: per Segment message kind (track events, identify and group traits, page and "
               "screen calls, and rules over every message), what a valid message looks like. See "
               "docs/reference/plan-format.md.")


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _tighten(schema: dict[str, Any]) -> None:
    """What the models' validators check, said in JSON Schema."""
    defs = schema["$defs"]
    prop = defs["PropertySpec"]["properties"]
    name = {"enum": list(PROPERTY_TYPES)}
    prop["type"] = {"description": prop["type"]["description"], "default": None,
                    "anyOf": [name, {"type": "array", "items": name, "minItems": 1}, {"type": "null"}]}
    prop["format"] = {"description": prop["format"]["description"], "default": None,
                      **_nullable({"enum": sorted(FORMATS)})}
    prop["enum"] = {"description": prop["enum"]["description"], "default": None,
                    **_nullable({"type": "array", "minItems": 1})}
    defs["EventSpec"]["properties"]["versions"]["propertyNames"] = {"pattern": "^[1-9][0-9]*$"}
    schema["properties"]["events"]["propertyNames"] = {"minLength": 1, "maxLength": 200, "pattern": "\\S"}


# pydantic writes a bound on a union (``int | float``, gt=0) with its own names, which JSON Schema ignores
_BOUNDS = {"gt": "exclusiveMinimum", "ge": "minimum", "lt": "exclusiveMaximum", "le": "maximum"}


def _tidy(node: Any, *, in_properties: bool = False) -> None:
    """Drop the titles pydantic derives from field names ("Keep Firing For": noise in an editor's
    tooltip), write docstring markup (````x````) as Markdown (```x```), which editors render, and
    name bounds as JSON Schema does."""
    if isinstance(node, dict):
        if not in_properties:
            for ours, theirs in _BOUNDS.items():
                if ours in node and isinstance(node[ours], int | float):
                    node[theirs] = node.pop(ours)
        if in_properties:
            for field in node.values():
                if isinstance(field, dict):
                    field.pop("title", None)
        if isinstance(node.get("description"), str) and not in_properties:
            node["description"] = node["description"].replace("``", "`")
        for key, value in node.items():
            _tidy(value, in_properties=key == "properties" and not in_properties)
    elif isinstance(node, list):
        for item in node:
            _tidy(item)


def plan_json_schema() -> dict[str, Any]:
    """The JSON Schema 2020-12 of a plan document (a fresh copy: callers may change it)."""
    generated = Plan.model_json_schema(by_alias=True, mode="validation")
    _tighten(generated)
    _tidy(generated)
    generated.pop("title", None)
    generated.pop("description", None)
    return copy.deepcopy({"$schema": DIALECT, "$id": PLAN_SCHEMA_ID, "title": TITLE, "description": DESCRIPTION,
                          **generated})
