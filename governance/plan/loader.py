"""Load plans from YAML or JSON text, with errors that name the file, the line and the path.

    events."Order Completed".properties.total.minimum: must be a number (plans/shop.yaml:12)

YAML is composed to nodes first so every error can be placed on a line, and so a document that
would expand exponentially through anchors and aliases (a "YAML bomb") or nest too deep is refused
before any object is built. A key written twice in one mapping is refused with both lines (YAML
and JSON parsers keep the last one silently, which once hid a ``type: strng``)::

    events."Order Completed".properties.total.type: duplicate key 'type': first at line 12, again at line 14
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import orjson
import yaml
from pydantic import ValidationError

from governance.errors import PlanInvalid
from governance.plan.check_spec import plan_check_problems
from governance.plan.model import Plan

MAX_EXPANDED_NODES = 200_000
MAX_DEPTH = 64
_UNION_TAGS = frozenset({"int", "float", "str", "bool", "list[str]", "dict[str,any]"})


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    line: int | None = None
    file: str | None = None

    def __str__(self) -> str:
        where = f" ({self.file or '<input>'}:{self.line})" if self.line else ""
        return f"{self.path or '<root>'}: {self.message}{where}"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "message": self.message, "line": self.line, "file": self.file}


def format_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """``('events', 'Order Completed', 'properties')`` -> ``events."Order Completed".properties``."""
    parts = []
    for item in loc:
        text = str(item)
        if isinstance(item, int):
            parts.append(f"[{item}]")
            continue
        plain = text.replace("_", "").isalnum()
        parts.append(("." if parts else "") + (text if plain else '"' + text.replace('"', '\\"') + '"'))
    return "".join(parts)


def _friendly(error: dict[str, Any]) -> str:
    kind, msg = error.get("type", ""), error.get("msg", "")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind in {"float_parsing", "float_type"}:
        return "must be a number"
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return "must be an integer"
    if kind in {"bool_parsing", "bool_type"}:
        return "must be true or false"
    if kind == "string_type":
        return "must be a string"
    if kind in {"dict_type", "model_type"}:
        return "must be a mapping"
    if kind == "list_type":
        return "must be a list"
    if kind == "missing":
        return "is required"
    return str(msg).removeprefix("Value error, ")


class _NodeIndex:
    """Finds the line of a path in a composed YAML node tree."""

    def __init__(self, root: yaml.Node | None) -> None:
        self.root = root

    def line(self, loc: tuple[Any, ...]) -> int | None:
        node = self.root
        best = node.start_mark.line + 1 if node is not None else None
        for key in loc:
            if isinstance(node, yaml.MappingNode):
                found = None
                for k, v in node.value:
                    if isinstance(k, yaml.ScalarNode) and k.value == str(key):
                        found = (k, v)
                        break
                if found is None:
                    return best
                best = found[0].start_mark.line + 1
                node = found[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
                node = node.value[key]
                best = node.start_mark.line + 1
            else:
                return best
        return best


def _check_size(root: yaml.Node | None, file: str | None) -> None:
    """Refuse alias bombs and deep nesting by counting nodes as they would expand."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise PlanInvalid(
                f"document nests deeper than {MAX_DEPTH} levels",
                details=[Problem("", "too deep", node.start_mark.line + 1, file).to_dict()],
            )
        if id(node) in sizes:
            return sizes[id(node)]
        total = 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                total += size(k, depth + 1) + size(v, depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for v in node.value:
                total += size(v, depth + 1)
        if total > MAX_EXPANDED_NODES:
            raise PlanInvalid(
                f"document expands to more than {MAX_EXPANDED_NODES} nodes (anchors and aliases)",
                details=[Problem("", "too large once expanded", node.start_mark.line + 1, file).to_dict()],
            )
        sizes[id(node)] = total
        return total

    if root is not None:
        size(root, 0)


def _duplicates(root: yaml.Node | None, file: str | None) -> list[Problem]:
    """Every key written twice in one mapping (merge keys ``<<`` excepted: overriding is their job)."""
    problems: list[Problem] = []
    visited: set[int] = set()
    stack: list[tuple[yaml.Node, tuple[Any, ...]]] = [(root, ())] if root is not None else []
    while stack:
        node, loc = stack.pop()
        if id(node) in visited:  # an alias: its anchor was checked already
            continue
        visited.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, (*loc, i)) for i, child in enumerate(node.value))
        if not isinstance(node, yaml.MappingNode):
            continue
        first: dict[str, yaml.Node] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                if key.value in first:
                    before, again = first[key.value].start_mark.line + 1, key.start_mark.line + 1
                    problems.append(Problem(format_path((*loc, key.value)), f"duplicate key {key.value!r}: first "
                                            f"at line {before}, again at line {again}", again, file))
                first.setdefault(key.value, key)
            stack.append((value, (*loc, key.value if isinstance(key, yaml.ScalarNode) else str(key.value))))
    return sorted(problems, key=lambda p: p.line or 0)


def _refuse_duplicates(problems: list[Problem]) -> None:
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise PlanInvalid(str(problems[0]) + more, details=[p.to_dict() for p in problems])


class _DuplicateKey(Exception):
    pass


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def check_json_duplicates(text: str | bytes, *, file: str | None = None) -> None:
    """Refuse a JSON document that writes a key twice in one object, naming both lines.

    orjson keeps the last value silently, so documents (small: plans, imports) get a second
    pass through the standard library, which reports each object's pairs; lines come from
    composing the document as YAML, of which JSON is a subset.
    """
    try:
        json.loads(text, object_pairs_hook=_unique_pairs)
    except _DuplicateKey as dup:
        with contextlib.suppress(yaml.YAMLError, RecursionError):  # then without lines
            _refuse_duplicates(_duplicates(yaml.compose(text, Loader=yaml.SafeLoader), file))
        problem = Problem("", f"duplicate key {dup.args[0]!r} in one object", None, file)
        raise PlanInvalid(str(problem), details=[problem.to_dict()]) from None
    except (ValueError, RecursionError):
        return  # not JSON the standard library reads; the caller's parser has judged it already


def parse_document(text: str | bytes, *, file: str | None = None) -> tuple[Any, _NodeIndex]:
    """Parse YAML (a superset of JSON) safely; return the data and a line index."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PlanInvalid("document is not UTF-8", details=[Problem("", str(exc), None, file).to_dict()]) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.reader.ReaderError:
        # YAML refuses some characters JSON allows (e.g. U+007F); valid JSON is still a plan document
        return _parse_json(text, file), _NodeIndex(None)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = Problem("", f"malformed YAML/JSON: {getattr(exc, 'problem', None) or exc}", line, file)
        raise PlanInvalid(str(problem), details=[problem.to_dict()]) from None
    except RecursionError:
        raise PlanInvalid(
            "document nests too deep", details=[Problem("", "too deep", None, file).to_dict()]
        ) from None
    _check_size(root, file)
    _refuse_duplicates(_duplicates(root, file))
    if root is None:
        return None, _NodeIndex(None)
    loader = yaml.SafeLoader("")
    try:
        data = loader.construct_document(root)
    except yaml.YAMLError as exc:
        problem = Problem("", f"malformed YAML: {exc}", None, file)
        raise PlanInvalid(str(problem), details=[problem.to_dict()]) from None
    finally:
        loader.dispose()
    return data, _NodeIndex(root)


def _parse_json(text: str, file: str | None) -> Any:
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        problem = Problem("", f"malformed YAML/JSON: {exc}", None, file)
        raise PlanInvalid(str(problem), details=[problem.to_dict()]) from None
    check_json_duplicates(text, file=file)
    depth_probe: list[tuple[Any, int]] = [(data, 1)]
    while depth_probe:  # the same nesting limit as YAML documents
        item, depth = depth_probe.pop()
        if depth > MAX_DEPTH:
            raise PlanInvalid(f"document nests deeper than {MAX_DEPTH} levels",
                              details=[Problem("", "too deep", None, file).to_dict()])
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        depth_probe.extend((child, depth + 1) for child in children)
    return data


def plan_from_data(data: Any, *, index: _NodeIndex | None = None, file: str | None = None) -> Plan:
    """Validate parsed data as a plan; every error becomes a ``Problem`` with path and line."""
    if not isinstance(data, dict):
        problem = Problem("", "a plan must be a mapping with at least a 'name'", 1 if index else None, file)
        raise PlanInvalid(str(problem), details=[problem.to_dict()])
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        problems: list[Problem] = []
        seen: set[str] = set()
        for err in exc.errors():
            # "x.minimum.int" and "x.minimum.float" (union members) are one error at "x.minimum"
            loc = tuple(part for part in err["loc"] if part not in _UNION_TAGS)
            path = format_path(loc)
            if path in seen:
                continue
            seen.add(path)
            message = "must be a number" if err["type"].startswith(("int_", "float_")) else _friendly(dict(err))
            line = index.line(loc) if index is not None else None
            problems.append(Problem(path, message, line, file))
        _refuse(problems)
    # the checks the plan declares: kind, params against the kind's schema, expectations, regexes
    declared = [Problem(format_path(loc), message, index.line(loc) if index is not None else None, file)
                for loc, message in plan_check_problems(plan)]
    if declared:
        _refuse(declared)
    return plan


def _refuse(problems: list[Problem]) -> NoReturn:
    first = str(problems[0]) + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
    raise PlanInvalid(first, details=[p.to_dict() for p in problems]) from None


def load_plan_text(text: str | bytes, *, file: str | None = None) -> Plan:
    data, index = parse_document(text, file=file)
    return plan_from_data(data, index=index, file=file)


def load_plan_file(path: str | Path) -> Plan:
    path = Path(path)
    return load_plan_text(path.read_bytes(), file=str(path))


def dump_plan_yaml(plan: Plan) -> str:
    """A plan as readable YAML (block style, keys in authored order)."""
    return yaml.safe_dump(plan.body(), sort_keys=False, allow_unicode=True, width=100)


def dump_plan_json(plan: Plan) -> bytes:
    return orjson.dumps(plan.body(), option=orjson.OPT_INDENT_2)
