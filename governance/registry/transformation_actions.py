"""Transformation actions, defined once: name, parameters, checks and implementation.

The registry validates a transformation against these definitions when it is written
(``transformation_spec``); the proxy applies them (``proxy.transforms``). Built-ins are the
entries of ``BUILT_IN``; a plug-in package adds an ``Action`` through the entry-point group
``governance.transformation_actions`` (see ``governance.plugins``).

    rename_event     {to}                  rename_property {from, to}     drop_property {path}
    set_value        {path, value}         map_value {path, mapping}      casing {path, to}
    hash             {path}                mask {path}                    drop_event {}

``hash`` and ``mask`` are also what a source's ``privacy.piiAction`` does to PII found where the
plan did not plan it (``proxy.pii_guard``): ``pseudonym`` and ``mask_value`` below are the one
definition of both, so a value hashed either way joins in the warehouse.

Paths are dotted from the message root (``properties.order_id``, ``context.app.version``);
``casing`` also accepts ``event``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from governance.plugins import Registry

CASINGS = ("lower", "upper", "snake", "title", "kebab")


@dataclass
class Context:
    salt: bytes
    dropped: bool = False
    applied: list[str] = field(default_factory=list)


def _split(path: str) -> list[str]:
    return [p for p in str(path).split(".") if p]


def _parent(message: dict[str, Any], path: str, *, create: bool) -> tuple[dict[str, Any] | None, str]:
    parts = _split(path)
    node: Any = message
    for part in parts[:-1]:
        child = node.get(part) if isinstance(node, dict) else None
        if child is None and create and isinstance(node, dict):
            child = node[part] = {}
        if not isinstance(child, dict):
            return None, parts[-1] if parts else ""
        node = child
    return (node if isinstance(node, dict) else None), (parts[-1] if parts else "")


def case(value: str, to: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", value))
    if to == "lower":
        return value.lower()
    if to == "upper":
        return value.upper()
    if to == "snake":
        return "_".join(w.lower() for w in words)
    if to == "kebab":
        return "-".join(w.lower() for w in words)
    return " ".join(w.capitalize() for w in words)


def _rename_event(msg: dict[str, Any], p: dict[str, Any], _c: Context) -> None:
    if msg.get("type") == "track":
        msg["event"] = str(p["to"])
    elif msg.get("type") in ("page", "screen"):  # identify, group and alias have no name to rename
        msg["name"] = str(p["to"])


def _rename_property(msg: dict[str, Any], p: dict[str, Any], _c: Context) -> None:
    parent, key = _parent(msg, p["from"], create=False)
    if parent is not None and key in parent:
        value = parent.pop(key)
        target, new_key = _parent(msg, p["to"], create=True)
        if target is not None:
            target[new_key] = value


def _drop_property(msg: dict[str, Any], p: dict[str, Any], _c: Context) -> None:
    parent, key = _parent(msg, p["path"], create=False)
    if parent is not None:
        parent.pop(key, None)


def _set_value(msg: dict[str, Any], p: dict[str, Any], _c: Context) -> None:
    parent, key = _parent(msg, p["path"], create=True)
    if parent is not None:
        parent[key] = p["value"]


def _map_value(msg: dict[str, Any], p: dict[str, Any], _c: Context) -> None:
    parent, key = _parent(msg, p["path"], create=False)
    if parent is not None and key in parent:
        value = parent[key]
        mapping = p["mapping"]
        # keys are the value's JSON text: true/false, not Python's True/False
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        if isinstance(value, str | int | float | bool) and text in mapping:
            parent[key] = mapping[text]


def _casing(msg: dict[str, Any], p: dict[str, Any], _c: Context) -> None:
    if p["path"] == "event":
        if isinstance(msg.get("event"), str):
            msg["event"] = case(msg["event"], p["to"])
        return
    parent, key = _parent(msg, p["path"], create=False)
    if parent is not None and isinstance(parent.get(key), str):
        parent[key] = case(parent[key], p["to"])


def pseudonym(value: Any, salt: bytes) -> str:
    """The hex SHA-256 of the deployment's secret salt followed by the value (a non-string by its
    JSON text: 42, true), so a warehouse that knows the salt computes the same hash."""
    raw = value if isinstance(value, str) else orjson.dumps(value).decode()
    return hashlib.sha256(salt + raw.encode("utf-8")).hexdigest()


def mask_value(value: Any, kind: str | None = None) -> str:
    """``value`` with its letters and digits replaced by ``*``, keeping its shape: an email keeps its
    first character and its domain (``j***@example.com``), an IP address its first group
    (``192.***.*.**``), anything of 8 or more letters and digits its last 4 (``**** **** **** 4242``,
    as a receipt shows a card). Masking a masked value changes nothing."""
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    if kind in (None, "email") and "@" in text:
        local, _, domain = text.rpartition("@")
        return (local[:1] + "***@" + domain) if local.strip("*") else "***@" + domain
    if kind == "ip":
        first = re.match(r"[0-9A-Fa-f]+", text)
        start = first.end() if first else 0
        return text[:start] + "".join("*" if c.isalnum() else c for c in text[start:])
    keep_from = len(text)
    positions = [i for i, c in enumerate(text) if c.isalnum() or c == "*"]  # "*": a masked value stays as it is
    if len(positions) >= 8:
        keep_from = positions[-4]
    return "".join("*" if c.isalnum() and i < keep_from else c for i, c in enumerate(text))


def _hash(msg: dict[str, Any], p: dict[str, Any], c: Context) -> None:
    parent, key = _parent(msg, p["path"], create=False)
    if parent is not None and parent.get(key) is not None:
        parent[key] = pseudonym(parent[key], c.salt)


def _mask(msg: dict[str, Any], p: dict[str, Any], _c: Context) -> None:
    parent, key = _parent(msg, p["path"], create=False)
    if parent is not None and parent.get(key) is not None and not isinstance(parent[key], dict | list):
        parent[key] = mask_value(parent[key])


def _drop_event(_msg: dict[str, Any], _p: dict[str, Any], c: Context) -> None:
    c.dropped = True


@dataclass(frozen=True, kw_only=True)
class Action:
    """One transformation action: the params it needs, an extra check of their values, what it does."""

    name: str
    params: tuple[str, ...]
    apply: Callable[[dict[str, Any], dict[str, Any], Context], None]
    check: Callable[[dict[str, Any]], str | None] = lambda _params: None  # a problem with the params, or None


def _casing_to(params: dict[str, Any]) -> str | None:
    return None if params.get("to") in CASINGS else f"casing.to must be one of {', '.join(CASINGS)}"


BUILT_IN = (
    Action(name="rename_event", params=("to",), apply=_rename_event),
    Action(name="rename_property", params=("from", "to"), apply=_rename_property),
    Action(name="drop_property", params=("path",), apply=_drop_property),
    Action(name="set_value", params=("path", "value"), apply=_set_value),
    Action(name="map_value", params=("path", "mapping"), apply=_map_value),
    Action(name="casing", params=("path", "to"), apply=_casing, check=_casing_to),
    Action(name="hash", params=("path",), apply=_hash),
    Action(name="mask", params=("path",), apply=_mask),
    Action(name="drop_event", params=(), apply=_drop_event),
)
ACTIONS: Registry[Action] = Registry("transformation action", group="governance.transformation_actions",
                                     defaults=(__name__,), attr="BUILT_IN")
