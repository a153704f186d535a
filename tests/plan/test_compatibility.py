"""Compatibility modes: which publishes are refused, against which version, and why."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance.plan.compatibility import (
    Mode,
    Refusal,
    check_publish,
    classify,
    compatibility_report,
    resolve_mode,
)
from governance.plan.diff import diff_plans
from governance.plan.model import Plan

from .plan_strategies import plans

EVENT = "Order Completed"


def version(properties: dict[str, Any], **extra: Any) -> Plan:
    return Plan.model_validate({"name": "shop", "events": {EVENT: {"properties": properties}}, **extra})


V1 = version({"total": {"type": "number"}})
ADD_OPTIONAL = version({"total": {"type": "number"}, "coupon": {"type": "string"}})
REMOVE = version({})
WIDEN = version({"total": {}})
NARROW = version({"total": {"type": "integer"}})


@pytest.mark.parametrize(
    ("mode", "new", "refused"),
    [
        ("NONE", REMOVE, False),
        ("BACKWARD", ADD_OPTIONAL, False),
        ("BACKWARD", REMOVE, True),
        ("BACKWARD", WIDEN, False),
        ("BACKWARD", NARROW, True),
        ("FORWARD", ADD_OPTIONAL, False),  # an unknown optional property does not break readers
        ("FORWARD", REMOVE, False),
        ("FORWARD", WIDEN, True),
        ("FORWARD", NARROW, False),
        ("FULL", ADD_OPTIONAL, False),
        ("FULL", WIDEN, True),
        ("FULL", NARROW, True),
    ],
)
def test_modes_against_the_latest_version(mode: str, new: Plan, refused: bool) -> None:
    refusal = check_publish(new, [V1], mode)
    assert (refusal is not None) == refused
    report = compatibility_report(V1, new, mode)
    assert report["is_compatible"] is not refused
    if refusal is not None:
        assert refusal.mode == mode and refusal.against_version == 1
        assert report["messages"] == [str(change) for change in refusal.changes]


def test_backward_transitive_checks_every_earlier_version() -> None:
    v1 = version({"status": {"enum": ["x", "y"]}})
    v2 = version({"status": {"enum": ["x"]}})  # narrowed: published while the mode was NONE
    v3 = version({"status": {"enum": ["x", "z"]}})  # extends v2, but drops v1's "y"
    assert check_publish(v3, [v1, v2], "BACKWARD") is None
    refusal = check_publish(v3, [v1, v2], "BACKWARD_TRANSITIVE")
    assert refusal is not None
    assert refusal.against_version == 1
    assert [c.kind for c in refusal.changes] == ["enum_array_changed"]


def test_forward_transitive_checks_every_earlier_version() -> None:
    v1 = version({"total": {"type": "number", "maximum": 10}})
    v2 = version({"total": {"type": "number", "maximum": 20}})
    v3 = version({"total": {"type": "number", "maximum": 15}})
    assert check_publish(v3, [v1, v2], "FORWARD") is None
    refusal = check_publish(v3, [v1, v2], "FORWARD_TRANSITIVE")
    assert refusal is not None and refusal.against_version == 1
    assert [(c.kind, c.old, c.new) for c in refusal.changes] == [("maximum_increased", 10, 15)]
    full = check_publish(v3, [v1, v2], "FULL")  # 20 -> 15 is not backward
    assert full is not None and full.against_version == 2


def test_transitive_reports_the_newest_broken_version_first() -> None:
    history = [V1, V1, V1]
    refusal = check_publish(REMOVE, history, "BACKWARD_TRANSITIVE")
    assert refusal is not None and refusal.against_version == 3


def test_refusal_carries_the_reason() -> None:
    refusal = check_publish(REMOVE, [V1], "BACKWARD")
    assert isinstance(refusal, Refusal)
    assert refusal.message.startswith("incompatible with version 1 under BACKWARD: ")
    body = refusal.to_dict()
    assert body["against_version"] == 1
    assert body["changes"][0]["kind"] == "property_removed_from_closed_content_model"
    assert body["changes"][0]["path"] == 'events."Order Completed".properties.total'


def test_nothing_to_compare() -> None:
    assert check_publish(REMOVE, [], "FULL_TRANSITIVE") is None
    assert check_publish(REMOVE, [V1], "NONE") is None


def test_mode_comes_from_the_argument_then_the_plan_then_backward() -> None:
    assert resolve_mode(None) == "BACKWARD"
    assert resolve_mode("full_transitive") == "FULL_TRANSITIVE"
    lenient = version({}, compatibility="NONE")
    assert resolve_mode(None, lenient) == "NONE"
    assert check_publish(lenient, [V1]) is None
    assert check_publish(REMOVE, [V1]) is not None
    with pytest.raises(ValueError, match="unknown compatibility mode"):
        resolve_mode("SIDEWAYS")


def test_classify() -> None:
    assert classify([]) == "none"
    assert classify(diff_plans(V1, ADD_OPTIONAL)) == "additive"
    assert classify(diff_plans(V1, WIDEN)) == "revision"
    assert classify(diff_plans(V1, REMOVE)) == "breaking"
    described = version({"total": {"type": "number", "description": "sum"}})
    assert classify(diff_plans(V1, described)) == "revision"
    both = version({"total": {}, "coupon": {"type": "string"}})
    assert classify(diff_plans(V1, both)) == "additive"


def test_compatibility_report_shape() -> None:
    report = compatibility_report(V1, REMOVE)
    assert report["is_compatible"] is False
    assert report["mode"] == "BACKWARD"
    assert report["category"] == "breaking"
    assert report["changes"][0]["kind"] == "property_removed_from_closed_content_model"
    assert report["messages"] == [
        'events."Order Completed".properties.total: '
        "property removed from a closed object: messages that send it are now rejected"
    ]
    assert compatibility_report(V1, V1) == {
        "is_compatible": True, "mode": "BACKWARD", "category": "none", "changes": [], "messages": [],
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans, plans, plans, st.sampled_from(sorted(Mode)))
def test_publish_check_agrees_with_the_report(first: Plan, second: Plan, new: Plan, mode: str) -> None:
    refusal = check_publish(new, [first, second], mode)
    latest = compatibility_report(second, new, mode)
    if not Mode(mode).transitive:  # non-transitive: only the latest version counts
        assert (refusal is None) == latest["is_compatible"]
    else:
        oldest = compatibility_report(first, new, mode)
        assert (refusal is None) == (latest["is_compatible"] and oldest["is_compatible"])


def test_the_modes_are_the_plan_formats_modes() -> None:
    from typing import get_args

    from governance.plan.model import CompatibilityMode

    assert [m.value for m in Mode] == list(get_args(CompatibilityMode))
    transitive = [Mode.BACKWARD_TRANSITIVE, Mode.FORWARD_TRANSITIVE, Mode.FULL_TRANSITIVE]
    assert [m for m in Mode if m.transitive] == transitive
    assert [(m.backward, m.forward) for m in (Mode.NONE, Mode.BACKWARD, Mode.FORWARD, Mode.FULL)] == [
        (False, False), (True, False), (False, True), (True, True)]
