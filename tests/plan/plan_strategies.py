"""Hypothesis strategies: small random plans, random mutations of them, and instances they accept.

Plans are drawn as bodies (dicts) so mutations can edit them like a person editing YAML; values
are drawn from a spec to be *probably* valid, plus near misses; tests keep only those the old
compiled schema really accepts, so the strategies need not be exact.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st
from pydantic import ValidationError

from governance.plan.diff_rules import value_key
from governance.plan.model import Plan, Properties, PropertySpec

PROPERTY_NAMES = ("a", "b", "c", "d")
EVENT_NAMES = ("Order Completed", "Product Viewed", "Signed Up")
ENUM_VALUES = ("x", "y", "zz", 0, 1, 2, 1.5, True, None)
PATTERNS = ("^[a-c]+$", "a", "^b", "[0-9]", "^[a-z]{1,3}$")
FORMATS = ("date", "email", "uuid")
FORMAT_SAMPLES = ("2024-01-31", "a@b.co", "123e4567-e89b-12d3-a456-426614174000", "nope")
TYPES = (
    None, "string", "integer", "number", "boolean", "array", "object", "null",
    ["string", "integer"], ["number", "null"], ["integer", "boolean"],
)
RAW_SCHEMAS = (
    {},
    {"type": "string", "maxLength": 3},
    {"type": "string", "maxLength": 5},
    {"anyOf": [{"type": "string"}, {"type": "integer"}]},
    {"type": "integer", "minimum": 0},
    {"const": 1},
    {"const": True},
    {"enum": ["x", 1]},
)
small_int = st.integers(-3, 8)
OPTIONAL: dict[str, st.SearchStrategy[Any]] = {
    "required": st.just(True),
    "nullable": st.just(True),
    "description": st.sampled_from(["one", "two"]),
    "pii": st.just(True),
    "deprecated": st.just(True),
    "enum": st.lists(st.sampled_from(ENUM_VALUES), min_size=1, max_size=4, unique_by=value_key),
    "const": st.sampled_from([v for v in ENUM_VALUES if v is not None]),
    "pattern": st.sampled_from(PATTERNS),
    "format": st.sampled_from(FORMATS),
    "minimum": small_int,
    "maximum": small_int,
    "exclusiveMinimum": small_int,
    "exclusiveMaximum": small_int,
    "multipleOf": st.sampled_from([1, 2, 3, 4, 0.5]),
    "minLength": st.integers(0, 4),
    "maxLength": st.integers(0, 6),
    "minItems": st.integers(0, 3),
    "maxItems": st.integers(0, 4),
    "uniqueItems": st.booleans(),
    "additionalProperties": st.booleans(),
}
_PAIRS = (("minimum", "maximum"), ("minLength", "maxLength"), ("minItems", "maxItems"))
_FRIENDLY_WITH_RAW = {"schema", "required", "description", "pii", "deprecated"}


def repair(body: dict[str, Any]) -> dict[str, Any]:
    """Make a property body loadable: ordered bounds, no friendly keys beside a raw schema."""
    if "schema" in body:
        for key in list(body):
            if key not in _FRIENDLY_WITH_RAW:
                del body[key]
        return body
    for low, high in _PAIRS:
        if low in body and high in body and body[low] > body[high]:
            body[low], body[high] = body[high], body[low]
    for child in (body.get("properties") or {}).values():
        repair(child)
    if isinstance(body.get("items"), dict):
        repair(body["items"])
    return body


@st.composite
def property_bodies(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    if draw(st.integers(0, 9)) == 0:
        body: dict[str, Any] = {"schema": copy.deepcopy(draw(st.sampled_from(RAW_SCHEMAS)))}
        if draw(st.booleans()):
            body["required"] = True
        return body
    body = {}
    declared = draw(st.sampled_from(TYPES))
    if declared is not None:
        body["type"] = declared
    for key, strategy in OPTIONAL.items():
        if draw(st.integers(0, 7)) == 0:
            body[key] = draw(strategy)
    if depth < 2 and draw(st.integers(0, 4)) == 0:
        body["items"] = draw(property_bodies(depth + 1))
    if depth < 2 and draw(st.integers(0, 3)) == 0:
        body["properties"] = draw(properties_maps(depth + 1))
    return repair(body)


def properties_maps(depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(PROPERTY_NAMES), property_bodies(depth), max_size=3)


@st.composite
def plan_bodies(draw: st.DrawFn, *, focused: bool = False) -> dict[str, Any]:
    """Random plans; ``focused`` ones have a single event with one or two properties, so that
    random edits land on few properties and probe them well."""
    if focused:
        properties = draw(st.dictionaries(st.sampled_from(PROPERTY_NAMES[:2]), property_bodies(), min_size=1))
        return {"name": "focused", "events": {EVENT_NAMES[0]: {"properties": properties}}}
    events: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from(EVENT_NAMES), unique=True, max_size=3)):
        event: dict[str, Any] = {"properties": draw(properties_maps())}
        if draw(st.integers(0, 3)) == 0:
            event["versions"] = {2: {"properties": draw(properties_maps())}}
        if draw(st.booleans()):
            event["description"] = draw(st.sampled_from(["first", "second"]))
        events[name] = event
    body: dict[str, Any] = {"name": "random", "events": events}
    if draw(st.integers(0, 2)) == 0:
        body["identify"] = {"traits": draw(properties_maps())}
    if draw(st.integers(0, 3)) == 0:
        body["common"] = {"properties": draw(properties_maps())}
    if draw(st.integers(0, 3)) == 0:
        home = {"properties": draw(properties_maps())}
        body["page"] = {"properties": draw(properties_maps()), "names": {"Home": home}}
    if draw(st.integers(0, 5)) == 0:
        body["event_version_fallback"] = draw(st.sampled_from(["latest", "oldest", "any"]))
    return body


def to_plan(body: dict[str, Any]) -> Plan:
    try:
        return Plan.model_validate(body)
    except ValidationError:
        assume(False)
        raise


plans = plan_bodies().map(to_plan)


# --- mutations ------------------------------------------------------------------------------


def property_containers(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Every ``properties``/``traits`` mapping of a plan body, nested ones included."""
    found: list[dict[str, Any]] = []

    def nested(props: dict[str, Any]) -> None:
        found.append(props)
        for spec in props.values():
            visit(spec)

    def visit(spec: dict[str, Any]) -> None:
        if isinstance(spec.get("properties"), dict):
            nested(spec["properties"])
        if isinstance(spec.get("items"), dict):
            visit(spec["items"])

    for event in body.get("events", {}).values():
        nested(event.setdefault("properties", {}))
        for version in event.get("versions", {}).values():
            nested(version.setdefault("properties", {}))
    for kind, field in (("identify", "traits"), ("group", "traits"), ("common", "properties"), ("page", "properties")):
        if kind in body:
            nested(body[kind].setdefault(field, {}))
    for named in body.get("page", {}).get("names", {}).values():
        nested(named.setdefault("properties", {}))
    return found


def _tweak(draw: st.DrawFn, spec: dict[str, Any]) -> None:
    """Change one keyword the property already has, a little."""
    keys = sorted(k for k in spec if k not in ("properties", "items"))
    if not keys:
        return
    key = draw(st.sampled_from(keys))
    value = spec[key]
    if key == "schema":
        spec[key] = copy.deepcopy(draw(st.sampled_from(RAW_SCHEMAS)))
    elif key == "enum":
        values = [*value, draw(st.sampled_from(ENUM_VALUES))] if draw(st.booleans()) else value[1:] or value
        spec[key] = list({value_key(v): v for v in values}.values())
    elif key == "multipleOf":
        spec[key] = draw(OPTIONAL[key])
    elif isinstance(value, bool):
        spec[key] = not value
    elif isinstance(value, int | float):
        spec[key] = max(0, value + draw(st.sampled_from([-2, -1, 1, 2]))) if "Length" in key or "Items" in key \
            else value + draw(st.sampled_from([-2, -1, 1, 2]))
    elif key == "type":
        spec[key] = draw(st.sampled_from([t for t in TYPES if t is not None]))
    elif key in OPTIONAL:
        spec[key] = draw(OPTIONAL[key])


def _mutate_property(draw: st.DrawFn, body: dict[str, Any]) -> None:
    containers = property_containers(body)
    located = [(c, name) for c in containers for name in c]
    if not located:
        if containers:
            draw(st.sampled_from(containers))[draw(st.sampled_from(PROPERTY_NAMES))] = draw(property_bodies())
        return
    container, name = draw(st.sampled_from(located))
    spec = container[name]
    action = draw(st.sampled_from(["tweak"] * 8 + ["set"] * 5 + ["delete_key"] * 2 + ["replace", "delete", "rename"]))
    if action == "tweak":
        _tweak(draw, spec)
    elif action == "set":
        key = draw(st.sampled_from([*OPTIONAL, "type"]))
        spec.pop("schema", None)
        if key == "type":
            spec["type"] = draw(st.sampled_from(TYPES))
            if spec["type"] is None:
                del spec["type"]
        else:
            spec[key] = draw(OPTIONAL[key])
    elif action == "delete_key" and spec:
        del spec[draw(st.sampled_from(sorted(spec)))]
    elif action == "replace":
        container[name] = draw(property_bodies())
    elif action == "delete":
        del container[name]
    elif action == "rename":
        container[draw(st.sampled_from(PROPERTY_NAMES))] = container.pop(name)
    if name in container:
        repair(container[name])


def _add_property(draw: st.DrawFn, body: dict[str, Any]) -> None:
    containers = property_containers(body)
    if containers:
        draw(st.sampled_from(containers))[draw(st.sampled_from(PROPERTY_NAMES))] = draw(property_bodies())


def _mutate_event(draw: st.DrawFn, body: dict[str, Any]) -> None:
    events = body.setdefault("events", {})
    action = draw(st.sampled_from(["add", "remove", "add_version", "remove_version", "describe", "fallback"]))
    names = sorted(events)
    if action == "add":
        events[draw(st.sampled_from(EVENT_NAMES))] = {"properties": draw(properties_maps())}
    elif action == "remove" and names:
        del events[draw(st.sampled_from(names))]
    elif action == "add_version" and names:
        events[draw(st.sampled_from(names))].setdefault("versions", {})[3] = {"properties": draw(properties_maps())}
    elif action == "remove_version" and names:
        events[draw(st.sampled_from(names))].pop("versions", None)
    elif action == "describe" and names:
        events[draw(st.sampled_from(names))]["description"] = draw(st.sampled_from(["first", "third"]))
    elif action == "fallback":
        body["event_version_fallback"] = draw(st.sampled_from(["latest", "oldest", "any"]))


MUTATIONS = (_mutate_property, _mutate_property, _mutate_property, _add_property, _mutate_event)


@st.composite
def mutated_bodies(draw: st.DrawFn, body: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(body)
    for _ in range(draw(st.sampled_from([1, 1, 1, 1, 2, 3]))):
        draw(st.sampled_from(MUTATIONS))(draw, body)
    return body


# --- instances ------------------------------------------------------------------------------

_LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10), st.floats(-5, 10, allow_nan=False),
    st.text("abcxyz019", max_size=4), st.sampled_from(ENUM_VALUES), st.sampled_from(FORMAT_SAMPLES),
)
_KEYS = st.sampled_from((*PROPERTY_NAMES, "e"))
JSON = st.recursive(
    _LEAVES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3), max_leaves=6
)
_ALL_TYPES = ("string", "integer", "number", "boolean", "array", "object", "null")


def _int_range(spec: PropertySpec) -> tuple[int, int]:
    low, high = -5, 10
    if spec.minimum is not None:
        low = math.ceil(spec.minimum)
    if spec.exclusiveMinimum is not None:
        low = max(low, math.floor(spec.exclusiveMinimum) + 1)
    if spec.maximum is not None:
        high = math.floor(spec.maximum)
    if spec.exclusiveMaximum is not None:
        high = min(high, math.ceil(spec.exclusiveMaximum) - 1)
    return (low, high) if low <= high else (high, low)


def _typed(kind: str, spec: PropertySpec) -> st.SearchStrategy[Any]:
    if kind == "string":
        low = spec.minLength or 0
        high = max(low, spec.maxLength if spec.maxLength is not None else low + 4)
        options = [st.text("abcxyz019", min_size=low, max_size=high), st.sampled_from(FORMAT_SAMPLES)]
        if spec.pattern:
            options.append(st.from_regex(spec.pattern).map(lambda s: s[: high + 1]))
        return st.one_of(options)
    if kind in ("integer", "number"):
        low, high = _int_range(spec)
        options = [st.integers(low, high)]
        if isinstance(spec.multipleOf, int):
            step = spec.multipleOf
            options.append(st.integers(-3, 3).map(lambda k: k * step))
        if kind == "number":
            options += [st.floats(low, high, allow_nan=False), st.integers(2 * low, 2 * high).map(lambda k: k / 2)]
        return st.one_of(options)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        low = spec.minItems or 0
        high = max(low, spec.maxItems if spec.maxItems is not None else low + 3)
        items = value_for(spec.items) if spec.items is not None else st.one_of(st.sampled_from([0, "a"]), JSON)
        arrays = st.lists(items, min_size=low, max_size=high)
        return st.one_of(arrays, arrays.map(lambda xs: xs + xs[:1]))  # the latter repeats an item
    return object_for(spec.properties or {})


def value_for(spec: PropertySpec) -> st.SearchStrategy[Any]:
    """Values that probably satisfy ``spec`` (3 draws in 4), and near misses that probably do not.

    An explicit draw picks between the two: left to ``one_of``, the near misses' larger space of
    values would crowd out a two-value enum."""
    if spec.raw_schema is not None:
        return st.one_of(st.sampled_from(["ab", "abcdef", 1, -1, True, "x"]), JSON)
    typed = [_typed(kind, spec) for kind in (spec.types() or _ALL_TYPES)]
    if spec.enum:
        likely, near = [st.sampled_from(spec.enum)], [*typed, JSON]
    elif spec.const is not None:
        likely, near = [st.just(spec.const)], [*typed, JSON]
    else:
        likely, near = typed, [JSON]
    if spec.nullable:
        likely.append(st.none())
    return st.sampled_from([0, 0, 0, 1]).flatmap(lambda pick: st.one_of(near if pick else likely))


def object_for(properties: Properties) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with the required properties, some optional ones, and sometimes extra keys."""
    required = {name: value_for(spec) for name, spec in properties.items() if spec.required}
    optional = {name: value_for(spec) for name, spec in properties.items() if not spec.required}
    base = st.fixed_dictionaries(required, optional=optional)
    extras = st.dictionaries(_KEYS, JSON, max_size=2)
    return st.one_of(base, base, st.tuples(base, extras).map(lambda pair: {**pair[0], **pair[1]}))
