"""Compile a plan to JSON Schema 2020-12: one schema per (message kind, event, event version).

Each schema covers the whole Segment message. Track, page and screen schemas constrain
``properties``; identify and group schemas constrain ``traits``; the common schema (key
``("common", "", 0)``) applies to every message. The top-level properties/traits object is closed
(``additionalProperties: false``): an undeclared key is an *unplanned property*, which the proxy
then allows or omits by the source's settings. Nested objects are open unless the plan closes them.

Output is deterministic: the same plan gives the same bytes and the same hash.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from threading import Lock
from typing import Any
from urllib.parse import quote

import jsonschema_rs
import orjson

from governance.errors import PlanInvalid
from governance.plan.model import MessageKind, Plan, Properties, PropertySpec
from governance.plan.regex import LINEAR

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SchemaKey = tuple[str, str, int]  # (kind, event or page/screen name or "", version); common = ("common","",0)
COMMON_KEY: SchemaKey = ("common", "", 0)

_SIMPLE_KEYWORDS = (
    "enum", "const", "pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "multipleOf", "minLength", "maxLength", "minItems", "maxItems", "uniqueItems",
)


def property_schema(spec: PropertySpec) -> dict[str, Any]:
    """One friendly property to JSON Schema."""
    if spec.raw_schema is not None:
        raw: dict[str, Any] = dict(spec.raw_schema)
        if spec.description and "description" not in raw:
            raw["description"] = spec.description
        return raw
    schema: dict[str, Any] = {}
    if spec.description:
        schema["description"] = spec.description
    types = spec.types()
    if types:
        if spec.nullable and "null" not in types:
            types = [*types, "null"]
        schema["type"] = types[0] if len(types) == 1 else types
    for keyword in _SIMPLE_KEYWORDS:
        value = getattr(spec, keyword)
        if value is None:
            continue
        if keyword in {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}:
            # 5.0 -> 5, but only within 64 bits: a larger integer cannot be serialised (orjson)
            value = int(value) if float(value).is_integer() and -(2**63) <= value < 2**64 else value
        schema[keyword] = value
    if spec.nullable and spec.enum is not None and None not in spec.enum:
        schema["enum"] = [*spec.enum, None]
    if spec.items is not None:
        schema["items"] = property_schema(spec.items)
    if spec.properties is not None:
        nested = object_schema(spec.properties, closed=spec.additionalProperties is False)
        if "type" in schema:  # keep a declared type list such as ["object", "null"]
            nested.pop("type")
        schema.update(nested)
        if spec.additionalProperties is True:
            schema["additionalProperties"] = True
    elif spec.additionalProperties is False:
        schema["additionalProperties"] = False
    if spec.deprecated:
        schema["deprecated"] = True
    return schema


def object_schema(properties: Properties, *, closed: bool) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {name: property_schema(spec) for name, spec in sorted(properties.items())},
    }
    required = sorted(name for name, spec in properties.items() if spec.required)
    if required:
        schema["required"] = required
    if closed:
        schema["additionalProperties"] = False
    return schema


def _message_schema(
    plan: Plan, key: SchemaKey, field_name: str, properties: Properties, description: str | None
) -> dict[str, Any]:
    kind, name, version = key
    schema: dict[str, Any] = {
        "$schema": DIALECT,
        "$id": f"urn:governance:{plan.name}:{kind}:{quote(name, safe='')}:{version}",
        "title": f"{kind} {name}".strip() + (f" v{version}" if kind == "track" else ""),
        "type": "object",
        "properties": {field_name: object_schema(properties, closed=True)},
    }
    if any(spec.required for spec in properties.values()):
        schema["required"] = [field_name]  # a message without the object misses its required keys
    if description:
        schema["description"] = description
    return schema


def compile_plan(plan: Plan) -> dict[SchemaKey, dict[str, Any]]:
    """Every schema of a plan, keyed by (kind, name, version), in a stable order."""
    out: dict[SchemaKey, dict[str, Any]] = {}
    common = object_schema(plan.common.properties, closed=False)
    out[COMMON_KEY] = {
        "$schema": DIALECT,
        "$id": f"urn:governance:{plan.name}:common",
        "title": "common",
        **common,
    }
    for event, spec in sorted(plan.events.items()):
        for number, props in spec.all_versions().items():
            key = (MessageKind.track.value, event, number)
            out[key] = _message_schema(plan, key, "properties", props, spec.description)
    for kind in (MessageKind.identify, MessageKind.group):
        traits = getattr(plan, kind.value)
        if traits is not None:
            key = (kind.value, "", 1)
            out[key] = _message_schema(plan, key, "traits", traits.traits, traits.description)
    for kind in (MessageKind.page, MessageKind.screen):
        view = getattr(plan, kind.value)
        if view is None:
            continue
        key = (kind.value, "", 1)
        out[key] = _message_schema(plan, key, "properties", view.properties, view.description)
        for name, named in sorted(view.names.items()):
            key = (kind.value, name, 1)
            out[key] = _message_schema(plan, key, "properties", named.properties, named.description)
    return out


def canonical_bytes(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def content_hash(value: Any) -> str:
    return hashlib.sha256(canonical_bytes(value)).hexdigest()


def key_to_str(key: SchemaKey) -> str:
    kind, name, version = key
    return f"{kind}/{name}/{version}" if name else f"{kind}//{version}"


def _refuse_remote(uri: str) -> Any:
    raise ValueError(f"remote $ref {uri} is never fetched; inline the schema under 'schema:'")


def build_validator(schema: dict[str, Any]) -> jsonschema_rs.Validator:
    """A linear-time, format-checking validator that never fetches a remote ``$ref``."""
    return jsonschema_rs.validator_for(schema, validate_formats=True, pattern_options=LINEAR,
                                       retriever=_refuse_remote)


@dataclass
class CompiledPlan:
    """A plan version's schemas with their validators, ready for the proxy's hot path."""

    plan: Plan
    schemas: dict[SchemaKey, dict[str, Any]]
    validators: dict[SchemaKey, jsonschema_rs.Validator]
    schema_hash: str
    # event name -> sorted live versions; used to resolve context.protocols.event_version
    track_versions: dict[str, list[int]] = field(default_factory=dict)
    names: Any = None  # a names.NameIndex of the track events, for "did you mean" (set by the proxy)

    def lookup(self, key: SchemaKey) -> jsonschema_rs.Validator | None:
        return self.validators.get(key)


def compile_validators(plan: Plan, *, meta_validate: bool = True) -> CompiledPlan:
    """Compile and (by default) meta-validate every schema; raise ``PlanInvalid`` with paths."""
    schemas = compile_plan(plan)
    validators: dict[SchemaKey, jsonschema_rs.Validator] = {}
    problems: list[dict[str, Any]] = []
    for key, schema in schemas.items():
        if meta_validate:
            try:
                jsonschema_rs.meta.validate(schema)
            except jsonschema_rs.ValidationError as exc:
                problems.append({"path": _plan_path(key), "message": f"invalid schema: {exc.message}"})
                continue
        try:
            validators[key] = build_validator(schema)
        except (jsonschema_rs.ValidationError, ValueError) as exc:
            problems.append({"path": _plan_path(key), "message": f"invalid schema: {exc}"})
    if problems:
        raise PlanInvalid(f"{problems[0]['path']}: {problems[0]['message']}", details=problems)
    track_versions: dict[str, list[int]] = {}
    for kind, name, version in schemas:
        if kind == "track":
            track_versions.setdefault(name, []).append(version)
    return CompiledPlan(
        plan=plan,
        schemas=schemas,
        validators=validators,
        schema_hash=content_hash({key_to_str(k): v for k, v in schemas.items()}),
        track_versions={k: sorted(v) for k, v in track_versions.items()},
    )


def _plan_path(key: SchemaKey) -> str:
    kind, name, version = key
    if kind == "common":
        return "common"
    if kind == "track":
        return f'events."{name}"' + (f".versions.{version}" if version != 1 else "")
    if kind in {"identify", "group"}:
        return kind
    return f'{kind}.names."{name}"' if name else kind


class ValidatorCache:
    """Compiled plans by content hash (LRU): a plan version compiles once per process."""

    def __init__(self, capacity: int = 64) -> None:
        self._items: OrderedDict[str, CompiledPlan] = OrderedDict()
        self._capacity = capacity
        self._lock = Lock()

    def get(self, body_hash: str, load: Callable[[], Plan]) -> CompiledPlan:
        """The compiled plan of ``body_hash``; ``load`` parses the body only on a miss."""
        with self._lock:
            found = self._items.get(body_hash)
            if found is not None:
                self._items.move_to_end(body_hash)
                return found
        compiled = compile_validators(load(), meta_validate=False)
        with self._lock:
            self._items[body_hash] = compiled
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
        return compiled
