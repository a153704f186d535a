"""Great Expectations suites over events: declaration checks, mostly semantics, results."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from governance.quality.expectations import lookup, run_suite, validate_expectations

NOT_NULL = "expect_column_values_to_not_be_null"


def order(i: int, **props: Any) -> dict[str, Any]:
    return {"type": "track", "event": "Order Completed", "messageId": f"m{i}",
            "properties": {"order_id": f"o-{i}", "revenue": 10.0 + i, "currency": "EUR", **props}}


@pytest.fixture(scope="module")
def events() -> list[dict[str, Any]]:
    """100 orders, 2 of them without an order id, one in a currency outside the set."""
    out = [order(i) for i in range(100)]
    out[3]["properties"]["order_id"] = None
    del out[7]["properties"]["order_id"]
    out[9]["properties"]["currency"] = "XXX"
    return out


def test_importing_the_module_does_not_import_great_expectations() -> None:
    code = "import sys, governance.quality.expectations; assert 'great_expectations' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "expect_column_values_to_be_purple", "column": "x"}, "expect_column_values_to_be_purple"),
        ({"column": "x"}, "unknown expectation type None"),
        ({"type": NOT_NULL}, "column: missing"),
        ({"type": NOT_NULL, "column": "x", "mostly": 1.5}, "mostly"),
        ({"type": NOT_NULL, "column": "x", "colum": "y"}, "colum: unknown key"),
        ({"type": "expect_column_values_to_be_between", "column": "x"}, "min_value, max_value or both"),
        ({"type": "expect_column_values_to_be_between", "column": "x", "min_value": 5, "max_value": 1}, "greater"),
        ({"type": "expect_column_values_to_match_regex", "column": "x", "regex": "("}, "invalid regular expression"),
        ({"type": "expect_column_values_to_match_regex", "column": "x", "regex": r"(a)\1"}, "linear-time engine"),
        ({"type": "expect_column_values_to_be_in_sett", "column": "x", "value_set": [1]},
         'did you mean "expect_column_values_to_be_in_set"'),
        ({"type": "expect_column_values_to_be_in_set", "column": "x", "value_set": "EUR"}, "value_set"),
    ],
)
def test_declarations_are_checked_with_clear_errors(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        validate_expectations([spec])


def test_an_unknown_type_errors_before_great_expectations_runs(events: list[dict[str, Any]]) -> None:
    with pytest.raises(ValueError, match="expect_something_else"):
        run_suite(events, [{"type": "expect_something_else", "column": "properties.x"}])


def test_lookup_follows_dotted_paths_and_dotted_keys() -> None:
    event = {"properties": {"order": {"id": 7}, "a.b": 1}, "context": None}
    assert lookup(event, "properties.order.id") == 7
    assert lookup(event, "properties.a.b") == 1
    assert lookup(event, "properties.missing") is None
    assert lookup(event, "context.app.version") is None


def test_mostly_decides_pass_or_fail(events: list[dict[str, Any]]) -> None:
    result = run_suite(events, [
        {"type": NOT_NULL, "column": "properties.order_id", "mostly": 0.98},
        {"type": NOT_NULL, "column": "properties.order_id", "mostly": 0.99},
        {"type": "expect_column_values_to_be_in_set", "column": "properties.currency", "value_set": ["EUR"],
         "mostly": 0.99},
    ])
    assert [r["success"] for r in result.results] == [True, False, True]
    assert result.results[1]["result"]["unexpected_count"] == 2
    assert result.success is False and result.rows == 100 and result.elapsed_s > 0
    json.dumps(result.to_dict())  # stored with the run: must serialise


def test_suite_results_keep_the_declared_order_and_carry_examples(events: list[dict[str, Any]]) -> None:
    declared = [
        {"type": "expect_table_row_count_to_be_between", "min_value": 1, "max_value": 1000},
        {"type": "expect_column_values_to_match_regex", "column": "properties.order_id", "regex": r"^o-\d+$"},
        {"type": "expect_column_values_to_be_in_set", "column": "properties.currency", "value_set": ["EUR"]},
        {"type": "expect_column_values_to_be_between", "column": "properties.revenue", "min_value": 0,
         "max_value": 50},
    ]
    result = run_suite(events, declared)
    assert [r["expectation"] for r in result.results] == declared
    assert [r["success"] for r in result.results] == [True, True, False, False]
    assert result.results[0]["result"]["observed_value"] == 100
    assert result.results[2]["examples"] == ["XXX"]
    assert result.statistics["evaluated_expectations"] == 4


def test_a_missing_column_is_all_nulls_and_a_type_clash_is_reported(events: list[dict[str, Any]]) -> None:
    mixed = [order(0, quantity=1), order(1, quantity="2")]
    result = run_suite(events + mixed, [
        {"type": NOT_NULL, "column": "properties.coupon"},
        {"type": "expect_column_values_to_be_between", "column": "properties.quantity", "min_value": 0,
         "max_value": 10},
    ])
    missing, clash = result.results
    assert missing["success"] is False and missing["result"]["unexpected_count"] == 102
    assert clash["success"] is False and clash["error"]
