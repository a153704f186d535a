"""Per-event cost of the compiled validators vs pure-Python ``jsonschema`` on the same events."""

from __future__ import annotations

import time
from typing import Any

from governance.bench.servers import ROOT


def validation_speedup(events: list[dict[str, Any]]) -> dict[str, float]:
    """``is_valid`` then every error of an invalid event, best of three on both sides."""
    import jsonschema

    from governance.plan.compile import compile_validators
    from governance.plan.loader import load_plan_file
    from governance.proxy.violations import violations_of

    compiled = compile_validators(load_plan_file(ROOT / "plans" / "ecommerce.yaml"))
    keys = [("track", e["event"], 1) for e in events]
    best = float("inf")
    for _ in range(3):  # the same work on both sides: is_valid, and every error of an invalid event
        started = time.perf_counter()
        for key, event in zip(keys, events, strict=True):
            validator = compiled.validators[key]
            if not validator.is_valid(event):
                list(validator.iter_errors(event))
        best = min(best, time.perf_counter() - started)
    fast = best / len(events)
    started = time.perf_counter()
    for key, event in zip(keys, events, strict=True):
        validator = compiled.validators[key]
        if not validator.is_valid(event):
            violations_of(validator, event)
    classified = (time.perf_counter() - started) / len(events)
    python = {key: jsonschema.Draft202012Validator(compiled.schemas[key]) for key in set(keys)}
    subset = events[: max(200, len(events) // 10)]
    best = float("inf")
    for _ in range(3):  # best of three on both sides: shared machines are noisy
        started = time.perf_counter()
        for event in subset:
            validator = python[("track", event["event"], 1)]
            if not validator.is_valid(event):
                list(validator.iter_errors(event))
        best = min(best, time.perf_counter() - started)
    slow = best / len(subset)
    return {"compiled_us_per_event": round(fast * 1e6, 2), "jsonschema_us_per_event": round(slow * 1e6, 2),
            "validation_speedup": round(slow / fast, 1),
            "compiled_with_violations_us_per_event": round(classified * 1e6, 2)}
