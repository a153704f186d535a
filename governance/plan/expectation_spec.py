"""The Great Expectations vocabulary as data: the expectation types a plan may declare, their keys.

Declarations are checked here without importing GX (the plan loader, lint, publish and the REST
API call it; the worker runs the suites in ``governance.quality.expectations``). A regex goes
through the same linear-time engine as the plan's patterns (``plan/regex.py``): one that engine
refuses is refused here, never run by GX's backtracking engine against sampled events.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from governance.plan.regex import regex_problem

# type -> (required keys, optional keys); rows of data, one per supported expectation
EXPECTATIONS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    name: (frozenset(required), frozenset(optional))
    for name, required, optional in (
        ("expect_column_values_to_not_be_null", {"column"}, {"mostly", "meta"}),
        ("expect_column_values_to_be_null", {"column"}, {"mostly", "meta"}),
        ("expect_column_values_to_be_in_set", {"column", "value_set"}, {"mostly", "meta"}),
        ("expect_column_values_to_not_be_in_set", {"column", "value_set"}, {"mostly", "meta"}),
        ("expect_column_values_to_be_between", {"column"},
         {"min_value", "max_value", "strict_min", "strict_max", "mostly", "meta"}),
        ("expect_column_value_lengths_to_be_between", {"column"}, {"min_value", "max_value", "mostly", "meta"}),
        ("expect_column_values_to_match_regex", {"column", "regex"}, {"mostly", "meta"}),
        ("expect_column_values_to_not_match_regex", {"column", "regex"}, {"mostly", "meta"}),
        ("expect_column_values_to_be_unique", {"column"}, {"mostly", "meta"}),
        ("expect_column_distinct_values_to_be_in_set", {"column", "value_set"}, {"meta"}),
        ("expect_column_proportion_of_non_null_values_to_be_between", {"column"}, {"min_value", "max_value", "meta"}),
        ("expect_column_mean_to_be_between", {"column"}, {"min_value", "max_value", "meta"}),
        ("expect_table_row_count_to_be_between", set(), {"min_value", "max_value", "meta"}),
    )
}
UNBOUNDED_OK = frozenset({"expect_table_row_count_to_be_between"})  # min and max may both be absent


def expectation_problems(expectations: Iterable[Any]) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every problem of declared expectations as ``((index, key...), message)``."""
    for i, raw in enumerate(expectations):
        if not isinstance(raw, Mapping):
            yield (i,), f"an expectation must be an object, got {type(raw).__name__}"
            continue
        kind = raw.get("type")
        if kind not in EXPECTATIONS:
            yield (i, "type"), _unknown_type(kind)
            continue
        required, optional = EXPECTATIONS[kind]
        keys = set(raw) - {"type"}
        for key in sorted(required - keys):
            yield (i, key), f"missing; {kind} needs {', '.join(sorted(required))}"
        for key in sorted(keys - required - optional):
            yield (i, key), f"unknown key of {kind} (known: {', '.join(sorted(required | optional))})"
        yield from (((i, *loc), message) for loc, message in _value_problems(kind, raw))


def _unknown_type(kind: Any) -> str:
    from governance.plan.names import NameIndex

    guess = NameIndex(sorted(EXPECTATIONS)).closest(kind) if isinstance(kind, str) else None
    hint = f'; did you mean "{guess}"?' if guess and guess != kind else ""
    return f"unknown expectation type {kind!r}{hint}"


def _value_problems(kind: str, raw: Mapping[str, Any]) -> Iterator[tuple[tuple[str, ...], str]]:
    if "column" in raw and not (isinstance(raw["column"], str) and raw["column"]):
        yield ("column",), "must be a non-empty string"
    mostly = raw.get("mostly", 1.0)
    if isinstance(mostly, bool) or not isinstance(mostly, int | float) or not 0.0 <= mostly <= 1.0:
        yield ("mostly",), "must be a number in [0, 1]"
    if "meta" in raw and not isinstance(raw["meta"], Mapping):
        yield ("meta",), "must be an object"
    if "value_set" in raw and not isinstance(raw["value_set"], list | tuple):
        yield ("value_set",), "must be a list"
    for key in ("strict_min", "strict_max"):
        if key in raw and not isinstance(raw[key], bool):
            yield (key,), "must be true or false"
    bounds = {k: raw.get(k) for k in ("min_value", "max_value")}
    bad = [k for k, b in bounds.items() if b is not None and not _finite_number(b)]
    for key in bad:
        yield (key,), "must be a finite number"
    ranged = "min_value" in EXPECTATIONS[kind][1] and kind not in UNBOUNDED_OK
    if not bad and ranged and bounds["min_value"] is None and bounds["max_value"] is None:
        yield ("min_value",), "give min_value, max_value or both"
    if not bad and None not in bounds.values() and bounds["min_value"] > bounds["max_value"]:  # type: ignore[operator]
        yield ("min_value",), "is greater than max_value"
    if "regex" in raw:
        pattern = raw["regex"]
        problem = regex_problem(pattern) if isinstance(pattern, str) else "must be a string"
        if problem:
            yield ("regex",), problem


def _finite_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def validate_expectations(expectations: Iterable[Any]) -> list[dict[str, Any]]:
    """Normalised copies of declared expectations, or ``ValueError`` naming the first problem."""
    items = list(expectations)
    for loc, message in expectation_problems(items):
        where = f"expectation #{loc[0]}" + (f" ({items[loc[0]].get('type')})" if isinstance(items[loc[0]], Mapping)
                                            and loc[1:] != ("type",) else "")
        key = f" {'.'.join(map(str, loc[1:]))}:" if loc[1:] else ":"
        raise ValueError(f"{where}{key} {message}")
    return [dict(raw) for raw in items]
