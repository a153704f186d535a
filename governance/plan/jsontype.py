"""The JSON Schema type name of a decoded JSON value (the one ``json_type`` of the package)."""

from __future__ import annotations

from typing import Any


def json_type(value: Any, *, as_written: bool = False) -> str:
    """``null``, ``boolean``, ``integer``, ``number``, ``string``, ``array`` or ``object``.

    JSON Schema 2020-12's answer by default: a number with a zero fractional part is an
    ``integer`` (``1.0`` validates against ``{"type": "integer"}``). With ``as_written`` the type
    as the sender wrote it: ``1.0`` is a ``number`` (for messages about what arrived, and for
    inferring a schema from samples, where ``1.0`` says the field carries decimals).
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number" if as_written or not value.is_integer() else "integer"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list | tuple) else "object"
