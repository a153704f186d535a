"""The change vocabulary of plan diffs, and the keyword rules, as rows of data.

Every change has a *kind* from Karapace's JSON Schema vocabulary (``type_narrowed``,
``enum_array_narrowed``, ``required_attribute_added``, ...) plus the few a tracking plan needs
(``event_added``, ``event_version_removed``, ``metadata_changed``). A kind fixes two flags:

- ``backward``: every message valid under the old plan stays valid under the new one;
- ``forward``: every message valid under the new plan was valid under the old one.

and so its category: ``breaking`` when not backward, ``additive`` when it adds something and is
backward, ``revision`` for any other backward change (relaxations, metadata).

The rules compare one keyword of two compiled property schemas (``compile.property_schema``
output). JSON Schema keywords are conjunctive, so a change is backward when every keyword's
change is: the set a keyword accepts only grows. ``properties``, ``required`` and
``additionalProperties`` depend on one another and are compared together in ``diff.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from governance.plan.compile import canonical_bytes

Schema = dict[str, Any]
Finding = tuple[str, str, Any, Any]  # (kind, keyword, old value, new value)
Rule = Callable[[Schema, Schema], Iterator[Finding]]


@dataclass(frozen=True)
class Kind:
    name: str
    backward: bool
    forward: bool
    summary: str
    adds: bool = False

    @property
    def category(self) -> str:
        if not self.backward:
            return "breaking"
        return "additive" if self.adds else "revision"


_STATIC = (
    # name, backward, forward, summary, adds
    ("event_added", True, True, "event added", True),
    ("event_removed", False, True, "event removed", False),
    ("event_version_added", True, True, "event version {new} added", True),
    ("event_version_removed", False, True, "event version {old} removed", False),
    ("default_version_changed", True, True,
     "messages without context.protocols.event_version now use version {new} (was {old})", False),
    ("version_fallback_changed", False, False, "event version fallback changed from {old} to {new}", False),
    ("view_added", True, True, "named schema added; it replaces the default schema for this name", True),
    ("view_removed", True, True, "named schema removed; the default schema applies again", False),
    ("property_added", True, True, "optional property added", True),
    ("property_added_to_open_content_model", False, True,
     "property added to an open object: values sent before may not match it", False),
    ("property_removed_from_closed_content_model", False, True,
     "property removed from a closed object: messages that send it are now rejected", False),
    ("property_removed_from_open_content_model", True, False,
     "property removed from an open object: any value is now accepted", False),
    ("required_attribute_added", False, True, "property is now required", False),
    ("required_attribute_removed", True, False, "property is no longer required", False),
    ("additional_properties_narrowed", False, True, "object closed to undeclared properties", False),
    ("additional_properties_extended", True, False, "object opened to undeclared properties", False),
    ("type_changed", False, False, "type changed from {old} to {new}", False),
    ("type_narrowed", False, True, "type narrowed from {old} to {new}", False),
    ("type_widened", True, False, "type widened from {old} to {new}", False),
    ("nullable_added", True, False, "null is now accepted", False),
    ("nullable_removed", False, True, "null is no longer accepted", False),
    ("enum_added", False, True, "values restricted to {new}", False),
    ("enum_removed", True, False, "values no longer restricted to {old}", False),
    ("enum_array_narrowed", False, True, "enum narrowed from {old} to {new}", False),
    ("enum_array_extended", True, False, "enum extended from {old} to {new}", True),
    ("enum_array_changed", False, False, "enum changed from {old} to {new}", False),
    ("const_added", False, True, "value fixed to {new}", False),
    ("const_removed", True, False, "value no longer fixed to {old}", False),
    ("const_changed", False, False, "fixed value changed from {old} to {new}", False),
    ("multiple_added", False, True, "multipleOf {new} added", False),
    ("multiple_removed", True, False, "multipleOf {old} removed", False),
    ("multiple_expanded", False, True, "multipleOf made stricter from {old} to {new}", False),
    ("multiple_reduced", True, False, "multipleOf relaxed from {old} to {new}", False),
    ("multiple_changed", False, False, "multipleOf changed from {old} to {new}", False),
    ("unique_items_added", False, True, "array items must now be unique", False),
    ("unique_items_removed", True, False, "array items no longer need to be unique", False),
    ("schema_changed", False, False, "raw schema changed (compared as a whole)", False),
    ("metadata_changed", True, True, "{keyword} changed from {old} to {new}", False),
)

# One assertion whose value is compared for equality only: added / removed / changed.
ASSERTIONS = (("pattern", "pattern"), ("format", "format"))

# Numeric bounds: (keyword, kind prefix, direction that tightens: +1 when a larger value is stricter)
BOUNDS = (
    ("maximum", "maximum", -1),
    ("minimum", "minimum", +1),
    ("exclusiveMaximum", "maximum_exclusive", -1),
    ("exclusiveMinimum", "minimum_exclusive", +1),
    ("maxLength", "max_length", -1),
    ("minLength", "min_length", +1),
    ("maxItems", "max_items", -1),
    ("minItems", "min_items", +1),
)


def _kinds() -> dict[str, Kind]:
    rows = [Kind(name, back, fwd, summary, adds) for name, back, fwd, summary, adds in _STATIC]
    for keyword, prefix in ASSERTIONS:
        rows += [
            Kind(f"{prefix}_added", False, True, f"{keyword} {{new}} added"),
            Kind(f"{prefix}_removed", True, False, f"{keyword} {{old}} removed"),
            Kind(f"{prefix}_changed", False, False, f"{keyword} changed from {{old}} to {{new}}"),
        ]
    for keyword, prefix, tighter in BOUNDS:
        up, down = ("increased", "decreased") if tighter > 0 else ("decreased", "increased")
        rows += [
            Kind(f"{prefix}_added", False, True, f"{keyword} {{new}} added"),
            Kind(f"{prefix}_removed", True, False, f"{keyword} {{old}} removed"),
            Kind(f"{prefix}_{up}", False, True, f"{keyword} {up} from {{old}} to {{new}}"),
            Kind(f"{prefix}_{down}", True, False, f"{keyword} {down} from {{old}} to {{new}}"),
        ]
    return {row.name: row for row in rows}


KINDS: dict[str, Kind] = _kinds()

# Keywords the rules below understand; any other keyword in a compiled schema is compared as a
# whole (schema_changed), so a keyword compile.py learns later can never be silently ignored.
METADATA_KEYWORDS = frozenset({"description", "deprecated", "title", "$comment", "examples"})
STRUCTURE_KEYWORDS = frozenset({"properties", "required", "additionalProperties", "items"})


# --- values ---------------------------------------------------------------------------------


def value_key(value: Any) -> tuple[str, Any]:
    """A hashable key with JSON Schema equality: ``1 == 1.0`` but ``true != 1``."""
    if value is None:
        return ("null", None)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("num", value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return ("num", int(value))
        return ("num", value)
    if isinstance(value, str):
        return ("str", value)
    return ("json", canonical_bytes(value))


def same(old: Any, new: Any) -> bool:
    return value_key(old) == value_key(new)


def types_of(schema: Schema) -> frozenset[str] | None:
    """The declared types, or ``None`` for any type."""
    declared = schema.get("type")
    if declared is None:
        return None
    return frozenset([declared] if isinstance(declared, str) else declared)


def _accepted(types: frozenset[str]) -> frozenset[str]:
    return types | {"integer"} if "number" in types else types


def _subset(small: frozenset[str] | None, big: frozenset[str] | None) -> bool:
    if big is None:
        return True
    if small is None:
        return False
    return _accepted(small) <= _accepted(big)


def _show_types(types: frozenset[str] | None) -> list[str] | None:
    return None if types is None else sorted(types)


# --- rules ----------------------------------------------------------------------------------


def type_rule(old: Schema, new: Schema) -> Iterator[Finding]:
    before, after = types_of(old), types_of(new)
    if before == after:
        return
    if before is not None and after is not None and before ^ after == {"null"}:
        kind = "nullable_added" if "null" in after else "nullable_removed"
        yield kind, "nullable", "null" in before, "null" in after
        return
    widened, narrowed = _subset(before, after), _subset(after, before)
    if widened and narrowed:
        return  # e.g. ["number"] vs ["number", "integer"]: the same values
    kind = "type_widened" if widened else "type_narrowed" if narrowed else "type_changed"
    yield kind, "type", _show_types(before), _show_types(after)


def enum_rule(old: Schema, new: Schema) -> Iterator[Finding]:
    before, after = old.get("enum"), new.get("enum")
    if before is None and after is None:
        return
    if before is None:
        yield "enum_added", "enum", None, after
        return
    if after is None:
        yield "enum_removed", "enum", before, None
        return
    old_keys = {value_key(v) for v in before}
    new_keys = {value_key(v) for v in after}
    # ``nullable`` adds null to both ``type`` and ``enum``; the type rule already reports it.
    old_types, new_types = types_of(old), types_of(new)
    if old_types is not None and new_types is not None:
        null_key = value_key(None)
        consistent = ("null" in old_types) == (null_key in old_keys)
        if consistent and ("null" in new_types) == (null_key in new_keys):
            old_keys.discard(null_key)
            new_keys.discard(null_key)
    if old_keys == new_keys:
        return
    kind = (
        "enum_array_extended" if old_keys <= new_keys
        else "enum_array_narrowed" if new_keys <= old_keys
        else "enum_array_changed"
    )
    yield kind, "enum", before, after


def const_rule(old: Schema, new: Schema) -> Iterator[Finding]:
    has_old, has_new = "const" in old, "const" in new
    if not has_old and not has_new:
        return
    if has_old and has_new:
        if not same(old["const"], new["const"]):
            yield "const_changed", "const", old["const"], new["const"]
    elif has_new:
        yield "const_added", "const", None, new["const"]
    else:
        yield "const_removed", "const", old["const"], None


def multiple_rule(old: Schema, new: Schema) -> Iterator[Finding]:
    before, after = old.get("multipleOf"), new.get("multipleOf")
    if before is None and after is None:
        return
    if before is None:
        yield "multiple_added", "multipleOf", None, after
    elif after is None:
        yield "multiple_removed", "multipleOf", before, None
    elif same(before, after):
        return
    elif isinstance(before, int) and isinstance(after, int) and before % after == 0:
        yield "multiple_reduced", "multipleOf", before, after  # every multiple of old is one of new
    elif isinstance(before, int) and isinstance(after, int) and after % before == 0:
        yield "multiple_expanded", "multipleOf", before, after
    else:
        # float divisibility is not exact in validators: only equality is safe
        yield "multiple_changed", "multipleOf", before, after


def unique_items_rule(old: Schema, new: Schema) -> Iterator[Finding]:
    before, after = old.get("uniqueItems") is True, new.get("uniqueItems") is True
    if before != after:
        yield ("unique_items_added" if after else "unique_items_removed"), "uniqueItems", before, after


def _assertion_rule(keyword: str, prefix: str) -> Rule:
    def rule(old: Schema, new: Schema) -> Iterator[Finding]:
        before, after = old.get(keyword), new.get(keyword)
        if before == after:
            return
        if before is None:
            yield f"{prefix}_added", keyword, None, after
        elif after is None:
            yield f"{prefix}_removed", keyword, before, None
        else:
            yield f"{prefix}_changed", keyword, before, after

    return rule


def _bound_rule(keyword: str, prefix: str, tighter: int) -> Rule:
    def rule(old: Schema, new: Schema) -> Iterator[Finding]:
        before, after = old.get(keyword), new.get(keyword)
        if before is None and after is None:
            return
        if before is None:
            yield f"{prefix}_added", keyword, None, after
        elif after is None:
            yield f"{prefix}_removed", keyword, before, None
        elif after > before:
            yield f"{prefix}_increased", keyword, before, after
        elif after < before:
            yield f"{prefix}_decreased", keyword, before, after

    return rule


def metadata_rule(old: Schema, new: Schema) -> Iterator[Finding]:
    for keyword in ("description", "deprecated"):
        before, after = old.get(keyword), new.get(keyword)
        if not same(before, after):
            yield "metadata_changed", keyword, before, after


KEYWORD_RULES: tuple[tuple[str, Rule], ...] = (
    ("type", type_rule),
    ("enum", enum_rule),
    ("const", const_rule),
    ("multipleOf", multiple_rule),
    ("uniqueItems", unique_items_rule),
    *((keyword, _assertion_rule(keyword, prefix)) for keyword, prefix in ASSERTIONS),
    *((keyword, _bound_rule(keyword, prefix, tighter)) for keyword, prefix, tighter in BOUNDS),
    ("description", metadata_rule),
)
RULE_KEYWORDS = frozenset(keyword for keyword, _ in KEYWORD_RULES) | {"deprecated"}
KNOWN_KEYWORDS = RULE_KEYWORDS | STRUCTURE_KEYWORDS | METADATA_KEYWORDS


def unconstrained(schema: Schema) -> bool:
    """True when a schema accepts every value (only annotations in it)."""
    return all(keyword in METADATA_KEYWORDS for keyword in schema)
