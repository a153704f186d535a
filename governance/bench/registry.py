"""``governance bench registry``: compile and diff a generated 3,000-event plan."""

from __future__ import annotations

import random
import time
from typing import Any

import psutil

from governance.plan.compile import compile_validators
from governance.plan.diff import diff_plans
from governance.plan.model import Plan

WORDS = ("Order", "Product", "Cart", "Checkout", "Coupon", "Account", "Trial", "Invite", "Page", "Video",
         "Search", "Payment", "Subscription", "Report", "Message", "File", "Team", "Project", "Task", "Widget")
ACTIONS = ("Viewed", "Completed", "Started", "Added", "Removed", "Updated", "Shared", "Deleted", "Opened",
           "Closed", "Sent", "Received", "Applied", "Failed", "Exported")


def generated_plan(events: int, *, seed: int = 0, properties: int = 8) -> dict[str, Any]:
    """A realistic plan body with ``events`` track events of ``properties`` properties each."""
    rng = random.Random(seed)
    body: dict[str, Any] = {"name": "bench", "events": {}}
    for i in range(events):
        name = f"{rng.choice(WORDS)} {rng.choice(ACTIONS)} {i}"
        props: dict[str, Any] = {}
        for j in range(properties):
            kind = rng.choice(("string", "number", "integer", "boolean", "enum", "pattern", "array"))
            spec: dict[str, Any]
            if kind == "enum":
                spec = {"type": "string", "enum": ["a", "b", "c", "d"]}
            elif kind == "pattern":
                spec = {"type": "string", "pattern": "^[A-Z]{3}$"}
            elif kind == "array":
                spec = {"type": "array", "items": {"type": "object", "properties": {"sku": {"type": "string"}}}}
            elif kind in {"number", "integer"}:
                spec = {"type": kind, "minimum": 0, "maximum": 10_000}
            else:
                spec = {"type": kind}
            spec["required"] = j < 2
            spec["description"] = f"property {j}"
            props[f"prop_{j}_{kind}"] = spec
        body["events"][name] = {"description": f"event {i}", "owner": "team@example.com", "properties": props}
    return body


def run(events: int = 3000) -> dict[str, Any]:
    process = psutil.Process()
    rss_before = process.memory_info().rss
    old_body = generated_plan(events, seed=1)
    plan = Plan.model_validate(old_body)
    started = time.perf_counter()
    compiled = compile_validators(plan, meta_validate=True)
    compile_s = time.perf_counter() - started
    rss_mb = process.memory_info().rss / 2**20
    # a second version: change 5 % of events (a property added, a type changed, one removed)
    new_body = generated_plan(events, seed=1)
    rng = random.Random(2)
    for name in rng.sample(sorted(new_body["events"]), events // 20):
        props = new_body["events"][name]["properties"]
        props["added_prop"] = {"type": "string", "description": "new"}
        first = sorted(props)[0]
        props[first]["type"] = "string"
    new_plan = Plan.model_validate(new_body)
    started = time.perf_counter()
    changes = diff_plans(plan, new_plan)
    diff_s = time.perf_counter() - started
    return {
        "events": events,
        "schemas": len(compiled.schemas),
        "compile_s": round(compile_s, 3),
        "compile_goal_s": 2.0,
        "rss_mb": round(rss_mb, 1),
        "rss_delta_mb": round((process.memory_info().rss - rss_before) / 2**20, 1),
        "rss_goal_mb": 300,
        "diff_s": round(diff_s, 3),
        "diff_goal_s": 1.0,
        "changes": len(changes),
    }
