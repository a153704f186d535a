"""Violations: what is wrong with a message, where, and under which plan version.

Types (stable strings, ``ViolationType``): ``unplanned_event``, ``unplanned_property``,
``required_missing``, ``type_mismatch``, ``enum``, ``pattern``, ``range``, ``format``, ``invalid``
(any other keyword), ``unknown_version``, ``common_schema`` (a violation of the plan's common
rules, whatever keyword), and ``pii_detected`` (a value that looks like PII where the plan did not
plan it: ``pii_guard``; it never blocks or trims an event by itself).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import jsonschema_rs

from governance.plan.jsontype import json_type


class ViolationType(StrEnum):
    """A violation's type (a ``StrEnum``: stored, counted and serialised as its string)."""

    UNPLANNED_EVENT = "unplanned_event"
    UNPLANNED_PROPERTY = "unplanned_property"
    REQUIRED_MISSING = "required_missing"
    TYPE_MISMATCH = "type_mismatch"
    ENUM = "enum"
    PATTERN = "pattern"
    RANGE = "range"
    FORMAT = "format"
    INVALID = "invalid"  # any other keyword
    UNKNOWN_VERSION = "unknown_version"
    COMMON_SCHEMA = "common_schema"  # a violation of the plan's common rules, whatever keyword
    PII_DETECTED = "pii_detected"  # PII in an unplanned property or trait (proxy.pii_guard)


V = ViolationType
# jsonschema_rs error kinds -> our violation types
KIND_TYPES: dict[str, ViolationType] = {
    "Required": V.REQUIRED_MISSING, "Type": V.TYPE_MISMATCH, "Enum": V.ENUM, "Constant": V.ENUM,
    "Pattern": V.PATTERN, "Format": V.FORMAT, "Minimum": V.RANGE, "Maximum": V.RANGE, "ExclusiveMinimum": V.RANGE,
    "ExclusiveMaximum": V.RANGE, "MinLength": V.RANGE, "MaxLength": V.RANGE, "MinItems": V.RANGE,
    "MaxItems": V.RANGE, "MultipleOf": V.RANGE, "MinProperties": V.RANGE, "MaxProperties": V.RANGE,
    "AdditionalProperties": V.UNPLANNED_PROPERTY,
}
# Segment's names, for context.protocols and Violation Generated events
SEGMENT_NAMES: dict[ViolationType, str] = {
    V.UNPLANNED_EVENT: "Unplanned Event", V.UNPLANNED_PROPERTY: "Unplanned Property", V.REQUIRED_MISSING: "Required",
    V.TYPE_MISMATCH: "Invalid Type", V.ENUM: "Invalid Enum", V.PATTERN: "Invalid Pattern", V.RANGE: "Out of Range",
    V.FORMAT: "Invalid Format", V.COMMON_SCHEMA: "Common Schema", V.INVALID: "Invalid",
    V.UNKNOWN_VERSION: "Unknown Version", V.PII_DETECTED: "PII Detected",
}


@dataclass(frozen=True, slots=True)
class Violation:
    type: ViolationType
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
        vtype = V.COMMON_SCHEMA if common else KIND_TYPES.get(name, V.INVALID)
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
            given = json_type(error.instance, as_written=True)
            found.append(Violation(vtype, field, f"Invalid type. Expected: {expected}, given: {given}", name,
                                   tuple(base)))
        else:
            found.append(Violation(vtype, _path(base), error.message, name, tuple(base)))
    return found
