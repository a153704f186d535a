"""Imports carry the source's naming convention into the plan, so lint flags exceptions, not everything."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
import pytest

from governance.formats import export_plan, import_plan, infer_plan
from governance.formats.naming import detect
from governance.plan.lint import lint_plan
from governance.plan.loader import plan_from_data


def _naming_warnings(plan: object) -> Counter[str]:
    return Counter(i.code for i in lint_plan(plan) if i.code.endswith("_naming"))  # type: ignore[arg-type]


def test_detect_needs_two_thirds_of_the_names() -> None:
    assert detect(["orderId", "totalPrice", "currency"], ("snake_case", "camelCase")) == (
        "camelCase", "3 of 3 names")  # "currency" fits both
    assert detect(["order_id", "total_price", "sku", "couponCode"], ("snake_case", "camelCase"))[0] == "snake_case"
    convention, why = detect(["a_b", "c_d", "eF", "gH"], ("snake_case", "camelCase"))
    assert convention == "any" and why == "no convention fits 4 names: snake_case 2, camelCase 2"
    assert detect([], ("snake_case", "camelCase")) == ("snake_case", "no names")
    assert detect(["Order Completed", "Cart Viewed", "signup"], ("object_action_title", "snake_case",
                                                                 "camelCase"))[0] == "object_action_title"


def test_a_camel_case_segment_plan_lints_only_its_exceptions(peer: Path) -> None:
    path = peer / "segment" / "typewriter-telemetry-plan.json"
    result = import_plan("segment", path)
    assert result.plan.naming.properties == "camelCase"
    assert _naming_warnings(result.plan)["property_naming"] == 0
    item = next(i for i in result.report if i.path == "naming")
    assert item.severity == "info" and "properties camelCase (27 of 27 names)" in item.message
    # the same plan named the default way flags every property: what the detection spares
    default = plan_from_data({k: v for k, v in result.plan.body().items() if k != "naming"})
    assert _naming_warnings(default)["property_naming"] >= 20
    # events keep Title Case; the two that break it are still flagged
    assert result.plan.naming.events == "object_action_title"
    assert _naming_warnings(result.plan)["event_naming"] == 2


def test_names_that_follow_no_convention_are_not_flagged_one_by_one(peer: Path) -> None:
    e2e = import_plan("segment", peer / "segment" / "typewriter-plan-config-api-v1.json").plan
    assert e2e.naming.properties == "any" and _naming_warnings(e2e)["property_naming"] == 0
    rudder = import_plan("rudderstack", peer / "rudderstack" / "update").plan  # "API Method", "User Agent"
    assert rudder.naming.properties == "any"
    typer = import_plan("rudderstack", peer / "rudderstack" / "typer-project").plan  # someString, someArray
    assert typer.naming.properties == "camelCase" and not _naming_warnings(typer)
    iglu = import_plan("iglu", peer / "snowplow").plan  # vendor/name events, snake and camel properties
    assert (iglu.naming.events, iglu.naming.properties) == ("any", "any")


def test_a_snake_case_plan_keeps_the_defaults() -> None:
    rules = [{"type": "TRACK", "key": "Order Completed", "version": 1, "jsonSchema": {
        "type": "object", "properties": {"properties": {"type": "object", "properties": {
            "order_id": {"type": "string"}, "total_cents": {"type": "integer"}}}}}}]
    plan = import_plan("segment", orjson.dumps(rules), name="shop").plan
    assert "naming" not in plan.body()


def test_the_jsonschema_bundle_keeps_the_plan_s_own_naming() -> None:
    plan = plan_from_data({"name": "shop", "events": {"Order Completed": {"properties": {
        "orderId": {"type": "string"}}}}})  # camelCase names, default naming: stays as written
    again = import_plan("jsonschema", export_plan("jsonschema", plan)).plan
    assert again.body() == plan.body()


@pytest.mark.parametrize("style", ["camelCase", "snake_case"])
def test_an_inferred_plan_follows_its_traffic(style: str) -> None:
    key = {"camelCase": "orderId", "snake_case": "order_id"}[style]
    messages = [{"type": "track", "event": "Order Completed", "properties": {key: str(i), "total": i}}
                for i in range(5)]
    plan, report = infer_plan(messages, name="t")
    assert plan.naming.properties == style
    assert not _naming_warnings(plan)
    assert any(i.path == "naming" for i in report.items)
