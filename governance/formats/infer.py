"""Infer a tracking plan from observed Segment messages (``governance plan infer``).

One pass over an iterator, in memory bounded per distinct (event, property path): a type
histogram, presence count, up to ``enum_max_values + 1`` distinct short strings, and the formats
every string so far matched. Object keys, nesting depth, distinct events and properties per
object are capped; what goes past a cap is left open and reported.

The plan it returns accepts every message it was inferred from, with one deliberate exception:
a property present in at least ``required_ratio`` (99.9 %) but not all of an event's messages is
required, and the report names how many messages lack it. Types are the observed ones
(``integer`` and ``number`` seen together become ``number``; ``null`` makes a property nullable);
an enum is suggested (and applied unless ``apply_enums`` is off) for strings with at most 10
distinct values over at least 50 messages; a format (uuid, date-time, email, uri) when every
value matched it. Each property's description records its histogram ("Observed in 120 of 120
messages: string 84%, integer 16%"), so the plan lints clean. Event names that differ only in
case, separators, word order or a small typo are flagged as near duplicates ("Order Completed" /
"Completed Order").

``infer_plan_from_lines`` reads JSON Lines (``governance plan infer``): a line that is not JSON is
skipped and counted (``report.invalid_lines``, with the first line numbers), as ``governance
validate`` does, rather than ending the whole inference.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import jsonschema_rs
import orjson

from governance.formats.base import ReportItem, build_plan
from governance.formats.naming import adopt_naming
from governance.plan.compile import property_schema
from governance.plan.jsontype import json_type
from governance.plan.loader import format_path
from governance.plan.model import Plan, PropertySpec

MAX_DEPTH = 32
MAX_KEYS = 500  # distinct keys of one object (per event and path) before it is treated as a map
MAX_EVENTS = 10_000
FORMAT_ORDER = ("uuid", "date-time", "email", "uri")
_PREFILTER = {
    "uuid": re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"),
    "date-time": re.compile(r"^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d"),
    "email": re.compile(r"^[^@\s]+@[^@\s]+$"),
    "uri": re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$"),
}
_CHECKERS = {f: jsonschema_rs.validator_for({"format": f}, validate_formats=True) for f in FORMAT_ORDER}


@dataclass
class InferOptions:
    required_ratio: float = 0.999
    enum_max_values: int = 10
    enum_min_events: int = 50
    enum_max_length: int = 100
    apply_enums: bool = True
    near_duplicate_ratio: float = 0.9


class _Stats:
    """What was seen at one (event, property path)."""

    __slots__ = ("arrays", "children", "formats", "items", "objects", "open_map", "seen", "types", "values")

    def __init__(self) -> None:
        self.seen = 0
        self.types: Counter[str] = Counter()
        self.values: set[str] | None = set()
        self.formats: set[str] | None = None
        self.objects = 0
        self.arrays = 0
        self.children: dict[str, _Stats] = {}
        self.open_map = False
        self.items: _Stats | None = None


def _type_of(value: Any) -> str:
    """The type as written: a sample of ``1.0`` says the field carries decimals (a ``number``)."""
    return json_type(value, as_written=True)


def _observe(stats: _Stats, value: Any, opts: InferOptions, depth: int) -> None:
    stats.seen += 1
    kind = _type_of(value)
    stats.types[kind] += 1
    if kind == "string":
        _observe_string(stats, str(value), opts)
    elif kind == "object" and depth < MAX_DEPTH:
        stats.objects += 1
        if not stats.open_map:
            _observe_object(stats, value, opts, depth)
    elif kind == "array" and depth < MAX_DEPTH:
        stats.arrays += 1
        if stats.items is None:
            stats.items = _Stats()
        for item in value:
            _observe(stats.items, item, opts, depth + 1)


def _observe_object(stats: _Stats, value: dict[str, Any], opts: InferOptions, depth: int) -> None:
    for key, child_value in value.items():
        child = stats.children.get(key)
        if child is None:
            if len(stats.children) >= MAX_KEYS:
                stats.open_map = True
                stats.children.clear()
                return
            child = stats.children[key] = _Stats()
        _observe(child, child_value, opts, depth + 1)


def _observe_string(stats: _Stats, value: str, opts: InferOptions) -> None:
    if stats.values is not None:
        if len(value) > opts.enum_max_length:
            stats.values = None
        else:
            stats.values.add(value)
            if len(stats.values) > opts.enum_max_values:
                stats.values = None
    candidates = set(FORMAT_ORDER) if stats.formats is None else stats.formats
    stats.formats = {f for f in candidates if _PREFILTER[f].match(value) and _CHECKERS[f].is_valid(value)}


@dataclass
class PropertyObservation:
    kind: str
    event: str
    path: str
    seen: int
    of: int
    types: dict[str, int]
    required: bool
    enum: list[Any] | None = None
    format: str | None = None


MAX_LINE_NUMBERS = 100  # invalid lines listed by number in the report (all are counted)


@dataclass
class InferReport:
    messages: int = 0
    skipped: int = 0
    invalid_lines: int = 0
    invalid_line_numbers: list[int] = field(default_factory=list)
    events: dict[str, int] = field(default_factory=dict)
    properties: list[PropertyObservation] = field(default_factory=list)
    near_duplicates: list[tuple[str, str]] = field(default_factory=list)
    items: list[ReportItem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "messages": self.messages, "skipped": self.skipped, "invalid_lines": self.invalid_lines,
            "invalid_line_numbers": self.invalid_line_numbers, "events": self.events,
            "properties": [asdict(p) for p in self.properties],
            "near_duplicates": [list(pair) for pair in self.near_duplicates],
            "items": [item.to_dict() for item in self.items],
        }


class _Inferrer:
    def __init__(self, opts: InferOptions) -> None:
        self.opts = opts
        self.report = InferReport()
        self.roots: dict[tuple[str, str], _Stats] = {}
        self.nullable_objects = "null" in str(property_schema(
            PropertySpec.model_validate({"type": "object", "nullable": True, "properties": {}})).get("type"))

    def add(self, message: Any) -> None:
        if isinstance(message, dict) and isinstance(message.get("batch"), list):
            for item in message["batch"]:
                self.add(item)
            return
        self.report.messages += 1
        key, body = _key_and_body(message)
        if key is None:
            self.report.skipped += 1
            return
        root = self.roots.get(key)
        if root is None:
            if len(self.roots) >= MAX_EVENTS:
                self.report.skipped += 1
                return
            root = self.roots[key] = _Stats()
        _observe(root, body, self.opts, 0)

    def spec(self, stats: _Stats, of: int, loc: tuple[Any, ...], key: tuple[str, str]) -> PropertySpec:
        types = {t for t in stats.types if t != "null"}
        nullable = "null" in stats.types and bool(types)
        if {"integer", "number"} <= types:
            types.discard("integer")
        required = of > 0 and stats.seen >= self.opts.required_ratio * of
        total = sum(stats.types.values())
        mix = ", ".join(f"{t} {100 * n / total:.0f}%" for t, n in stats.types.most_common())
        seen = f"in {stats.seen} of {of} messages" if of else f"{stats.seen} items"
        data: dict[str, Any] = {"required": required, "nullable": nullable, "description": f"Observed {seen}: {mix}"}
        if types:
            names = sorted(types)
            data["type"] = names[0] if len(names) == 1 else names
        observation = PropertyObservation(key[0], key[1], format_path(loc), stats.seen, of, dict(stats.types),
                                          required)
        self.report.properties.append(observation)
        self._notes(stats, of, loc, types, required)
        if types == {"string"}:
            strings = stats.types["string"]
            if (stats.values is not None and strings >= self.opts.enum_min_events and self.opts.apply_enums):
                data["enum"] = observation.enum = sorted(stats.values)
                self._note(loc, f"enum of {len(stats.values)} values inferred from {strings} messages "
                                f"(a suggestion: review it)", "info")
            elif stats.formats:
                data["format"] = observation.format = next(f for f in FORMAT_ORDER if f in stats.formats)
        spec = PropertySpec.model_validate(data)
        if types == {"object"} and (self.nullable_objects or not nullable):
            if stats.open_map:
                self._note(loc, f"more than {MAX_KEYS} distinct keys: left open, nested properties not inferred",
                           "info")
            else:
                spec.properties = {name: self.spec(child, stats.objects, (*loc, "properties", name), key)
                                   for name, child in sorted(stats.children.items())}
        elif types == {"array"} and stats.items is not None and stats.items.seen:
            spec.items = self.spec(stats.items, 0, (*loc, "items"), key)
        return spec

    def _notes(self, stats: _Stats, of: int, loc: tuple[Any, ...], types: set[str], required: bool) -> None:
        if len(types) > 1 or (types and "object" in types and "null" in stats.types and not self.nullable_objects):
            total = sum(stats.types.values())
            mix = " / ".join(f"{t} {100 * n / total:.0f}%" for t, n in stats.types.most_common())
            self._note(loc, f"type inconsistent: {mix}", "warning")
        if not types and stats.seen:
            self._note(loc, "only null observed: any type accepted", "info")
        if required and stats.seen < of:
            self._note(loc, f"required: present in {100 * stats.seen / of:.2f}% of messages; the {of - stats.seen} "
                            f"without it will be violations", "warning")

    def _note(self, loc: tuple[Any, ...], message: str, severity: Any) -> None:
        self.report.items.append(ReportItem(format_path(loc), message, severity))

    def plan_data(self, name: str) -> dict[str, Any]:
        data: dict[str, Any] = {"name": name}
        for key, root in sorted(self.roots.items()):
            kind, event = key
            self.report.events[f"{kind} {event}".strip()] = root.seen
            base: tuple[Any, ...] = ("events", event) if kind == "track" else (kind,)
            if kind in ("page", "screen") and event:
                base = (kind, "names", event)
            field_name = "traits" if kind in ("identify", "group") else "properties"
            props = {} if root.open_map else {
                prop: self.spec(child, root.objects, (*base, field_name, prop), key)
                for prop, child in sorted(root.children.items())
            }
            body = {"description": f"Inferred from {root.seen} {kind} calls", field_name: props}
            if kind == "track":
                data.setdefault("events", {})[event] = body
            elif kind in ("identify", "group"):
                data[kind] = body
            elif event:
                data.setdefault(kind, {}).setdefault("names", {})[event] = body
            else:
                data.setdefault(kind, {}).update(body)
        return data


def _key_and_body(message: Any) -> tuple[tuple[str, str] | None, Any]:
    if not isinstance(message, dict):
        return None, None
    kind = message.get("type") or ("track" if "event" in message else None)
    if kind == "track":
        event = message.get("event")
        if not isinstance(event, str) or not event.strip() or len(event) > 200:
            return None, None
        key = ("track", event)
    elif kind in ("page", "screen"):
        name = message.get("name")
        key = (kind, name if isinstance(name, str) and 0 < len(name) <= 200 else "")
    elif kind in ("identify", "group"):
        key = (kind, "")
    else:
        return None, None
    body = message.get("traits" if kind in ("identify", "group") else "properties")
    if body is None:
        body = {}
    return (key, body) if isinstance(body, dict) else (None, None)


def _tokens(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [t for t in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if t]


def near_duplicates(names: Iterable[str], ratio: float = 0.9) -> list[tuple[str, str]]:
    """Pairs of names equal once case, separators and word order are ignored, or nearly so."""
    keyed = sorted({name: " ".join(sorted(_tokens(name))) for name in names}.items())[:2000]
    pairs: list[tuple[str, str]] = []
    for i, (a, key_a) in enumerate(keyed):
        for b, key_b in keyed[i + 1:]:
            squashed = difflib.SequenceMatcher(None, key_a.replace(" ", ""), key_b.replace(" ", ""))
            if key_a == key_b or (min(len(key_a), len(key_b)) >= 6 and squashed.ratio() >= ratio):
                pairs.append((a, b))
    return pairs


def infer_plan(events: Iterable[dict[str, Any]], *, name: str,
               options: InferOptions | None = None) -> tuple[Plan, InferReport]:
    """A plan that accepts the given Segment messages (single messages or ``{batch: [...]}``)."""
    inferrer = _Inferrer(options or InferOptions())
    for message in events:
        inferrer.add(message)
    return _finish(inferrer, name)


def infer_plan_from_lines(lines: Iterable[bytes | str], *, name: str,
                          options: InferOptions | None = None) -> tuple[Plan, InferReport]:
    """``infer_plan`` over JSON Lines (a file opened in binary mode will do); blank lines are ignored,
    a line that is not JSON is counted in ``report.invalid_lines`` and skipped."""
    inferrer = _Inferrer(options or InferOptions())
    report = inferrer.report
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            message = orjson.loads(line)
        except orjson.JSONDecodeError:
            report.invalid_lines += 1
            if len(report.invalid_line_numbers) < MAX_LINE_NUMBERS:
                report.invalid_line_numbers.append(number)
            continue
        inferrer.add(message)
    if report.invalid_lines:
        shown = ", ".join(map(str, report.invalid_line_numbers[:10]))
        more = ", …" if report.invalid_lines > 10 else ""
        report.items.append(ReportItem("", f"{report.invalid_lines} lines skipped: not JSON (line {shown}{more})",
                                       "warning"))
    return _finish(inferrer, name)


def _finish(inferrer: _Inferrer, name: str) -> tuple[Plan, InferReport]:
    data = inferrer.plan_data(name)
    report = inferrer.report
    report.near_duplicates = near_duplicates([e for k, e in inferrer.roots if k == "track"],
                                             inferrer.opts.near_duplicate_ratio)
    for a, b in report.near_duplicates:
        report.items.append(ReportItem(format_path(("events", b)), f"near duplicate of {a!r}: did you mean one "
                                                                    f"event?", "warning"))
    if report.skipped:
        report.items.append(ReportItem("", f"{report.skipped} messages skipped (not a track, page, screen, identify "
                                           f"or group message with an object body, or past {MAX_EVENTS} events)",
                                       "warning"))
    plan, naming = adopt_naming(build_plan(data))
    report.items.append(naming)
    return plan, report
