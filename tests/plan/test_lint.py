"""Lint rules, near-duplicate names and "did you mean …?"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.plan.lint import RULES, LintIssue, NameIndex, closest_event, lint_plan, lint_text
from governance.plan.loader import format_path, load_plan_file
from governance.plan.model import Plan
from governance.plan.names import damerau_levenshtein, name_key, similarity, words

PLANS = sorted((Path(__file__).resolve().parents[2] / "plans").glob("*.yaml"))

# Event names of Segment's specs: real, distinct events that must never be flagged as duplicates.
SEGMENT_SPEC_EVENTS = [
    "Products Searched", "Product List Viewed", "Product List Filtered", "Promotion Viewed",
    "Promotion Clicked", "Product Clicked", "Product Viewed", "Product Added", "Product Removed",
    "Cart Viewed", "Checkout Started", "Checkout Step Viewed", "Checkout Step Completed",
    "Payment Info Entered", "Order Updated", "Order Completed", "Order Refunded", "Order Cancelled",
    "Coupon Entered", "Coupon Applied", "Coupon Denied", "Coupon Removed", "Product Added to Wishlist",
    "Product Removed from Wishlist", "Wishlist Product Added to Cart", "Product Shared", "Cart Shared",
    "Product Reviewed", "Signed Up", "Signed In", "Signed Out", "Invite Sent", "Account Added User",
    "Account Removed User", "Account Created", "Account Deleted", "Trial Started", "Trial Ended",
    "Application Installed", "Application Opened", "Application Backgrounded", "Application Updated",
    "Application Uninstalled", "Application Crashed", "Install Attributed", "Push Notification Received",
    "Push Notification Tapped", "Push Notification Bounced", "Deep Link Clicked", "Deep Link Opened",
    "Video Playback Started", "Video Playback Paused", "Video Playback Interrupted",
    "Video Playback Buffer Started", "Video Playback Buffer Completed", "Video Playback Seek Started",
    "Video Playback Seek Completed", "Video Playback Resumed", "Video Playback Completed",
    "Video Playback Exited", "Video Content Started", "Video Content Playing", "Video Content Completed",
    "Video Ad Started", "Video Ad Playing", "Video Ad Completed", "Video Quality Updated",
    "Email Bounced", "Email Link Clicked", "Email Marked as Spam", "Email Opened", "Unsubscribed",
]


def plan(**body: Any) -> Plan:
    return Plan.model_validate({"name": "shop", **body})


def codes(issues: list[LintIssue]) -> list[tuple[str, str, str]]:
    return [(issue.severity, issue.code, issue.path) for issue in issues]


def only(issues: list[LintIssue], code: str) -> list[tuple[str, str, str]]:
    return [item for item in codes(issues) if item[1] == code]


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sent", ["Completed Order", "order completed", "Order Complete", "order_completed", "OrderCompleted",
             "Order Compelted", "ORDER COMPLETED", "order-completed"],
)
def test_closest_event_finds_the_planned_name(sent: str) -> None:
    assert closest_event(sent, ["Signed Up", "Order Completed", "Product Viewed"]) == "Order Completed"


@pytest.mark.parametrize("sent", ["Signed Up", "Product Reviewed", "Checkout Started", "Order", ""])
def test_closest_event_ignores_unrelated_names(sent: str) -> None:
    assert closest_event(sent, ["Order Completed", "Product Viewed", "Signed In"]) is None


def test_name_index() -> None:
    index = NameIndex(SEGMENT_SPEC_EVENTS)
    assert len(index) == len(SEGMENT_SPEC_EVENTS)
    assert index.closest("Order Completed") == "Order Completed"
    assert index.closest("Completed Order") == "Order Completed"
    assert index.closest("video playback buffer complete") == "Video Playback Buffer Completed"
    assert index.closest("Aplication Opened") == "Application Opened"
    assert index.closest("Something Else Entirely") is None
    assert index.matches("Signed Up") == []
    assert index.matches("signed_up") == [("Signed Up", "same_key", 0)]


def test_segment_spec_events_are_not_near_duplicates() -> None:
    index = NameIndex(SEGMENT_SPEC_EVENTS)
    assert {name: index.matches(name) for name in SEGMENT_SPEC_EVENTS if index.matches(name)} == {}


def test_words_and_keys() -> None:
    assert words("orderId") == ("order", "id")
    assert words("Order ID") == ("order", "id")
    assert words("APIKeyCreated") == ("api", "key", "created")
    assert words("product-list_viewed 2") == ("product", "list", "viewed", "2")
    assert words("Commande Validée") == ("commande", "validée")
    assert name_key("Order  Completed!") == "ordercompleted"
    assert similarity("Step 1 Viewed", "Step 2 Viewed") is None
    assert similarity("Plan A Chosen", "Plan B Chosen") is None
    assert similarity("Product Added", "Products Added") == ("typo", 1)


def test_damerau_levenshtein() -> None:
    assert damerau_levenshtein("ordercompleted", "ordercompelted") == 1
    assert damerau_levenshtein("abc", "abc") == 0
    assert damerau_levenshtein("kitten", "sitting") == 3
    assert damerau_levenshtein("kitten", "sitting", limit=1) == 2  # stopped early: "more than 1"


@settings(max_examples=300, deadline=None)
@given(st.text("abcde ", max_size=14), st.text("abcde ", max_size=14))
def test_typos_are_within_two_edits(first: str, second: str) -> None:
    verdict = similarity(first, second)
    if verdict is not None and verdict[0] == "typo":
        assert damerau_levenshtein(name_key(first), name_key(second)) <= 2
    assert (verdict is None) == (similarity(second, first) is None)


# --- rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize("duplicate", ["Completed Order", "order completed", "Order Complete", "order_completed"])
def test_near_duplicate_events_are_errors(duplicate: str) -> None:
    issues = lint_plan(plan(events={"Order Completed": {}, duplicate: {}}))
    expected = format_path(("events", duplicate))
    assert only(issues, "near_duplicate_event") == [("error", "near_duplicate_event", expected)]
    assert "Order Completed" in next(i.message for i in issues if i.code == "near_duplicate_event")


def test_segment_spec_plan_has_no_duplicate_errors() -> None:
    issues = lint_plan(plan(events={name: {"description": "x"} for name in SEGMENT_SPEC_EVENTS}))
    assert [i for i in issues if i.severity == "error"] == []


@pytest.mark.parametrize("path", PLANS, ids=[p.name for p in PLANS])
def test_example_plans_have_no_errors(path: Path) -> None:
    issues = lint_text(path.read_text(), file=str(path))
    assert [str(i) for i in issues if i.severity == "error"] == []
    assert lint_plan(load_plan_file(path)) == [LintIssue(**{**i.to_dict(), "line": None, "file": None}) for i in issues]


@pytest.mark.parametrize(
    ("convention", "good", "bad"),
    [
        ("object_action_title", ["Order Completed", "Product List Viewed", "API Key Created"],
         ["order completed", "Order", "OrderCompleted", "Order  Completed", "order_completed"]),
        ("snake_case", ["order_completed", "signup"], ["Order Completed", "orderCompleted", "order__done"]),
        ("camelCase", ["orderCompleted", "signup"], ["OrderCompleted", "order_completed", "Order Completed"]),
        ("any", ["whatever you like", "X"], []),
    ],
)
def test_event_naming(convention: str, good: list[str], bad: list[str]) -> None:
    events = {name: {"description": "x"} for name in [*good, *bad]}
    issues = lint_plan(plan(naming={"events": convention}, events=events))
    flagged = [issue.path for issue in issues if issue.code == "event_naming"]
    assert flagged == [format_path(("events", name)) for name in bad]
    assert all(issue.severity == "warning" for issue in issues if issue.code == "event_naming")


def test_event_naming_suggests_a_name() -> None:
    issues = lint_plan(plan(events={"order_completed": {"description": "x"}}))
    assert "'Order Completed'" in next(i.message for i in issues if i.code == "event_naming")


def test_property_naming() -> None:
    properties = {"order_id": {"description": "x"}, "orderTotal": {"description": "x"},
                  "nested": {"description": "x", "properties": {"BadName": {"description": "x"}}}}
    issues = lint_plan(plan(events={"Order Completed": {"description": "x", "properties": properties}},
                            identify={"traits": {"firstName": {"description": "x"}}}))
    assert only(issues, "property_naming") == [
        ("warning", "property_naming", 'events."Order Completed".properties.orderTotal'),
        ("warning", "property_naming", 'events."Order Completed".properties.nested.properties.BadName'),
    ]  # firstName is a reserved Segment trait
    camel = lint_plan(plan(naming={"properties": "camelCase"}, events={"Order Completed": {"properties": properties}}))
    assert [p for _, _, p in only(camel, "property_naming")] == [
        'events."Order Completed".properties.order_id',
        'events."Order Completed".properties.nested.properties.BadName',
    ]


def test_missing_descriptions_are_warnings() -> None:
    issues = lint_plan(plan(events={"Order Completed": {"properties": {"total": {"type": "number"}}}}))
    assert only(issues, "missing_description") == [
        ("warning", "missing_description", 'events."Order Completed"'),
        ("warning", "missing_description", 'events."Order Completed".properties.total'),
    ]


def test_near_duplicate_properties_required_deprecated_and_enum_types() -> None:
    properties = {
        "order_id": {"type": "string"},
        "orderId": {"type": "string"},
        "legacy": {"type": "string", "required": True, "deprecated": True},
        "count": {"type": "integer", "enum": [1, "a"]},
        "ratio": {"type": "number", "enum": [1, 1.5], "nullable": True},
        "maybe": {"type": "string", "enum": ["a", None], "nullable": True},
        "mixed": {"enum": ["a", 1]},
        "fixed": {"type": "boolean", "const": "yes"},
    }
    issues = lint_plan(plan(events={"Order Completed": {"properties": properties}}))
    base = 'events."Order Completed".properties.'
    assert only(issues, "near_duplicate_property") == [("warning", "near_duplicate_property", base + "orderId")]
    assert only(issues, "required_deprecated") == [("warning", "required_deprecated", base + "legacy")]
    assert only(issues, "enum_type_mismatch") == [
        ("error", "enum_type_mismatch", base + "count"),
        ("error", "enum_type_mismatch", base + "fixed"),
    ]
    assert only(issues, "enum_mixed_types") == [("warning", "enum_mixed_types", base + "mixed")]
    assert issues[0].severity == "error"  # errors come first


def test_raw_schemas_are_checked() -> None:
    properties = {
        "bad_type": {"schema": {"type": "strin"}},
        "backref": {"schema": {"type": "string", "pattern": "(a)\\1"}},
        "lookahead": {"schema": {"type": "object", "patternProperties": {"^(?=x)": {"type": "string"}}}},
        "broken": {"schema": {"anyOf": [{"pattern": "["}]}},
        "fine": {"schema": {"type": "object", "properties": {"pattern": {"type": "string"}}}},
    }
    issues = lint_plan(plan(events={"Order Completed": {"properties": properties}}))
    base = 'events."Order Completed".properties.'
    assert only(issues, "invalid_schema") == [("error", "invalid_schema", base + "bad_type.schema.type")]
    assert only(issues, "invalid_regex") == [
        ("error", "invalid_regex", base + "backref.schema.pattern"),
        ("error", "invalid_regex", base + 'lookahead.schema.patternProperties."^(?=x)"'),
        ("error", "invalid_regex", base + "broken.schema.anyOf[0].pattern"),
    ]


def test_lint_text_reports_loading_errors_on_their_lines() -> None:
    text = "name: shop\nevents:\n  Order Completed:\n    propertys: {}\n    properties:\n      id: {pattern: '(?=a)'}\n"
    issues = lint_text(text, file="plans/shop.yaml")
    assert sorted((i.code, i.path, i.line, i.file) for i in issues) == [
        ("invalid_plan", 'events."Order Completed".properties.id', 6, "plans/shop.yaml"),
        ("invalid_plan", 'events."Order Completed".propertys', 4, "plans/shop.yaml"),
    ]
    assert any("linear-time" in issue.message for issue in issues)
    malformed = lint_text("name: [unclosed", file="x.yaml")
    assert [(i.severity, i.code) for i in malformed] == [("error", "invalid_plan")]
    assert lint_text("just a string")[0].code == "invalid_plan"


def test_lint_text_places_issues_on_lines() -> None:
    text = (
        "name: shop\nevents:\n  Order Completed:\n    description: done\n"
        "    properties:\n      total: {type: number}\n"
    )
    issues = lint_text(text, file="shop.yaml")
    assert [(i.code, i.line) for i in issues] == [("missing_description", 6)]
    assert str(issues[0]).endswith("(shop.yaml:6)")
    assert issues[0].to_dict()["severity"] == "warning"


def test_rules_are_registered_as_data() -> None:
    assert set(RULES) >= {"raw_schema", "near_duplicate_events", "event_naming", "descriptions"}
    assert all(callable(rule) for rule in RULES.values())
