"""Great Expectations suites over event samples: the ``expectations`` check kind (worker only).

Expectations are declared as plain dicts, ``{"type": "expect_column_values_to_not_be_null",
"column": "properties.order_id", "mostly": 0.99}``; columns are dotted paths into the event.
Declarations are checked without GX by ``governance.plan.expectation_spec`` (re-exported here);
``run_suite`` imports GX on first use: never import this module's GX parts in the web process.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from governance.plan.expectation_spec import EXPECTATIONS, validate_expectations

__all__ = ["EXPECTATIONS", "SuiteResult", "column_paths", "lookup", "run_suite", "validate_expectations"]

RESULT_KEYS = ("element_count", "unexpected_count", "unexpected_percent", "missing_count", "observed_value")
MAX_EXAMPLES = 10
INDEX_KEY = "governance_index"


@dataclass(frozen=True)
class SuiteResult:
    """Outcome of one suite run; ``results`` are JSON-serialisable dicts, one per expectation."""

    success: bool
    results: list[dict[str, Any]]
    elapsed_s: float
    rows: int
    statistics: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def column_paths(expectations: Iterable[Mapping[str, Any]]) -> list[str]:
    """The distinct columns the expectations read, in declaration order."""
    return list(dict.fromkeys(e["column"] for e in expectations if "column" in e))


def lookup(event: Mapping[str, Any], path: str) -> Any:
    """Value at a dotted path (``properties.order.id``), ``None`` when absent.

    Nested keys are followed first; when a step is missing, the rest of the path is tried as one
    key (a property named ``"a.b"``).
    """
    node: Any = event
    parts = path.split(".")
    for i, part in enumerate(parts):
        if not isinstance(node, dict):
            return None
        if part in node:
            node = node[part]
        else:
            return node.get(".".join(parts[i:])) if i < len(parts) - 1 else None
    return node


def to_columns(events: Sequence[Mapping[str, Any]], paths: Iterable[str]) -> dict[str, list[Any]]:
    """Only the needed columns of the flattened events (faster than flattening everything)."""
    return {path: [lookup(e, path) for e in events] for path in paths}


class _Runtime:
    """The ephemeral GX context and pandas batch definition, built once per process."""

    _lock = threading.Lock()
    _instance: _Runtime | None = None

    def __init__(self) -> None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        asset = self.context.data_sources.add_pandas("governance_events").add_dataframe_asset("events")
        self.batch_definition = asset.add_batch_definition_whole_dataframe("sample")

    @classmethod
    def get(cls) -> _Runtime:
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance


def run_suite(events: Sequence[Mapping[str, Any]], expectations: Sequence[Mapping[str, Any]]) -> SuiteResult:
    """Validate ``events`` against the declared ``expectations`` with Great Expectations.

    ``elapsed_s`` covers building the columns and validating; the first call also imports GX and
    sets up the context (seconds), which ``elapsed_s`` leaves out.
    """
    declared = validate_expectations(expectations)
    runtime = _Runtime.get()  # one-time import and set-up, not counted in elapsed_s
    started = time.perf_counter()
    import pandas as pd
    from great_expectations.expectations.registry import get_expectation_impl

    suite = runtime.gx.ExpectationSuite(name="governance")
    for index, spec in enumerate(declared):
        kwargs = {k: v for k, v in spec.items() if k != "type"}
        kwargs["meta"] = {**(spec.get("meta") or {}), INDEX_KEY: index}  # GX reorders results
        suite.add_expectation(get_expectation_impl(spec["type"])(**kwargs))
    frame = pd.DataFrame(to_columns(events, column_paths(declared)), index=pd.RangeIndex(len(events)))
    with _Runtime._lock:  # one validation at a time on the shared context
        batch = runtime.batch_definition.get_batch(batch_parameters={"dataframe": frame})
        outcome = batch.validate(suite, result_format="BASIC")
    by_index = {int(r.expectation_config.meta[INDEX_KEY]): r.to_json_dict() for r in outcome.results}
    results = [_result(spec, by_index[i]) for i, spec in enumerate(declared)]
    stats = {k: v for k, v in (outcome.statistics or {}).items() if isinstance(v, int | float | None)}
    return SuiteResult(bool(outcome.success), results, time.perf_counter() - started, len(events), stats)


def _result(spec: Mapping[str, Any], raw: Mapping[str, Any]) -> dict[str, Any]:
    """A compact, JSON-serialisable view of one expectation's result."""
    detail = raw.get("result") or {}
    return {
        "expectation": dict(spec),
        "success": bool(raw.get("success")),
        "result": {k: detail[k] for k in RESULT_KEYS if k in detail},
        "examples": list(detail.get("partial_unexpected_list") or [])[:MAX_EXAMPLES],
        "error": _error(raw.get("exception_info") or {}),
    }


def _error(info: Mapping[str, Any]) -> str | None:
    """The exception message GX recorded, flat or keyed by metric (when a metric failed)."""
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():
        if isinstance(value, Mapping) and value.get("raised_exception", True) and value.get("exception_message"):
            return str(value["exception_message"])
    return None
