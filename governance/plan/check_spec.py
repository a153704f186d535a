"""The check kinds as data: each kind's parameters (a pydantic model, hence a JSON Schema), scope and
defaults, read by the plan (lint, load, publish: a bad check is a 422 with its path) and by
``governance.quality.checks``, which runs them. One definition, two readers: ``plan/`` never
imports ``quality/``.

    kind             scope   params model          cadence  for  keep  severity
    volume           event   VolumeCheckParams     regular    3     2  warning
    silence          event   SilenceParams         fast       1     2  warning
    source_drop      source  SourceDropParams      fast       4   720  warning
    decline          event   DeclineCheckParams    regular   36    12  info
    violation_rate   event   ViolationRateParams   fast       2     4  warning
    new_unplanned    source  NewUnplannedParams    fast       1    12  warning
    drift            event   DriftParams           regular    3     2  warning
    expectations     event   ExpectationsParams    regular    1     0  warning

``for`` and ``keep`` count evaluations at the kind's cadence: regular is
``GOVERNANCE_SCHEDULER_INTERVAL_S`` (5 min), fast ``GOVERNANCE_SCHEDULER_FAST_INTERVAL_S`` (15 s),
so the first alerts come fast (docs/quality/checks.md, "The scheduler").

A plug-in kind is a ``CheckKind`` behind an entry point of ``governance.check_kinds``; its
``spec`` is found through the same entry point (``spec_of``), or registered here by
``governance.quality.checks.register``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from governance.plan.expectation_spec import expectation_problems, validate_expectations

if TYPE_CHECKING:
    from governance.plan.model import Plan

Scope = Literal["event", "source"]
Severity = Literal["info", "warning", "critical"]
RESERVED_PARAMS = ("enabled", "scope")  # read by the plan sync, never passed to a kind
Loc = tuple[Any, ...]


class Params(BaseModel):
    """Base of every kind's params: unknown keys are an error, never silently ignored."""

    model_config = ConfigDict(extra="forbid")


def _windows_upto(value: list[int], longest: int) -> list[int]:
    if any(not 1 <= w <= longest for w in value):
        raise ValueError(f"windows are 1..{longest} minutes")
    return sorted(set(value))


def minute_windows(value: list[int]) -> list[int]:
    """A check's trailing windows: 1 to 60 minutes each, sorted, once each."""
    return _windows_upto(value, 60)


def volume_windows(value: list[int]) -> list[int]:
    """The volume check's windows: 1 to 120 minutes each (its expectation spans three hours), sorted, once each."""
    return _windows_upto(value, 120)


class VolumeCheckParams(Params):
    direction: Literal["drop", "spike", "both"] = Field("both", description="Which changes fire")
    sensitivity: float = Field(3.0, gt=0, description="z-score a window must pass")
    min_volume: float = Field(100.0, ge=0, description="Expected events/hour below which nothing fires")
    min_drop: float = Field(0.4, gt=0, le=1, description="Relative drop a window must show")
    min_spike: float = Field(1.0, gt=0, description="Relative rise a window must show")
    min_count: float = Field(100.0, ge=0, description="Expected events a window must hold to be judged")
    deep_count: float = Field(60.0, ge=0, description="Expected events from which a window of 30 minutes or more "
                              "is judged for a deep drop (below min_count; at or above min_count: off)")
    deep_drop: float = Field(0.5, gt=0, le=1, description="Relative drop a window under min_count must show")
    deep_z: float = Field(2.0, gt=0, description="z-score a judged window at most 1 - deep_drop of its low expectation "
                          "must pass, from three weeks of samples (at or above sensitivity: off)")
    warmup_drop: float = Field(0.7, ge=0, lt=1, description="Weeks 1-2, where the recent hours ran under "
                               "warmup_level of their high expectation: relative drop a window must show (0: off)")
    warmup_level: float = Field(0.6, gt=0, description="Share of their high expectation under which the recent "
                                "hours make weeks 1-2 ask warmup_drop of a drop")
    windows: list[int] = Field([10, 20, 30, 60], min_length=1, description="Trailing windows, minutes")
    level_hours: int = Field(12, ge=1, le=48, description="Recent hours that set today's level")
    min_error: float = Field(0.1, ge=0, description="Floor of the expectation's relative error")
    weeks: int = Field(4, ge=1, le=4, description="Weeks of same-hour-of-week history in the estimate")

    _windows = field_validator("windows")(volume_windows)


class SilenceParams(Params):
    after_minutes: float = Field(15.0, gt=0, description="Minutes without the event before it counts as silent")
    min_expected: float = Field(20.0, gt=0, description="Events owed over the gap before it fires (chance: exp(-n))")
    settle_minutes: float = Field(3.0, ge=0, le=60,
                                  description="Minutes the expected events must already have been owed (a schedule "
                                              "running a few minutes late is not a silence)")
    horizon_hours: int = Field(48, ge=1, le=48, description="Hours of the gap the expectation integrates at most")
    weeks: int = Field(4, ge=1, le=4, description="Weeks of same-hour-of-week history in the estimate")


class SourceDropParams(Params):
    windows: list[int] = Field([20, 60], min_length=1, description="Trailing windows, minutes; one that holds is "
                               "enough")
    min_drop: float = Field(0.3, gt=0, le=1, description="An event is low when its window holds at most 1 - min_drop "
                            "of its low expectation")
    min_share: float = Field(0.5, gt=0, le=1, description="Share of the judged events' expected volume the low events "
                             "must hold")
    min_events_share: float = Field(0.6, gt=0, le=1, description="Share of the judged events that must be low")
    min_events: int = Field(3, ge=1, description="Low events at least")
    min_event_count: float = Field(10.0, ge=0, description="Expected events a window must hold for its event to be "
                                   "judged")
    min_count: float = Field(200.0, ge=0, description="Expected events the judged events' windows must hold together")
    sensitivity: float = Field(3.0, gt=0, description="z-score the judged events' total must fall below its "
                               "expectation")
    hold_factor: float = Field(0.5, gt=0, le=1, description="While its alert fires, the two shares it needs are "
                               "this much of min_share and min_events_share")
    weeks: int = Field(4, ge=1, le=4, description="Weeks of same-hour-of-week history in each event's estimate")

    _windows = field_validator("windows")(minute_windows)


class DeclineCheckParams(Params):
    min_decline: float = Field(0.3, gt=0, lt=1, description="Shortfall of the last 24 h against the 4-week level")
    confirm: float = Field(0.15, ge=0, lt=1, description="Shortfall the 24 h before must show too")
    min_per_day: float = Field(240.0, ge=0, description="Events a day the reference must hold to be judged")
    weeks: int = Field(4, ge=2, le=4, description="Weeks of same-hour-of-week history in the reference")


class ViolationRateParams(Params):
    window: int = Field(30, ge=1, le=1440, description="Trailing window, minutes (judged while the short one still "
                        "shows the problem)")
    short_window: int = Field(5, ge=0, le=1440, description="Short trailing window, minutes, that fires a burst on "
                              "its own within minutes (0: off)")
    short_min_events: int = Field(25, ge=1, description="Events the short window must hold to be judged (25 in 5 "
                                  "min: 300/h)")
    short_confidence_z: float = Field(5.0, ge=0, description="z of the short window's Wilson lower bound (stricter: "
                                      "it is judged every minute on few events)")
    threshold: float = Field(0.05, gt=0, le=1, description="Share of events with violations above which it fires")
    min_events: int = Field(50, ge=1, description="Events the window must hold to be judged")
    confidence_z: float = Field(3.0, ge=0, description="z of the long window's lower bound, by the exact binomial test "
                                "(Clopper-Pearson; 0: the raw rate)")
    types: list[str] | None = Field(None, description="Violation types counted (default: all)")


class NewUnplannedParams(Params):
    window: int = Field(5, ge=1, le=1440, description="Trailing window, minutes (the current one included)")
    min_count: int = Field(1, ge=1, description="Arrivals within the window before it fires")
    events: bool = Field(True, description="Watch unplanned event names")
    properties: bool = Field(True, description="Watch unplanned properties of planned events")
    ignore: list[str] = Field(default_factory=list, description="Names or glob patterns never reported")


class DriftParams(Params):
    window: int = Field(60, ge=5, le=1440, description="Recent window, minutes")
    reference: int = Field(1440, ge=5, le=10080, description="Reference window before the recent one, minutes")
    properties: list[str] | None = Field(
        None, description="Dotted paths to watch, e.g. properties.quantity (default: every top-level property)")
    min_count: int = Field(100, ge=1, description="Samples each window needs to be judged")
    sensitivity: float = Field(4.0, gt=0, description="z-score a change must pass")
    null_rise: float = Field(0.05, gt=0, le=1, description="Rise of the null share that fires")
    type_shift: float = Field(0.1, gt=0, le=1, description="Total variation distance of the type mix that fires")
    value_shift: float = Field(0.1, gt=0, le=1, description="Total variation distance of value shares that fires")
    max_samples: int = Field(5000, ge=100, le=100_000, description="Samples read per window, newest first")


class ExpectationsParams(Params):
    expectations: list[dict[str, Any]] = Field(min_length=1, description="GX expectations, e.g. "
                                               '{"type": "expect_column_values_to_not_be_null", "column": '
                                               '"properties.order_id"}')
    window: int = Field(60, ge=1, le=10080, description="Sampled events of the last minutes the suite reads")
    max_events: int = Field(10_000, ge=1, le=1_000_000, description="Most sampled events read, newest first")
    min_events: int = Field(1, ge=1, description="Fewer sampled events than this: the run is skipped")

    @field_validator("expectations")
    @classmethod
    def _valid(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return validate_expectations(value)


@dataclass(frozen=True)
class KindSpec:
    """What the plan knows of a check kind."""

    name: str
    summary: str
    params: type[Params]
    scope: Scope = "event"  # what a plan-level declaration fans out to
    needs_event: bool = False  # False: event "" (the whole source) is allowed
    default_for: int = 3
    default_keep_firing_for: int = 2
    default_severity: Severity = "warning"
    fast: bool = False  # evaluated every GOVERNANCE_SCHEDULER_FAST_INTERVAL_S, not every ..._INTERVAL_S
    whole_source: bool = False  # judges the whole source only (event ""): never declared on one event


CHECK_SPECS: dict[str, KindSpec] = {}


def register_spec(spec: KindSpec) -> KindSpec:
    CHECK_SPECS[spec.name] = spec
    return spec


for _spec in (
    KindSpec("volume", "Drop or spike of the event's volume against its seasonal expectation", VolumeCheckParams),
    KindSpec("silence", "No event for a while although the expectation over the gap held some", SilenceParams,
             default_for=1, default_keep_firing_for=2, fast=True),
    KindSpec("decline", "The last days of the event's volume well below its 4-week level (a slow decline)",
             DeclineCheckParams, default_for=36, default_keep_firing_for=12, default_severity="info"),
    KindSpec("violation_rate", "Share of events with violations above a threshold, per event or per source",
             ViolationRateParams, default_for=2, default_keep_firing_for=4, fast=True),
    KindSpec("source_drop", "Most of the source's expected volume is low together (a holiday, an outage of the "
             "whole source); it inhibits the source's per-event volume and silence alerts", SourceDropParams,
             scope="source", whole_source=True, default_for=4, default_keep_firing_for=720, fast=True),
    KindSpec("new_unplanned", 'An unplanned event or property arrives; the alert says "did you mean ...?"',
             NewUnplannedParams, scope="source", default_for=1, default_keep_firing_for=12, fast=True),
    KindSpec("drift", "Null rate, type mix or value shares of a property shift (from sampled events)", DriftParams,
             needs_event=True),
    KindSpec("expectations", "A Great Expectations suite over the event's recent sampled events", ExpectationsParams,
             needs_event=True, default_for=1, default_keep_firing_for=0),
):
    register_spec(_spec)


PLUGIN_GROUP = "governance.check_kinds"  # the entry points of plug-in check kinds (``governance.plugins``)
_plugins_read = False


def _read_plugins() -> None:
    """Add every plug-in's spec (its entry point's ``spec``), once; a plug-in that fails to load is
    left out, as the registry does."""
    global _plugins_read
    if _plugins_read:
        return
    _plugins_read = True
    from importlib.metadata import entry_points
    from types import ModuleType

    for point in entry_points(group=PLUGIN_GROUP):
        try:
            found = point.load()
        except Exception as exc:  # the built-ins still work; the quality registry logs it too
            logging.getLogger("governance.plugins").warning("cannot load check kind spec %s: %s", point.name, exc)
            continue
        found = getattr(found, "KIND", None) if isinstance(found, ModuleType) else found
        for entry in found if isinstance(found, list | tuple) else [found]:
            spec = getattr(entry, "spec", None)
            if isinstance(spec, KindSpec):
                CHECK_SPECS.setdefault(spec.name, spec)


def spec_of(kind: str) -> KindSpec | None:
    """The spec of ``kind``: a built-in, one registered in this process, or a plug-in's."""
    if kind not in CHECK_SPECS:
        _read_plugins()
    return CHECK_SPECS.get(kind)


def all_specs() -> dict[str, KindSpec]:
    """Every known kind's spec, plug-ins included (what the web process knows without the detectors)."""
    _read_plugins()
    return dict(CHECK_SPECS)


def parse_params(kind: str, params: dict[str, Any]) -> Params:
    """The validated params of ``kind`` (reserved keys dropped); ``KeyError``/``ValidationError``."""
    spec = spec_of(kind)
    if spec is None:
        raise KeyError(kind)
    return spec.params.model_validate({k: v for k, v in params.items() if k not in RESERVED_PARAMS})


def entry_problems(kind: str, params: dict[str, Any], loc: Loc, *, plan_level: bool) -> Iterator[tuple[Loc, str]]:
    """Every problem of one declared check ``{kind, params}`` at ``loc``, as ``(loc, message)``."""
    spec = spec_of(kind)
    if spec is None:
        from governance.plan.names import NameIndex

        guess = NameIndex(sorted(CHECK_SPECS)).closest(kind)
        hint = f'; did you mean "{guess}"?' if guess and guess != kind else ""
        yield (*loc, "kind"), f"unknown check kind {kind!r}{hint} (known: {', '.join(sorted(CHECK_SPECS))})"
        return
    enabled, scope = params.get("enabled", True), params.get("scope")
    if not isinstance(enabled, bool):
        yield (*loc, "params", "enabled"), "must be true or false"
    if scope is not None and (not plan_level or scope not in ("event", "source")):
        why = "only a plan-level check has a scope" if not plan_level else "must be 'event' or 'source'"
        yield (*loc, "params", "scope"), why
    elif spec.whole_source and (not plan_level or scope == "event"):
        yield (*loc, "params", "scope") if scope else (*loc, "kind"), \
            f"a {kind} check judges a whole source: declare it in the plan's checks, with scope 'source'"
    elif scope == "source" and spec.needs_event:
        yield (*loc, "params", "scope"), f"a {kind} check needs an event; it cannot judge a whole source"
    if enabled is False:
        return  # a switch-off needs no other params
    try:
        parse_params(kind, params)
    except ValidationError as exc:
        for err in exc.errors():
            where = (*loc, "params", *err["loc"])
            if err["type"] == "extra_forbidden":
                yield where, f"unknown parameter of {kind} (known: {', '.join(sorted(spec.params.model_fields))})"
            else:
                yield where, str(err["msg"]).removeprefix("Value error, ")


def with_suite(kind: str, params: dict[str, Any], suite: list[dict[str, Any]]) -> dict[str, Any]:
    """An event's ``expectations`` check takes the event's ``expectations:`` as its default suite."""
    if kind == "expectations" and suite and "expectations" not in params:
        return {**params, "expectations": list(suite)}
    return params


def plan_check_problems(plan: Plan) -> Iterator[tuple[Loc, str]]:
    """Every problem of the checks and expectations a plan declares, with their locations."""
    for i, entry in enumerate(plan.checks):
        yield from entry_problems(entry.kind, entry.params, ("checks", i), plan_level=True)
    for name, event in plan.events.items():
        for i, entry in enumerate(event.checks):
            params = with_suite(entry.kind, entry.params, event.expectations)
            yield from entry_problems(entry.kind, params, ("events", name, "checks", i), plan_level=False)
        for loc, message in expectation_problems(event.expectations):
            yield ("events", name, "expectations", *loc), message
