"""The ingestion path's shortcuts give the verdicts of the full path, message for message.

- ``spec.depth_ok`` (the depth limit walked by a jsonschema_rs schema) answers as
  ``spec.nesting_ok`` (the Python walk) on every JSON value;
- ``judge(owned=True)`` (the routes' call: ``normalise`` completes the parsed message in place)
  gives the verdict, forwarded payload and stored original of ``judge(owned=False)`` (a copy), and
  leaves a message it rejects as it arrived;
- ``pii_guard.guard`` returns at once for a governed message without violations: such a message
  has nothing to scan (``targets`` is empty).

The messages are the conformance corpus's (``tests/cases/*.yaml``: violations, unplanned events,
PII under every ``piiAction``, transformations, shadow mode, malformed messages), judged under
each case's own plan, settings, mode and transformations, built here without a database.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.plan.compile import compile_validators
from governance.plan.loader import plan_from_data
from governance.proxy import pii_guard, spec
from governance.proxy.pipeline import SourceState, judge, validate
from governance.proxy.runtime import _name_index
from governance.registry.source_settings import SourceSettings
from governance.registry.transformation_spec import TransformationSpec

CASES_DIR = Path(__file__).resolve().parent.parent / "cases"
RECEIVED = "2026-12-01T20:00:00.000Z"
SALT = b"fast-path-salt"


def _corpus() -> list[Any]:
    params = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        defaults = doc.get("defaults", {})
        for case in doc.get("cases", []):
            params.append(pytest.param({**defaults, **case}, id=f"{path.stem}::{case['name']}"))
    return params


CORPUS = _corpus()


def _state(case: dict[str, Any]) -> SourceState:
    compiled = compile_validators(plan_from_data({**case.get("plan", {}), "name": "fast-paths"}))
    compiled.names = _name_index(sorted(compiled.plan.events))
    specs = [t for t in case.get("transformations") or [] if t.get("enabled", True)]
    return SourceState(
        id="src_fast", name="fast", mode=case.get("mode", "enforce"),
        settings=SourceSettings().merged(case.get("settings") or {}), compiled=compiled, plan_version=1,
        names=compiled.names,
        transformations=[TransformationSpec.model_validate({k: v for k, v in t.items() if k != "position"})
                         for t in sorted(specs, key=lambda t: t.get("position", 1_000_000))],
    )


def _messages(case: dict[str, Any]) -> list[Any]:
    out = []
    for i, entry in enumerate(case["messages"]):
        message = copy.deepcopy(entry["send"])
        if isinstance(message, dict):
            if entry.get("auto_message_id", True):
                message.setdefault("messageId", f"fast-{i}")
            message.pop("writeKey", None)  # the routes take it off before judging
        out.append(message)
    return out


def _seen(verdict: Any) -> dict[str, Any]:
    """Everything of a verdict that is stored, counted or forwarded."""
    return {**verdict.to_dict(), "forward": orjson.dumps(verdict.forward).decode() if verdict.forward else None,
            "original": orjson.dumps(verdict.original, default=str).decode(), "outcome": verdict.outcome,
            "omitted": verdict.omitted, "omitted_on_violation": verdict.omitted_on_violation}


@pytest.mark.parametrize("case", CORPUS)
def test_judging_in_place_gives_the_copying_verdict(case: dict[str, Any]) -> None:
    state = _state(case)
    kind = case.get("endpoint")
    for message in _messages(case):
        if not spec.depth_ok(message, 32):
            continue  # the routes refuse it before judging (limits)
        arrived = copy.deepcopy(message)
        full = judge(copy.deepcopy(message), state, kind=kind, received_at=RECEIVED, max_depth=None, salt=SALT)
        owned = judge(message, state, kind=kind, received_at=RECEIVED, max_depth=None, salt=SALT, owned=True)
        if owned.outcome == "rejected":  # not stamped by judge: a message it refuses is left as it arrived
            assert message == arrived
            continue
        full_seen, owned_seen = _seen(full), _seen(owned)
        if "gov-" in str(full.message_id):  # a messageId the proxy made up differs between two calls
            for seen in (full_seen, owned_seen):
                seen.update(messageId="", forward=None, original=None)
        assert owned_seen == full_seen


def test_the_corpus_covers_every_path() -> None:
    outcomes: set[str] = set()
    pii = transformed = 0
    for param in CORPUS:
        case = param.values[0]
        state = _state(case)
        for message in _messages(case):
            v = judge(message, state, kind=case.get("endpoint"), received_at=RECEIVED, max_depth=32, salt=SALT)
            outcomes.add(v.outcome)
            pii += any(x.type == "pii_detected" for x in v.violations)
            transformed += bool(v.transformed)
    assert {"forwarded", "omitted", "blocked", "rejected", "dropped", "shadow_blocked", "shadow_omitted"} <= outcomes
    assert pii and transformed


@pytest.mark.parametrize("case", CORPUS)
def test_a_clean_governed_message_has_nothing_to_scan(case: dict[str, Any]) -> None:
    state = _state(case)
    for message in _messages(case):
        normal = spec.normalise(message, kind=case.get("endpoint"), received_at=RECEIVED, max_depth=32)
        if isinstance(normal, spec.MessageError):
            continue
        name = spec.event_name(normal)
        planned, violations = validate(state, normal, name)
        if not violations and pii_guard._governed(state, normal, planned, name):
            assert pii_guard.targets(state, normal, planned, name, violations) == []


def _nest(levels: int, inner: Any, as_list: bool) -> Any:
    value = inner
    for i in range(levels):
        value = [value] if as_list and i % 2 else {"k": value, "s": "x"}
    return value


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=3), children, max_size=4),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(JSON, st.integers(1, 8))
def test_depth_ok_answers_as_nesting_ok(value: Any, max_depth: int) -> None:
    assert spec.depth_ok(value, max_depth) is spec.nesting_ok(value, max_depth)


@pytest.mark.parametrize("as_list", [False, True])
@pytest.mark.parametrize("max_depth", [2, 3, 32, 200])
def test_depth_ok_at_the_limit(max_depth: int, as_list: bool) -> None:
    inners: list[Any] = [1, {}, [], {"a": []}]
    for levels in (max_depth - 1, max_depth, max_depth + 1, 1000):
        for inner in inners:
            value = _nest(levels, inner, as_list)
            assert spec.depth_ok(value, max_depth) is spec.nesting_ok(value, max_depth), (levels, inner)


def test_depth_ok_walks_in_python_what_jsonschema_cannot_read() -> None:
    assert spec.depth_ok({"a": {1: {"b": 2}}}, 3) is spec.nesting_ok({"a": {1: {"b": 2}}}, 3) is True
    assert spec.depth_ok({"a": {1: {"b": {}}}}, 3) is False
    assert spec.depth_ok(1, 0) is spec.nesting_ok(1, 0) is False
