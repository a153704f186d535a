"""Violations: what is wrong with a message, where, and under which plan version.

Types (stable strings): ``unplanned_event``, ``unplanned_property``, ``required_missing``,
``type_mismatch``, ``enum``, ``pattern``, ``range``, ``format``, ``invalid`` (any other keyword),
``unknown_version``, and ``common_schema`` (a violation of the plan's common rules, whatever keyword).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from governance.plan.jsontype import json_type

# jsonschema_rs error kinds -> our violation types
KIND_TYPES = {
    "Required": "required_missing", "Type": "type_mismatch", "Enum": "enum", "Constant": "enum",
    "Pattern": "pattern", "Format": "format", "Minimum": "range", "Maximum": "range",
    "ExclusiveMinimum": "range", "ExclusiveMaximum": "range", "MinLength": "range", "MaxLength": "range",
    "MinItems": "range", "MaxItems": "range", "MultipleOf": "range", "MinProperties": "range",
    "MaxProperties": "range", "AdditionalProperties": "unplanned_property",
}  # fmt: skip
# Segment's names, for context.protocols and Violation Generated events
SEGMENT_NAMES = {
    "unplanned_event": "Unplanned Event", "unplanned_property": "Unplanned Property",
    "required_missing": "Required", "type_mismatch": "Invalid Type", "enum": "Invalid Enum",
    "pattern": "Invalid Pattern", "range": "Out of Range", "format": "Invalid Format",
    "common_schema": "Common Schema", "invalid": "Invalid", "unknown_version": "Unknown Version",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Violation:
    type: str
    field: str  # dotted path in the message, e.g. "properties.total"
    message: str
    keyword: str = ""
    # the field as path segments, when known: a property name may itself contain a dot
    path: tuple[str | int, ...] = ()

    def to_dict(self) -> dict[str, str]:
        return {"type": self.type, "field": self.field, "message": self.message}

    def segment_form(self) -> dict[str, str]:
        return {"type": SEGMENT_NAMES.get(self.type, self.type), "field": self.field, "description": self.message}


def fingerprint(source_id: str, event: str, violation: Violation) -> str:
    raw = f"{source_id}\x1f{event}\x1f{violation.field}\x1f{violation.type}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _path(parts: Any) -> str:
    return ".".join(str(p) for p in parts)


def violations_of(validator: jsonschema_rs.Validator, instance: Any, *, common: bool = False) -> list[Violation]:
    """Every violation of ``instance`` (call only after ``is_valid`` said False)."""
    found: list[Violation] = []
    for error in validator.iter_errors(instance):
        kind = error.kind
        name = type(kind).__name__
        base = list(error.instance_path)
        vtype = "common_schema" if common else KIND_TYPES.get(name, "invalid")
        if name == "AdditionalProperties":
            for key in getattr(kind, "unexpected", None) or []:
                field = _path([*base, key])
                found.append(Violation(vtype, field, f"{field} is not in the plan", name, (*base, key)))
        elif name == "Required":
            prop = getattr(kind, "property", "")
            field = _path([*base, prop])
            found.append(Violation(vtype, field, f"{field} is required", name, (*base, prop)))
        elif name == "Type":
            field = _path(base)
            expected = "/".join(getattr(kind, "types", None) or [])
            given = json_type(error.instance)
            found.append(Violation(vtype, field, f"Invalid type. Expected: {expected}, given: {given}", name,
                                   tuple(base)))  # fmt: skip
        else:
            found.append(Violation(vtype, _path(base), error.message, name, tuple(base)))
    return found
