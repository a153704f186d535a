"""The example plans in ``plans/`` load, compile, follow Segment's specs and accept real messages."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from governance.plan.compile import COMMON_KEY, CompiledPlan, compile_validators
from governance.plan.loader import load_plan_file

PLANS_DIR = Path(__file__).resolve().parent.parent / "plans"
PLAN_FILES = sorted(PLANS_DIR.glob("*.yaml"))

ECOMMERCE_SPEC_EVENTS = {
    "Products Searched",
    "Product List Viewed",
    "Product Viewed",
    "Product Added",
    "Product Removed",
    "Cart Viewed",
    "Checkout Started",
    "Checkout Step Completed",
    "Payment Info Entered",
    "Order Completed",
    "Order Refunded",
    "Coupon Applied",
}

# An `Order Completed` call as Segment's V2 Ecommerce spec shows it, wrapped in the message
# analytics-python sends (integrations, anonymousId null, context.library, messageId, ...).
ORDER_COMPLETED: dict[str, Any] = {
    "type": "track",
    "event": "Order Completed",
    "userId": "019mr8mf4r",
    "anonymousId": None,
    "messageId": "f3fa5087-29b9-4175-b208-353b1b5a0b53",
    "timestamp": "2024-05-11T14:17:29.645+00:00",
    "integrations": {},
    "context": {"library": {"name": "analytics-python", "version": "2.4.0"}},
    "properties": {
        "checkout_id": "fksdjfsdjfisjf9sdfjsd9f",
        "order_id": "50314b8e9bcf000000000000",
        "affiliation": "Google Store",
        "total": 27.50,
        "subtotal": 22.50,
        "revenue": 25.00,
        "shipping": 3,
        "tax": 2,
        "discount": 2.5,
        "coupon": "hasbros",
        "currency": "USD",
        "products": [
            {
                "product_id": "507f1f77bcf86cd799439011",
                "sku": "45790-32",
                "name": "Monopoly: 3rd Edition",
                "price": 19,
                "quantity": 1,
                "category": "Games",
                "url": "https://www.example.com/product/path",
                "image_url": "https://www.example.com/product/path.jpg",
            },
            {
                "product_id": "505bd76785ebb509fc183733",
                "sku": "46493-32",
                "name": "Uno Card Game",
                "price": 3,
                "quantity": 2,
                "category": "Games",
            },
        ],
    },
}


def compiled(name: str) -> CompiledPlan:
    return compile_validators(load_plan_file(PLANS_DIR / f"{name}.yaml"))


def order_completed(**changes: Any) -> dict[str, Any]:
    message = copy.deepcopy(ORDER_COMPLETED)
    message["properties"].update(changes)
    return message


def test_the_three_example_plans_exist() -> None:
    assert {path.stem for path in PLAN_FILES} >= {"ecommerce", "saas", "mobile"}


@pytest.mark.parametrize("path", PLAN_FILES, ids=lambda p: p.stem)
def test_plan_loads_and_compiles(path: Path) -> None:
    plan = load_plan_file(path)
    assert plan.name == path.stem
    result = compile_validators(plan)
    assert COMMON_KEY in result.validators
    assert set(result.validators) == set(result.schemas)


@pytest.mark.parametrize("path", PLAN_FILES, ids=lambda p: p.stem)
def test_every_event_has_owner_labels_and_descriptions(path: Path) -> None:
    plan = load_plan_file(path)
    for name, event in plan.events.items():
        assert event.description, name
        assert event.owner and "@" in event.owner, name
        assert event.labels, name
        for prop, spec in event.properties.items():
            assert spec.description, f"{name}.{prop}"


def test_ecommerce_plan_has_every_spec_event() -> None:
    plan = load_plan_file(PLANS_DIR / "ecommerce.yaml")
    assert plan.name == "ecommerce"
    assert plan.display_name == "E-commerce"
    assert set(plan.events) >= ECOMMERCE_SPEC_EVENTS


def test_spec_order_completed_is_valid() -> None:
    result = compiled("ecommerce")
    validator = result.validators[("track", "Order Completed", 1)]
    errors = [error.message for error in validator.iter_errors(ORDER_COMPLETED)]
    assert errors == []
    assert result.validators[COMMON_KEY].is_valid(ORDER_COMPLETED)


@pytest.mark.parametrize(
    "changes",
    [
        {"total": "12"},  # a numeric string is not a number
        {"total": -1},  # money is never negative
        {"currency": "usd"},  # ISO 4217, upper case
        {"order_id": None},
        {"products": [{"product_id": "p1", "price": "19"}]},
        {"coupon_code": "hasbros"},  # unplanned property: the properties object is closed
    ],
    ids=["total-string", "total-negative", "currency-lower", "order-id-null", "price-string", "unplanned"],
)
def test_invalid_order_completed(changes: dict[str, Any]) -> None:
    validator = compiled("ecommerce").validators[("track", "Order Completed", 1)]
    assert not validator.is_valid(order_completed(**changes))


def test_order_completed_requires_order_id() -> None:
    validator = compiled("ecommerce").validators[("track", "Order Completed", 1)]
    message = order_completed()
    del message["properties"]["order_id"]
    assert not validator.is_valid(message)


def test_total_as_string_is_reported_at_its_path() -> None:
    validator = compiled("ecommerce").validators[("track", "Order Completed", 1)]
    errors = list(validator.iter_errors(order_completed(total="12")))
    assert [list(error.instance_path) for error in errors] == [["properties", "total"]]


def test_real_analytics_python_messages_pass_the_lenient_common_schemas() -> None:
    client_module = pytest.importorskip("segment.analytics.client")
    client = client_module.Client("write-key", send=False)
    _, track = client.track(user_id="u1", event="Order Completed", properties={"order_id": "o1"})
    _, identify = client.identify(user_id="u1", traits={"email": "ann@example.com"})
    for name in ("ecommerce", "saas"):
        common = compiled(name).validators[COMMON_KEY]
        assert common.is_valid(track), name
        assert common.is_valid(identify), name
    # a server-side library has no app version: the mobile plan's common schema refuses it
    assert not compiled("mobile").validators[COMMON_KEY].is_valid(track)


def test_mobile_common_schema_requires_the_app_version() -> None:
    common = compiled("mobile").validators[COMMON_KEY]
    message = {"type": "screen", "name": "Home", "properties": {}, "context": {"app": {"version": "4.2.0"}}}
    assert common.is_valid(message)
    assert not common.is_valid({**message, "context": {"app": {"build": "1"}}})
    assert not common.is_valid({**message, "context": {"app": {"version": 4.2}}})


def test_saas_group_traits() -> None:
    validator = compiled("saas").validators[("group", "", 1)]
    group = {
        "type": "group",
        "groupId": "0e8c78ea9d97a7b8185e8632",
        "traits": {"name": "Initech", "industry": "Technology", "employees": 329, "plan": "enterprise"},
    }
    assert validator.is_valid(group)
    assert not validator.is_valid({**group, "traits": {**group["traits"], "employees": -1}})
    assert not validator.is_valid({**group, "traits": {**group["traits"], "plan": "platinum"}})


@pytest.mark.parametrize("path", PLAN_FILES, ids=lambda p: p.stem)
def test_plan_is_lint_clean(path: Path) -> None:
    lint = pytest.importorskip("governance.plan.lint")
    assert list(lint.lint_plan(load_plan_file(path))) == []
