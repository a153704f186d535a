"""JSON Schema dialects: detect a document's draft, upgrade it to 2020-12, downgrade for export.

Upgrading is exact, keyword by keyword: draft-04 boolean ``exclusiveMinimum``/``exclusiveMaximum``
become numbers, array-form ``items`` becomes ``prefixItems``, ``dependencies`` splits into
``dependentRequired``/``dependentSchemas``, and the siblings of a ``$ref`` (ignored before
2019-09) are dropped so they do not start to apply. Downgrading is the inverse for the keywords
that have an older spelling; what has none (``unevaluatedProperties``, ``$dynamicRef``…) is kept
and returned in a list so the exporter can report it.
"""

from __future__ import annotations

from typing import Any

DRAFT4, DRAFT6, DRAFT7, DRAFT2019, DRAFT2020 = "draft-04", "draft-06", "draft-07", "2019-09", "2020-12"
DRAFT_URIS = {
    DRAFT4: "http://json-schema.org/draft-04/schema#",
    DRAFT6: "http://json-schema.org/draft-06/schema#",
    DRAFT7: "http://json-schema.org/draft-07/schema#",
    DRAFT2019: "https://json-schema.org/draft/2019-09/schema",
    DRAFT2020: "https://json-schema.org/draft/2020-12/schema",
}
IGLU_SELF_DESC = "iglucentral.com/schemas/com.snowplowanalytics.self-desc/schema/jsonschema"

# where subschemas live (validation keywords of every draft, by the shape of their value)
SCHEMA_KEYS = frozenset({
    "additionalProperties", "additionalItems", "items", "contains", "propertyNames", "not", "if", "then",
    "else", "unevaluatedItems", "unevaluatedProperties",
})
SCHEMA_MAPS = frozenset({"properties", "patternProperties", "definitions", "$defs", "dependentSchemas"})
SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems", "items"})
_OLD = frozenset({DRAFT4, DRAFT6, DRAFT7})
_REF_SIBLINGS_KEPT = frozenset({"$ref", "description", "title", "$comment", "definitions", "$defs"})


def detect_draft(schema: Any, default: str = DRAFT7) -> str:
    uri = schema.get("$schema") if isinstance(schema, dict) else None
    if not isinstance(uri, str):
        return default
    for marker, draft in (("draft-03", DRAFT4), ("draft-04", DRAFT4), ("draft-06", DRAFT6),
                          ("draft-07", DRAFT7), ("2019-09", DRAFT2019), ("2020-12", DRAFT2020)):
        if marker in uri:
            return draft
    if IGLU_SELF_DESC in uri:
        return DRAFT4  # Iglu's self-describing meta-schema extends draft-04
    return default


def map_subschemas(node: dict[str, Any], fn: Any) -> dict[str, Any]:
    """A copy of ``node`` with ``fn`` applied to every direct subschema."""
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: fn(sub) for name, sub in value.items()}
        elif key in SCHEMA_LISTS and isinstance(value, list):
            out[key] = [fn(sub) for sub in value]
        elif key in SCHEMA_KEYS and isinstance(value, (dict, bool)):
            out[key] = fn(value)
        elif key == "dependencies" and isinstance(value, dict):
            out[key] = {name: fn(sub) if isinstance(sub, (dict, bool)) else sub for name, sub in value.items()}
        else:
            out[key] = value
    return out


def upgrade(node: Any, draft: str, *, segment_types: bool = False) -> Any:
    """``node`` (written for ``draft``) as an equivalent JSON Schema 2020-12 document."""
    if not isinstance(node, dict):
        return node
    if draft in _OLD and "$ref" in node:
        node = {k: v for k, v in node.items() if k in _REF_SIBLINGS_KEPT}
    out = map_subschemas(node, lambda sub: upgrade(sub, draft, segment_types=segment_types))
    if draft != DRAFT2020:
        if isinstance(out.get("items"), list):
            out["prefixItems"] = out.pop("items")
            if "additionalItems" in out:
                out["items"] = out.pop("additionalItems")
        else:
            out.pop("additionalItems", None)  # only meaningful next to array-form items
    if isinstance(out.get("id"), str):
        del out["id"]  # draft-04's base URI, an unknown annotation since draft-06: never a rule
    if draft == DRAFT4:
        for bound, exclusive in (("maximum", "exclusiveMaximum"), ("minimum", "exclusiveMinimum")):
            flag = out.get(exclusive)
            if isinstance(flag, bool):
                del out[exclusive]
                if flag and bound in out:
                    out[exclusive] = out.pop(bound)
    if draft in _OLD and isinstance(out.get("dependencies"), dict):
        deps = out.pop("dependencies")
        required = {k: v for k, v in deps.items() if isinstance(v, list)}
        schemas = {k: v for k, v in deps.items() if not isinstance(v, list)}
        if required:
            out["dependentRequired"] = required
        if schemas:
            out["dependentSchemas"] = schemas
    all_of = out.get("allOf")
    if (isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict)
            and set(all_of[0]) == {"$ref"} and "$ref" not in out):
        out = {**{k: v for k, v in out.items() if k != "allOf"}, "$ref": all_of[0]["$ref"]}  # downgrade's wrap
    if segment_types:
        out = _segment_date_time(out)
    return out


def _segment_date_time(node: dict[str, Any]) -> dict[str, Any]:
    """Segment's ``date-time`` type is a string with ``format: date-time``."""
    kind = node.get("type")
    if kind == "date-time" or (isinstance(kind, list) and "date-time" in kind):
        names = [kind] if isinstance(kind, str) else list(kind)
        names = list(dict.fromkeys("string" if n == "date-time" else n for n in names))
        node = {**node, "type": names[0] if len(names) == 1 else names}
        node.setdefault("format", "date-time")
    return node


def downgrade(node: Any, draft: str, lost: list[str] | None = None) -> Any:
    """A 2020-12 ``node`` spelled for ``draft`` (draft-07 or draft-04); unspellable keywords in ``lost``."""
    if not isinstance(node, dict):
        return node
    lost = lost if lost is not None else []
    out = map_subschemas(node, lambda sub: downgrade(sub, draft, lost))
    if "prefixItems" in out:
        tail = out.pop("items", None)
        out["items"] = out.pop("prefixItems")
        if tail is not None:
            out["additionalItems"] = tail
    if "dependentRequired" in out or "dependentSchemas" in out:
        out["dependencies"] = {**out.pop("dependentRequired", {}), **out.pop("dependentSchemas", {})}
    if "$ref" in out and set(out) - _REF_SIBLINGS_KEPT:
        ref = out.pop("$ref")
        out = {"allOf": [{"$ref": ref}], **out}
    unspellable = {"unevaluatedProperties", "unevaluatedItems", "$dynamicRef", "$dynamicAnchor",
                   "minContains", "maxContains"} & set(out)
    if draft == DRAFT4:
        if "const" in out:
            out["enum"] = [out.pop("const")]
        for bound, exclusive in (("maximum", "exclusiveMaximum"), ("minimum", "exclusiveMinimum")):
            limit = out.pop(exclusive, None)
            if limit is None:
                continue
            current = out.get(bound)
            stricter = current is None or (limit >= current if bound == "minimum" else limit <= current)
            if stricter:
                out[bound] = limit
                out[exclusive] = True
        unspellable |= {"if", "then", "else", "contains", "propertyNames"} & set(out)
    lost.extend(sorted(unspellable))
    return out


DRAFT4_INTEGERS = ("draft-04 counts 2.0 as a number but not an integer; JSON Schema 2020-12 (what the plan "
                   "compiles to) accepts it as an integer")


def uses_integer(node: Any) -> bool:
    """Whether a schema says ``integer`` anywhere (for the draft-04 note above)."""
    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "integer" or (isinstance(kind, list) and "integer" in kind):
            return True
        return any(uses_integer(v) for v in node.values())
    if isinstance(node, list):
        return any(uses_integer(v) for v in node)
    return False
