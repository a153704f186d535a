"""Between a JSON Schema property (draft-04, -06, -07, 2019-09, 2020-12) and a plan ``PropertySpec``.

A property becomes the friendly form only when that form means exactly the same: the friendly
spec is compiled back with ``compile.property_schema`` and compared, keyword by keyword, with the
original (annotations aside). Anything else (``oneOf``, ``if``/``then``, ``patternProperties``, an
unknown ``format``, a friendly form the compiler would spell differently…) keeps the whole
property as a raw ``schema:`` escape hatch, and a report item says why.

References: local ``$ref``\\s are inlined; a recursive one is kept, with a copy of the document's
``definitions``/``$defs`` and an ``$id`` so it still resolves inside the compiled schema. Remote
references (``http``/``https``) are never fetched: the property is kept raw, the report carries an
error, and the plan will not compile until the reference is replaced.

The reverse, ``PropertySpec`` -> JSON Schema, is ``governance.plan.compile.property_schema``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import orjson
from pydantic import ValidationError

from governance.formats.base import Reporter
from governance.formats.drafts import SCHEMA_KEYS, SCHEMA_LISTS, SCHEMA_MAPS, map_subschemas
from governance.plan.compile import object_schema, property_schema
from governance.plan.model import FORMATS, Properties, PropertySpec
from governance.plan.regex import regex_problem

__all__ = ["MapContext", "canon", "object_schema", "properties_from_object", "property_schema", "to_spec"]

# 2020-12 keywords that constrain an instance or change how references resolve
VALIDATION_KEYWORDS = frozenset({
    "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
    "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "maxContains", "minContains",
    "maxProperties", "minProperties", "required", "dependentRequired", "allOf", "anyOf", "oneOf", "not",
    "if", "then", "else", "dependentSchemas", "prefixItems", "items", "contains", "properties",
    "patternProperties", "additionalProperties", "propertyNames", "unevaluatedItems",
    "unevaluatedProperties", "$ref", "$dynamicRef", "$recursiveRef", "format", "$id", "$anchor",
    "$dynamicAnchor", "$recursiveAnchor", "dependencies", "additionalItems",
})
FRIENDLY_KEYWORDS = frozenset({
    "type", "enum", "const", "pattern", "format", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "minItems", "maxItems", "uniqueItems",
    "items", "properties", "required", "additionalProperties",
})
KEPT_ANNOTATIONS = frozenset({"description", "deprecated"})
JSON_TYPES = frozenset({"string", "number", "integer", "boolean", "object", "array", "null"})
_TRUE_WHEN_EMPTY = frozenset({"items", "additionalProperties", "additionalItems", "propertyNames",
                              "unevaluatedItems", "unevaluatedProperties"})
_INTERACTING = frozenset({"properties", "patternProperties", "additionalProperties", "items", "prefixItems",
                          "unevaluatedProperties", "unevaluatedItems", "if", "then", "else", "contains",
                          "minContains", "maxContains"})
_MISSING = object()
MAX_INLINED = 10_000


@dataclass
class MapContext:
    """The document being mapped (already upgraded to 2020-12) and where to report."""

    root: Any
    report: Reporter
    file: str | None = None


# -- references -----------------------------------------------------------------------------------


def resolve_pointer(root: Any, ref: str) -> Any:
    """The target of a local ``#/a/b`` reference, or ``_MISSING``."""
    if not ref.startswith("#"):
        return _MISSING
    pointer = unquote(ref[1:])
    if pointer and not pointer.startswith("/"):
        return _MISSING  # a plain-name fragment ($anchor): not resolved here
    node = root
    for part in pointer.split("/")[1:] if pointer else []:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isascii() and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


def inline_refs(node: Any, root: Any, stack: tuple[str, ...] = (), budget: list[int] | None = None) -> Any:
    """``node`` with every resolvable, non-recursive local ``$ref`` replaced by its target.

    ``definitions``/``$defs`` are left as they are; at most ``MAX_INLINED`` references are
    inlined per call (a chain of shared definitions would otherwise grow exponentially).
    """
    budget = budget if budget is not None else [MAX_INLINED]
    if not isinstance(node, dict) or (node is not root and isinstance(node.get("$id"), str)):
        return node  # a subschema with its own $id is another resource: its references are its own

    def recurse(sub: Any, inner: tuple[str, ...] = stack) -> Any:
        return inline_refs(sub, root, inner, budget)

    def walk(item: dict[str, Any]) -> dict[str, Any]:
        kept = {k: v for k, v in item.items() if k in ("definitions", "$defs")}
        return {**map_subschemas({k: v for k, v in item.items() if k not in kept}, recurse), **kept}

    ref = node.get("$ref")
    if not (isinstance(ref, str) and ref.startswith("#") and ref not in stack and budget[0] > 0):
        return walk(node)
    target = resolve_pointer(root, ref)
    if target is _MISSING:
        return walk(node)
    budget[0] -= 1
    resolved = recurse(target, (*stack, ref))
    siblings = walk({k: v for k, v in node.items() if k != "$ref"})
    if not isinstance(resolved, dict):
        return resolved if not siblings else {"allOf": [resolved], **siblings}
    mine, theirs = set(siblings) & VALIDATION_KEYWORDS, set(resolved) & VALIDATION_KEYWORDS
    if mine & theirs or (mine & _INTERACTING and theirs & _INTERACTING):
        return {"allOf": [resolved], **siblings}
    return {**resolved, **siblings}


def collect_refs(node: Any) -> list[str]:
    found: list[str] = []

    def walk(item: Any) -> Any:
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str):
                found.append(ref)
            map_subschemas({k: v for k, v in item.items() if k not in ("definitions", "$defs")}, walk)
        return item

    walk(node)
    return found


def is_remote(ref: str) -> bool:
    return ref.lower().startswith(("http://", "https://", "//"))


# -- comparison -----------------------------------------------------------------------------------


def _number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def canon(node: Any) -> Any:
    """A schema reduced to what it validates, in one spelling (for equality, not for use)."""
    if node is True:
        return {}
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key not in VALIDATION_KEYWORDS:
            continue
        if key in SCHEMA_MAPS and isinstance(value, dict):
            mapped = {name: canon(sub) for name, sub in value.items()}
            if key == "properties":
                mapped = {name: sub for name, sub in mapped.items() if sub != {}}
            if mapped:
                out[key] = mapped
        elif key in SCHEMA_LISTS and isinstance(value, list):
            out[key] = [canon(sub) for sub in value]
        elif key in SCHEMA_KEYS:
            sub = canon(value)
            if not (sub == {} and key in _TRUE_WHEN_EMPTY):
                out[key] = sub
        elif key == "type":
            out[key] = sorted(set([value] if isinstance(value, str) else value))
        elif key == "required" and isinstance(value, list):
            if value:
                out[key] = sorted(set(value))
        elif key == "enum" and isinstance(value, list):
            out[key] = sorted({orjson.dumps(_number(v)) for v in value})
        else:
            out[key] = _number(value)
    enum = out.get("enum")
    if enum is not None and b"null" not in enum and isinstance(out.get("type"), list) and len(out["type"]) > 1:
        out["type"] = [t for t in out["type"] if t != "null"]  # null is excluded by the enum anyway
    return out


# -- schema -> spec -------------------------------------------------------------------------------


def _spec(**fields: Any) -> PropertySpec:
    return PropertySpec.model_validate({k: v for k, v in fields.items() if v is not None})


def _description(node: dict[str, Any]) -> str | None:
    text = node.get("description")
    return text if isinstance(text, str) and text.strip() else None


def _why_raw(node: dict[str, Any]) -> str | None:
    extra = (set(node) & VALIDATION_KEYWORDS) - FRIENDLY_KEYWORDS
    if extra:
        return f"uses {', '.join(sorted(extra))}"
    kind = node.get("type")
    names = [kind] if isinstance(kind, str) else kind
    if kind is not None and (not isinstance(names, list) or not names or not set(names) <= JSON_TYPES):
        return f"type {kind!r} is not a JSON Schema type"
    fmt = node.get("format")
    if fmt is not None and fmt not in FORMATS:
        return f"format {fmt!r} is not one the plan format knows ({', '.join(sorted(FORMATS))})"
    if "const" in node and node["const"] is None:
        return "const null"
    if "required" in node and not (isinstance(node["required"], list) and all(
            isinstance(r, str) for r in node["required"])):
        return "required is not a list of names"
    if "additionalProperties" in node and not isinstance(node["additionalProperties"], bool):
        return "additionalProperties is a schema"
    if "properties" in node and not isinstance(node["properties"], dict):
        return "properties is not a mapping"
    if "items" in node and not isinstance(node["items"], (dict, bool)):
        return "items is not a schema"
    enum = node.get("enum")
    if enum is not None and not (isinstance(enum, list) and enum):
        return "enum is not a non-empty list"
    return None


def to_spec(node: Any, ctx: MapContext, loc: tuple[Any, ...], *, required: bool = False) -> PropertySpec:
    """One property schema (2020-12, references not yet inlined) as a ``PropertySpec``."""
    return _to_spec(inline_refs(node, ctx.root), ctx, loc, required)


def _to_spec(node: Any, ctx: MapContext, loc: tuple[Any, ...], required: bool) -> PropertySpec:
    if node is True or node == {}:
        return _spec(required=required)
    if node is False:
        ctx.report.add(loc, "schema false (nothing valid) kept as raw {not: {}}", "info", file=ctx.file)
        return _spec(raw_schema={"not": {}}, required=required)
    if not isinstance(node, dict):
        ctx.report.add(loc, f"not a schema ({type(node).__name__}); any value accepted", "error", file=ctx.file)
        return _spec(required=required)
    pattern = node.get("pattern")
    if isinstance(pattern, str) and regex_problem(pattern):
        ctx.report.add(loc, f"pattern {pattern!r} dropped: {regex_problem(pattern)}", "error", file=ctx.file)
        node = {k: v for k, v in node.items() if k != "pattern"}
    reason = _why_raw(node)
    if reason is None:
        mark, ignored = len(ctx.report.items), ctx.report.ignored.copy()
        spec = _friendly(node, ctx, loc, required)
        if spec is not None and canon(property_schema(spec)) == canon(node):
            for key in set(node) - VALIDATION_KEYWORDS - KEPT_ANNOTATIONS:
                ctx.report.ignore(key)
            return spec
        del ctx.report.items[mark:]
        ctx.report.ignored = ignored
        reason = "the friendly form would not mean exactly the same"
        if spec is not None:
            mine, theirs = canon(property_schema(spec)), canon(node)
            differ = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
            reason += f" (compiled back, it differs in {', '.join(differ)})"
    return _raw(node, ctx, loc, required, reason)


def _friendly(node: dict[str, Any], ctx: MapContext, loc: tuple[Any, ...], required: bool) -> PropertySpec | None:
    kind = node.get("type")
    names = [kind] if isinstance(kind, str) else list(kind or [])
    nullable = "null" in names and len(names) > 1
    if nullable:
        names = [n for n in names if n != "null"]
    enum = node.get("enum")
    if nullable and enum is not None and None not in enum:
        nullable = False  # the enum already refuses null
    data: dict[str, Any] = {"required": required, "nullable": nullable}
    if names:
        data["type"] = names[0] if len(names) == 1 else names
    for key in ("enum", "const", "pattern", "format", "minimum", "maximum", "exclusiveMinimum",
                "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "minItems", "maxItems",
                "uniqueItems", "deprecated"):
        if key in node:
            data[key] = node[key]
    data["description"] = _description(node)
    if node.get("additionalProperties") is False:
        data["additionalProperties"] = False
    try:
        spec = PropertySpec.model_validate(data)
    except ValidationError:
        return None
    if "items" in node:
        spec.items = _to_spec(node["items"], ctx, (*loc, "items"), False)
    if "properties" in node or "required" in node:
        spec.properties = _children(node, ctx, loc)
    return spec


def _children(node: dict[str, Any], ctx: MapContext, loc: tuple[Any, ...]) -> Properties:
    required = [r for r in node.get("required") or [] if isinstance(r, str)]
    props = node.get("properties") or {}
    out: Properties = {
        name: _to_spec(sub, ctx, (*loc, "properties", name), name in required) for name, sub in props.items()
    }
    for name in required:
        out.setdefault(name, _spec(required=True))
    return out


def _raw(node: dict[str, Any], ctx: MapContext, loc: tuple[Any, ...], required: bool, reason: str) -> PropertySpec:
    raw = {k: v for k, v in node.items() if k != "description"}
    severity = "warning"
    local: list[str] = []
    for ref in collect_refs(raw):
        if is_remote(ref):
            ctx.report.add(loc, f"remote $ref {ref!r} kept as is and never fetched: the plan will not "
                                f"compile until it is inlined or replaced", "error", file=ctx.file)
            severity = "error"
        elif ref.startswith("#/definitions/") or ref.startswith("#/$defs/"):
            local.append(ref)
        else:
            ctx.report.add(loc, f"$ref {ref!r} cannot be resolved locally", "error", file=ctx.file)
            severity = "error"
    if local and "$id" not in raw and isinstance(ctx.root, dict):
        containers = {k: ctx.root[k] for k in ("definitions", "$defs") if isinstance(ctx.root.get(k), dict)}
        digest = hashlib.sha256(orjson.dumps(containers, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]
        raw = {"$id": f"urn:governance:import:{digest}", **containers, **raw}
        reason += "; recursive $ref kept with the document's definitions"
    if severity != "error":
        ctx.report.add(loc, f"kept as raw JSON Schema: {reason}", "warning", file=ctx.file)
    return _spec(raw_schema=raw, required=required, description=_description(node))


def properties_from_object(node: Any, ctx: MapContext, loc: tuple[Any, ...], *, what: str) -> Properties:
    """The top-level properties/traits object of a message as plan properties.

    That object is always closed in a compiled plan (undeclared keys are unplanned properties,
    allowed or omitted by the source's settings); any other keyword on it is reported.
    """
    node = inline_refs(node, ctx.root)
    if node is True or node is None or node == {}:
        return {}
    if not isinstance(node, dict):
        ctx.report.add(loc, f"{what} is not a schema; nothing carried over", "error", file=ctx.file)
        return {}
    kind = node.get("type")
    if kind is not None and kind != "object" and kind != ["object"]:
        ctx.report.add(loc, f"{what} has type {kind!r}; a plan always expects an object here", "warning",
                       file=ctx.file)
    for key in sorted((set(node) & VALIDATION_KEYWORDS) - {"type", "properties", "required",
                                                           "additionalProperties", "$id"}):
        ctx.report.add((*loc, key), f"{key} on the {what} object is not carried over (a plan describes its "
                                    f"properties one by one)", "warning", file=ctx.file)
    extra = node.get("additionalProperties")
    if extra is not None and not isinstance(extra, bool):
        ctx.report.add((*loc, "additionalProperties"), f"a schema for undeclared {what} is not carried over",
                       "warning", file=ctx.file)
    return _children(node, ctx, loc)


def properties_to_object(properties: Properties) -> dict[str, Any]:
    """Plan properties as an (open) JSON Schema object, for exporters."""
    return object_schema(properties, closed=False)
