"""No REST request body is open: walking the OpenAPI document, every object a body may contain
refuses unknown keys (``additionalProperties: false``), except the few places listed below whose
shape depends on another field and is checked, just as strictly, by the code named beside them."""

from __future__ import annotations

from typing import Any

from governance.app import create_app
from governance.settings import Settings

# (component, field): why it may be free-form in the document
OPEN_BY_DESIGN = {
    ("CheckCreate", "params"): "the kind's Params model (extra=forbid) checks them: 422 params.<key>",
    ("CheckUpdate", "params"): "as CheckCreate.params",
    ("CheckSpec", "params"): "as CheckCreate.params, at plan sync",
    ("ChannelCreate", "config"): "alerts.config.validate_config refuses unknown keys per kind: 422 config.<key>",
    ("ChannelUpdate", "config"): "as ChannelCreate.config",
    ("TransformationCreate", "params"): "TransformationSpec refuses params the action does not take",
    ("TransformationUpdate", "params"): "as TransformationCreate.params",
    ("PropertySpec", "schema"): "a raw JSON Schema: the plan format's escape hatch, checked to compile",
    ("EventSpec", "expectations"): "Great Expectations expectations, checked by the quality module",
}
OPEN_BODIES = {
    ("post", "/api/v1/sources/{source}/preview"): "a Segment message or batch, judged by the source's plan",
}
NO_SCHEMA = {("post", "/api/v1/plans/import")}  # another tool's format: the importers judge it


def _document() -> dict[str, Any]:
    return create_app(Settings(database_url="sqlite:///:memory:")).openapi()


def _open_places(node: Any, components: dict[str, Any], where: str, seen: set[str]) -> list[str]:
    """Paths of object schemas under ``node`` that accept keys they do not name."""
    if isinstance(node, list):
        return [p for i, item in enumerate(node) for p in _open_places(item, components, where, seen)]
    if not isinstance(node, dict):
        return []
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        seen.add(name)
        return _open_places(components[name], components, name, seen)
    found = []
    extra = node.get("additionalProperties")
    is_object = node.get("type") == "object" or "properties" in node
    if is_object and (extra is True or (extra is None and "properties" in node)
                      or (extra is None and not node.get("properties"))):
        found.append(where)
    for key, value in (node.get("properties") or {}).items():
        if (where, key) not in OPEN_BY_DESIGN:
            found += _open_places(value, components, f"{where}.{key}", seen)
    for key in ("items", "anyOf", "allOf", "oneOf"):
        if key in node:
            found += _open_places(node[key], components, where, seen)
    if isinstance(extra, dict):
        found += _open_places(extra, components, f"{where}.*", seen)
    return found


def test_no_request_body_accepts_unknown_keys() -> None:
    document = _document()
    components = document["components"]["schemas"]
    open_places: dict[str, list[str]] = {}
    bodies = 0
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            body = operation.get("requestBody")
            if body is None or (method, path) in OPEN_BODIES:
                continue
            for media, content in body["content"].items():
                if "schema" not in content:
                    assert (method, path) in NO_SCHEMA, f"{method} {path} {media}: an untyped body"
                    continue
                bodies += 1
                places = _open_places(content["schema"], components, "body", set())
                if places:
                    open_places[f"{method.upper()} {path} ({media})"] = places
    assert bodies >= 25  # the walk saw the bodies
    assert open_places == {}


def test_the_walk_finds_an_open_model() -> None:
    """The check above can fail: an object without additionalProperties: false is reported."""
    components = {"Open": {"type": "object", "properties": {"a": {"type": "string"}}},
                  "Closed": {"type": "object", "additionalProperties": False, "properties": {
                      "inner": {"$ref": "#/components/schemas/Open"}, "map": {"type": "object"}}}}
    places = _open_places({"$ref": "#/components/schemas/Closed"}, components, "body", set())
    assert places == ["Open", "Closed.map"]  # the referenced model, by name; the bare nested object, by path


def test_every_open_place_is_a_real_field() -> None:
    components = _document()["components"]["schemas"]
    for component, field in OPEN_BY_DESIGN:
        assert field in components[component]["properties"], (component, field)
