"""Fixtures for the importer/exporter tests: the peer files, and the validator-agreement corpus.

The peer files live beside the repository (``shared/peer-data`` next to the repo root); CI clones
the repo into another folder with ``shared/`` beside it, so the path is taken from the repo root's
parent (or ``GOVERNANCE_PEER_DATA`` names the folder). Tests that need them skip with a clear reason
when they are absent.

The corpus: for a JSON Schema, Hypothesis draws instances that are *mostly* valid (each keyword
honoured) and then, half of the time, mutates one place (a value swapped for another from a pool,
a key removed or added). The test compares verdicts, not expectations, so the generator may err;
it only has to produce plenty of both valid and invalid instances. The pure-Python ``jsonschema``
(with the original document's draft) is the oracle; its format checker is given a strict
``date-time`` check and a ``uri`` check (``rfc3339-validator`` and ``rfc3987`` are not installed)
so both sides check the same formats.
Pools avoid the places where the two validators are known to differ regardless of our mapping:
float ``multipleOf`` (``jsonschema`` divides in binary floating point: 0.07 is not a multiple of
0.01 for it), integral floats such as ``2.0`` (not integers in draft-04), and strings ending in a
newline under a pattern ending in ``$`` (Python's ``re`` matches ``$`` before a final newline,
ECMA-262 regexes, as JSON Schema and ``jsonschema_rs`` use, do not).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[2]
PEER = Path(os.environ.get("GOVERNANCE_PEER_DATA") or REPO.parent / "shared" / "peer-data")

FORMAT_SAMPLES = {
    "date-time": ["2024-05-01T12:30:00Z", "2020-02-29T23:59:59.123+02:00"],
    "uuid": ["123e4567-e89b-12d3-a456-426614174000", "00000000-0000-4000-8000-000000000000"],
    "email": ["ada@example.com", "b.c@d.example.org"],
    "uri": ["https://example.com/a?b=c", "http://x.example"],
}
POOL: list[Any] = [
    None, True, False, 0, -1, 7, 1.5, 2**40, 10**20, "", "x", "Evil Morty", "case_1", "GET", "POST", "USD",
    "2024-05-01T12:30:00Z", "2020-13-45T00:00:00Z", "not-a-date", "123e4567-e89b-12d3-a456-426614174000",
    "ada@example.com", "https://example.com", [], ["x"], [1, 2], {}, {"name": "x"}, {"a": {"b": 1}},
]
_TEXT = st.text(st.characters(exclude_categories=("Cs",), max_codepoint=0x2FF), max_size=12)
_DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$")


def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.match(value):
        return False
    try:
        dt.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S*$")


def _uri(value: object) -> bool:
    return not isinstance(value, str) or bool(_URI.match(value))


def oracle(schema: dict[str, Any], draft: str) -> jsonschema.protocols.Validator:
    classes = {"draft-04": jsonschema.Draft4Validator, "draft-07": jsonschema.Draft7Validator,
               "2020-12": jsonschema.Draft202012Validator}
    checker = jsonschema.FormatChecker()
    checker.checks("date-time")(_date_time)
    checker.checks("uri")(_uri)
    return classes[draft](schema, format_checker=checker)


def _number(schema: dict[str, Any], integer: bool) -> st.SearchStrategy[Any]:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    low = None if isinstance(low, bool) else low
    high = None if isinstance(high, bool) else high
    step = schema.get("multipleOf")
    if integer or step is not None:
        lo = None if low is None else int(low) + (1 if "exclusiveMinimum" in schema else 0)
        hi = None if high is None else int(high)
        return st.integers(lo, hi)
    return st.floats(low, high, allow_nan=False, allow_infinity=False).filter(
        lambda x: not x.is_integer() or abs(x) > 2**53)


def values(schema: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Mostly-valid instances of a (draft-04/07/2020-12) schema in the subset the peer files use."""
    if not isinstance(schema, dict) or depth > 6:
        return st.sampled_from(POOL)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "const" in schema:
        return st.just(schema["const"])
    kind = schema.get("type")
    kinds = [kind] if isinstance(kind, str) else list(kind or ["string", "integer", "object", "array", "null"])
    options = []
    for name in kinds:
        if name == "null":
            options.append(st.none())
        elif name == "boolean":
            options.append(st.booleans())
        elif name in ("integer", "number"):
            options.append(_number(schema, name == "integer"))
        elif name == "string":
            if schema.get("format") in FORMAT_SAMPLES:
                options.append(st.sampled_from(FORMAT_SAMPLES[schema["format"]]))
            elif "pattern" in schema:
                options.append(st.from_regex(schema["pattern"], alphabet=st.characters(codec="ascii")).filter(
                    lambda text: not text.endswith("\n")))
            else:
                options.append(st.text(st.characters(exclude_categories=("Cs",), max_codepoint=0x2FF),
                                       min_size=schema.get("minLength", 0),
                                       max_size=min(schema.get("maxLength", 12), 40)))
        elif name == "array":
            options.append(st.lists(values(schema.get("items", {}), depth + 1), max_size=3))
        elif name == "object":
            options.append(_object(schema, depth))
    return st.one_of(options) if options else st.sampled_from(POOL)


def _object(schema: dict[str, Any], depth: int) -> st.SearchStrategy[dict[str, Any]]:
    props = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    fixed = {k: values(v, depth + 1) for k, v in props.items() if k in required}
    optional = {k: values(v, depth + 1) for k, v in props.items() if k not in required}
    return st.fixed_dictionaries(fixed, optional=optional)


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[Any]) -> Any:
    """A drawn instance, and half of the time the same with one place changed."""
    value = draw(base)
    if draw(st.booleans()):
        return value
    return _mutate(draw, value)


def _mutate(draw: st.DrawFn, value: Any) -> Any:
    if isinstance(value, dict) and value and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(value)))
        action = draw(st.sampled_from(["drop", "swap", "deeper"]))
        out = dict(value)
        if action == "drop":
            del out[key]
        elif action == "swap":
            out[key] = draw(st.sampled_from(POOL))
        else:
            out[key] = _mutate(draw, out[key])
        return out
    if isinstance(value, dict) and draw(st.booleans()):
        return {**value, draw(_TEXT): draw(st.sampled_from(POOL))}
    if isinstance(value, list) and value:
        index = draw(st.integers(0, len(value) - 1))
        return [*value[:index], _mutate(draw, value[index]), *value[index + 1:]]
    return draw(st.sampled_from(POOL))


Case = tuple[str, Callable[[Any], bool], Callable[[Any], bool], st.SearchStrategy[Any]]


def check_agreement(cases: list[Case], *, examples: int = 300, min_share: float = 0.1) -> Counter[str]:
    """Draw (case, instance) pairs; both validators must agree; both verdicts must be common."""
    verdicts: Counter[str] = Counter()
    disagreements: list[str] = []

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def run(data: st.DataObject) -> None:
        label, theirs, ours, strategy = data.draw(st.sampled_from(cases))
        instance = data.draw(strategy)
        expected, got = theirs(instance), ours(instance)
        verdicts["valid" if expected else "invalid"] += 1
        if expected != got:
            disagreements.append(f"{label}: {instance!r}: original says {expected}, plan says {got}")

    run()
    assert not disagreements, "\n".join(disagreements[:10])
    total = sum(verdicts.values())
    assert verdicts["valid"] >= min_share * total and verdicts["invalid"] >= min_share * total, verdicts
    return verdicts


@pytest.fixture(scope="session")
def peer() -> Path:
    if not PEER.is_dir():
        pytest.skip(f"peer data not found at {PEER} (shared/peer-data beside the repository)")
    return PEER


class Corpus:
    """The corpus helpers above, as a fixture (conftest modules are not importable by name)."""

    oracle = staticmethod(oracle)
    values = staticmethod(values)
    mutated = staticmethod(mutated)
    check = staticmethod(check_agreement)


@pytest.fixture(scope="session")
def corpus() -> type[Corpus]:
    return Corpus
