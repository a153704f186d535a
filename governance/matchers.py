"""Alertmanager's label matchers: ``name op value`` with ``=``, ``!=``, ``=~`` and ``!~``.

An alert's labels (``alert_labels``)::

    source      the source's name and its id       check       the check's kind and its id
    source_id   the source's id                    check_kind  the check's kind
    event       the event ("" for the source)      check_id    the check's id
    field       the field ("" if none)             severity    info | warning | critical
    owner       the event's owner ("" if none)     labels.<k>  the event's plan label ``k`` ("" if absent)

A name with two values (``source``, ``check``) matches ``=`` and ``=~`` when one of them does;
``!=`` and ``!~`` are their negations, so ``source!=web`` holds when neither the name nor the id is
``web``. An absent value is ``""`` (``owner=""`` matches alerts without an owner). Regular
expressions are anchored at both ends, as in Alertmanager, and run on the plan's linear-time
engine (``plan.regex``): a pattern it refuses is refused here too, so matching never backtracks.
Matchers are also written as text, ``event=~"Order.*"`` (the CLI's ``--match``).

``InhibitRule`` is the model of one inhibition rule (``alerts.inhibition`` applies them); it lives
here, beside the matchers, so that the settings can refuse a bad rule at start-up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any, Generic, Literal, TypeVar

import jsonschema_rs
import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

from governance.plan.regex import LINEAR, regex_problem

NAMES = ("source", "source_id", "event", "field", "owner", "check", "check_kind", "check_id", "severity")
LABEL_PREFIX = "labels."
Op = Literal["=", "!=", "=~", "!~"]
K = TypeVar("K")
_TEXT = re.compile(r'^\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$', re.DOTALL)


class Matcher(BaseModel):
    """One matcher: ``{"name": "event", "op": "=~", "value": "Order .*"}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(max_length=200, description=f"One of {', '.join(NAMES)}, or labels.<key>")
    op: Op = Field("=", description="= equal, != not equal, =~ matches the regex, !~ does not match")
    value: str = Field(max_length=1000, description="The value, or an anchored regular expression")

    @field_validator("name")
    @classmethod
    def _known(cls, name: str) -> str:
        if name in NAMES or (name.startswith(LABEL_PREFIX) and len(name) > len(LABEL_PREFIX)):
            return name
        raise ValueError(f"unknown label {name!r}; expected one of {', '.join(NAMES)} or labels.<key>")

    @model_validator(mode="after")
    def _regex(self) -> Matcher:
        if self.op in ("=~", "!~") and (problem := regex_problem(anchored(self.value))):
            raise ValueError(f"value: {problem}")
        return self

    def text(self) -> str:
        quoted = self.value.replace('"', '\\"')
        return f'{self.name}{self.op}"{quoted}"'


def anchored(pattern: str) -> str:
    return f"^(?:{pattern})$"


@lru_cache(maxsize=1024)
def _regex(pattern: str) -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for({"type": "string", "pattern": anchored(pattern)}, pattern_options=LINEAR)


def parse_text(text: str) -> dict[str, str]:
    """``name op value`` (the value optionally in double quotes) as matcher fields; ``ValueError`` if not."""
    found = _TEXT.match(text)
    if found is None:
        raise ValueError(f"{text!r} is not a matcher: write name=value, name!=value, name=~regex or name!~regex")
    name, op, value = found.groups()
    if len(value) >= 2 and value[0] == value[-1] == '"':  # quoted: \" is a quote, other backslashes stay
        value = value[1:-1].replace('\\"', '"')
    return {"name": name, "op": op, "value": value}


def alert_labels(alert: Any) -> dict[str, list[str]]:
    """The label values of an ``AlertRow`` (or anything with its attributes)."""
    labels = orjson.loads(alert.labels) if isinstance(alert.labels, str) else dict(alert.labels or {})
    out = {"source": [alert.source_name, alert.source_id], "source_id": [alert.source_id], "event": [alert.event],
           "field": [alert.field], "owner": [alert.owner or ""], "check": [alert.check_kind, alert.check_id],
           "check_kind": [alert.check_kind], "check_id": [alert.check_id], "severity": [alert.severity]}
    out |= {f"{LABEL_PREFIX}{k}": [str(v)] for k, v in labels.items()}
    return out


def matches(matcher: Matcher, labels: Mapping[str, Sequence[str]]) -> bool:
    values = labels.get(matcher.name) or [""]
    if matcher.op in ("=", "!="):
        hit = any(v == matcher.value for v in values)
    else:
        validator = _regex(matcher.value)
        hit = any(validator.is_valid(v) for v in values)
    return hit if matcher.op in ("=", "=~") else not hit


def matches_all(matchers: Iterable[Matcher], labels: Mapping[str, Sequence[str]]) -> bool:
    return all(matches(m, labels) for m in matchers)


# the names an index prefers to look a matcher set up by: the likeliest to tell alerts apart first
_SELECTIVE = ("check_id", "event", "field", "owner", "source_id", "source", "check", "check_kind", "severity")


def _rank(matcher: Matcher) -> int:
    return _SELECTIVE.index(matcher.name) if matcher.name in _SELECTIVE else 4  # labels.<k>: as an owner


class MatcherIndex(Generic[K]):
    """Matcher sets (a silence's) looked up by one equality matcher each (its most selective
    ``name="value"``): ``matching(labels)`` checks only the sets that matcher admits, and the sets
    without one, so a dispatch costs alerts x (label values + candidate sets), not alerts x sets.
    Keys come back in the order the sets were given."""

    def __init__(self, entries: Iterable[tuple[K, Sequence[Matcher]]]) -> None:
        self._entries = [(key, tuple(found)) for key, found in entries]
        self._by_value: dict[tuple[str, str], list[int]] = {}
        self._always: list[int] = []
        for i, (_, found) in enumerate(self._entries):
            equal = sorted((x for x in found if x.op == "=" and x.value), key=_rank)
            if equal:
                self._by_value.setdefault((equal[0].name, equal[0].value), []).append(i)
            else:
                self._always.append(i)

    def __len__(self) -> int:
        return len(self._entries)

    def matching(self, labels: Mapping[str, Sequence[str]]) -> list[K]:
        candidates = set(self._always)
        for name, values in labels.items():
            for value in values:
                candidates.update(self._by_value.get((name, value), ()))
        return [self._entries[i][0] for i in sorted(candidates) if matches_all(self._entries[i][1], labels)]


def equal_on(names: Iterable[str], a: Mapping[str, Sequence[str]], b: Mapping[str, Sequence[str]]) -> bool:
    """Inhibition's ``equal``: both alerts have the same values of every label named."""
    return all(list(a.get(n) or [""]) == list(b.get(n) or [""]) for n in names)


def dump(matchers: Sequence[Matcher]) -> str:
    return orjson.dumps([m.model_dump() for m in matchers]).decode()


def load(text: str) -> list[Matcher]:
    return list(load_cached(text))


@lru_cache(maxsize=4096)
def load_cached(text: str) -> tuple[Matcher, ...]:
    """``load``, parsed once per distinct text (matchers are frozen)."""
    return tuple(Matcher.model_validate(m) for m in orjson.loads(text))


class InhibitRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field("", max_length=100, description="What the rule is for (shown in the alert's history)")
    source: tuple[Matcher, ...] = Field(min_length=1, description="Matchers of the inhibiting alert")
    target: tuple[Matcher, ...] = Field(min_length=1, description="Matchers of the inhibited alerts")
    equal: tuple[str, ...] = Field((), description="Labels both alerts must have the same values of")

    @field_validator("source", "target", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return [parse_text(v) if isinstance(v, str) else v for v in value]
        return value

    @field_validator("equal")
    @classmethod
    def _names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if name not in NAMES and not name.startswith(LABEL_PREFIX):
                raise ValueError(f"unknown label {name!r}; expected one of {', '.join(NAMES)} or labels.<key>")
        return value


DEFAULT_RULES: tuple[InhibitRule, ...] = tuple(InhibitRule.model_validate(r) for r in (
    {"name": "source outage", "source": ['check_kind="silence"', 'event=""'],
     "target": ['check_kind=~"volume|silence"', 'event!=""'], "equal": ["source_id"]},
    {"name": "source drop", "source": ['check_kind="source_drop"'],
     "target": ['check_kind=~"volume|silence"', 'event!=""'], "equal": ["source_id"]},
    {"name": "event silence", "source": ['check_kind="silence"', 'event!=""'],
     "target": ['check_kind="volume"'], "equal": ["source_id", "event"]},
))
_RULES = TypeAdapter(list[InhibitRule])


def parse_rules(data: Any) -> tuple[InhibitRule, ...]:
    """The rules of a setting: ``None`` is the defaults; ``ValidationError`` on a bad rule."""
    return DEFAULT_RULES if data is None else tuple(_RULES.validate_python(data))
