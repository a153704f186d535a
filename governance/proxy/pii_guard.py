"""PII where the plan did not plan it: found after validation, reported, and acted on before anything is stored.

``guard(state, work, original, verdict, salt)`` runs in ``pipeline.judge`` right after
``validate``. It scans (``pii.scan``) only what the plan does not declare:

    the message is ...                              scanned
    from a source with no plan                      every property (or trait)
    an unplanned track event, or a kind the plan    every property (or trait)
    has no schema for
    planned                                         the unplanned properties (the paths of its
                                                    ``unplanned_property`` violations)

Properties the plan declares, ``pii: true`` or not, are never scanned: their hashing or masking is
a transformation's job (``hash``, ``mask``). Each finding adds a ``pii_detected`` violation (the
field and the kind, never the value) and the source's ``privacy.piiAction`` is applied to the
forwarded copy (``work``) and to the stored original alike, so the quarantine and the samples hold
what the upstream gets:

    allow   nothing changes (the default: detect and report)
    hash    transformation_actions.pseudonym (the ``hash`` transformation's salted SHA-256)
    mask    transformation_actions.mask_value (the ``mask`` transformation)
    drop    the value is removed, and listed in ``omitted_on_violation`` (the event is ``omitted``)

A transformation may have moved a value (``rename_property``): the original is then changed
wherever it holds the same value.
"""

from __future__ import annotations

from typing import Any

from governance.proxy.pii import LABELS, PiiKind, scan
from governance.proxy.spec import DATA_FIELD
from governance.proxy.violations import Violation, ViolationType
from governance.registry.transformation_actions import mask_value, pseudonym

_DROP = object()


def _governed(state: Any, message: dict[str, Any], planned: bool, name: str) -> bool:
    """Whether the plan has a schema for this message (so only its unplanned properties are scanned)."""
    compiled = state.compiled
    if compiled is None or not planned:
        return False
    kind = message["type"]
    if kind == "track":
        return True
    return (kind, name, 1) in compiled.validators or (kind, "", 1) in compiled.validators


def targets(state: Any, message: dict[str, Any], planned: bool, name: str,
            violations: list[Violation]) -> list[list[str]]:
    """The paths whose values are scanned."""
    data_field = DATA_FIELD.get(message["type"])
    if data_field is None:
        return []
    if not _governed(state, message, planned, name):
        data = message.get(data_field)
        return [[data_field, str(k)] for k in data] if isinstance(data, dict) else []
    return [[str(p) for p in v.path] for v in violations if v.type == ViolationType.UNPLANNED_PROPERTY and v.path]


def _at(node: Any, path: list[str]) -> tuple[Any, Any]:
    """(parent container, key) of ``path`` in ``node``, or (None, None)."""
    for part in path[:-1]:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None, None
    last = path[-1] if path else None
    if isinstance(node, dict) and last in node:
        return node, last
    if isinstance(node, list) and last is not None and last.isdigit() and int(last) < len(node):
        return node, int(last)
    return None, None


def _put(node: Any, path: list[str], raw: Any, new: Any) -> bool:
    """Replace (or, for ``_DROP``, remove) the value at ``path`` if it is ``raw``."""
    parent, key = _at(node, path)
    if parent is None or parent[key] != raw:
        return False
    if new is _DROP:
        if isinstance(parent, dict):
            del parent[key]
        else:
            parent[key] = None  # an array keeps its positions
    else:
        parent[key] = new
    return True


def _put_anywhere(node: Any, raw: Any, new: Any, depth: int = 0) -> None:
    """Replace (or remove) every occurrence of ``raw`` under ``node`` (a moved value)."""
    if depth > 32:
        return
    items = list(node.items()) if isinstance(node, dict) else list(enumerate(node)) if isinstance(node, list) else []
    for key, value in items:
        if value == raw and type(value) is type(raw):
            if new is _DROP and isinstance(node, dict):
                del node[key]
            else:
                node[key] = None if new is _DROP else new
        elif isinstance(value, dict | list):
            _put_anywhere(value, raw, new, depth + 1)


def _replacement(raw: Any, kind: PiiKind, action: str, salt: bytes) -> Any:
    if action == "hash":
        return pseudonym(raw, salt)
    if action == "mask":
        return mask_value(raw, kind)
    return _DROP


def guard(state: Any, work: dict[str, Any], original: Any, verdict: Any, salt: bytes) -> list[str]:
    """Scan, report (``verdict.violations``) and act (``work`` and ``original``, in place); returns the
    fields dropped (for ``omitted_on_violation``)."""
    if not verdict.violations and _governed(state, work, verdict.planned, verdict.event):
        return []  # a clean governed message has no unplanned property to scan (``targets``)
    action = state.settings.privacy.piiAction
    findings: list[tuple[list[str], PiiKind, Any]] = []
    for path in targets(state, work, verdict.planned, verdict.event, verdict.violations):
        parent, key = _at(work, path)
        if parent is not None:
            findings += [(p, kind, value) for p, kind, value in _values(scan(parent[key], path, path[-1]), work)]
    done = {"hash": " (hashed)", "mask": " (masked)", "drop": " (dropped)"}.get(action, "")
    dropped: list[str] = []
    for path, kind, raw in findings:
        field = ".".join(path)
        message = f"{field} looks like {LABELS[kind]}{done}"
        verdict.violations.append(Violation(ViolationType.PII_DETECTED, field, message, keyword=kind.value,
                                            path=tuple(path)))
        if action == "allow":
            continue
        new = _replacement(raw, kind, action, salt)
        _put(work, path, raw, new)
        if original is not work and not _put(original, path, raw, new):
            _put_anywhere(original, raw, new)
        if new is _DROP:
            dropped.append(field)
    return dropped


def _values(found: Any, message: dict[str, Any]) -> list[tuple[list[str], PiiKind, Any]]:
    out = []
    for path, kind in found:
        parent, key = _at(message, path)
        if parent is not None:
            out.append((path, kind, parent[key]))
    return out
