"""``expectations``: a Great Expectations 1.x suite over the recent sampled events of one event.

The suite is declared in the plan (the event's ``expectations:``) or in the check's params;
Great Expectations is imported on the first run, in the worker only (``GX_ANALYTICS_ENABLED``
is forced to ``false``). The whole GX result is stored with the run.
"""

from __future__ import annotations

from typing import Any

from governance.plan.check_spec import ExpectationsParams
from governance.quality.checks.base import CheckContext, CheckKind, Observation, kind
from governance.quality.detect import Finding


def _describe(result: dict[str, Any]) -> str:
    spec = result["expectation"]
    column = f"({spec['column']})" if "column" in spec else ""
    detail = result.get("result") or {}
    extra = f" {detail['unexpected_percent']:.1f}% unexpected" if detail.get("unexpected_percent") else ""
    if "observed_value" in detail:
        extra += f" observed {detail['observed_value']}"
    return f"{spec['type']}{column}{extra}"


def evaluate(ctx: CheckContext) -> list[Observation]:
    from governance.quality.expectations import run_suite  # GX is imported on the first run only

    p: ExpectationsParams = ctx.params
    event = ctx.check.event
    events = ctx.data.samples(event, start_minutes_ago=p.window, end_minutes_ago=0, limit=p.max_events)
    if len(events) < p.min_events:
        return [Observation(event, "", None, {"skipped": f"{len(events)} sampled events < min_events"})]
    outcome = run_suite(events, list(p.expectations))
    result = outcome.to_dict()
    if outcome.success:
        return [Observation(event, "", None, result)]
    failed = [r for r in outcome.results if not r["success"]]
    message = (f"{len(failed)} of {len(outcome.results)} expectations failed over {outcome.rows} sampled "
               f"events: " + "; ".join(_describe(r) for r in failed[:5]))
    finding = Finding("expectations", message, float(len(failed)), 0.0, float(len(failed)),
                      {"failed": [_describe(r) for r in failed], "rows": outcome.rows})
    return [Observation(event, "", finding, result)]


KIND: CheckKind = kind("expectations", evaluate)
