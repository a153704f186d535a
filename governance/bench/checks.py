"""Accuracy and speed bench of the checks: ``governance bench checks`` (``python -m governance.bench.checks``).

Two independent traffic generators (``synthetic.py``: smooth cosine days; ``realistic.py``:
business shapes, batch events, time zones, holidays, campaigns, slow declines), each evaluated
from its first minute (learning included) every ``cadence`` minutes with the defaults of the
check kinds (``plan/check_spec.py``), through each kind's own hysteresis. Scored by week of
history (``score.py``). Thresholds were tuned on the tuning seeds only; the held-out seeds are
reported apart. The conditions come from ``fast.py`` (the checks' functions over whole series);
``replay.py`` feeds a sample through ``run_cycle`` itself and reports how often the two agree.
See ``docs/quality/detection.md``, "Bench".
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from governance.bench.fast import (
    _cumsum,
    decline_conditions,
    hour_model,
    hour_shapes,
    hourly_counts,
    silence_conditions,
    volume_conditions,
)
from governance.bench.realistic import generate_realistic
from governance.bench.score import Alert, ScoreConfig, _caused, false_alerts, holiday_report, recall
from governance.bench.source_drop import false_source_alerts, inhibited, source_alerts, source_conditions, sources_of
from governance.bench.synthetic import generate_traffic, sample_events
from governance.bench.truth import Traffic
from governance.plan.check_spec import (
    CHECK_SPECS,
    DeclineCheckParams,
    DriftParams,
    SilenceParams,
    SourceDropParams,
    ViolationRateParams,
    VolumeCheckParams,
)
from governance.quality.baseline import first_arrival_mask
from governance.quality.checks.volume import model as volume_model
from governance.quality.detect.drift import mix_shift
from governance.quality.detect.hysteresis import firing_spans
from governance.quality.detect.violations import two_window_flags

BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]
GENERATORS: dict[str, Callable[..., Traffic]] = {
    "synthetic": lambda events, days, seed: generate_traffic(events=events, days=days, seed=seed),
    "realistic": lambda events, days, seed: generate_realistic(events=events, days=days, seed=seed),
}
TUNING_SEEDS = (0, 1, 2)
HELD_OUT_SEEDS = (100, 101, 102, 103, 104)
GX_SUITE: list[dict[str, Any]] = [
    {"type": "expect_column_values_to_not_be_null", "column": "properties.order_id", "mostly": 0.99},
    {"type": "expect_column_values_to_be_in_set", "column": "properties.currency",
     "value_set": ["USD", "EUR", "GBP", "JPY"]},
    {"type": "expect_column_values_to_be_between", "column": "properties.revenue", "min_value": 0,
     "max_value": 100_000},
    {"type": "expect_table_row_count_to_be_between", "min_value": 1, "max_value": 10_000_000},
    {"type": "expect_column_values_to_match_regex", "column": "properties.order_id", "regex": r"^o-\d+$"},
]


@dataclass(frozen=True)
class BenchConfig:
    """The check settings under test: the kinds' own defaults, so the bench measures what the worker runs."""

    cadence: int = 5  # minutes between full evaluations (GOVERNANCE_SCHEDULER_INTERVAL_S / 60)
    fast_cadence: int = 1  # minutes between evaluations of the fast kinds (15 s in the worker; counts are per minute)
    volume: VolumeCheckParams = field(default_factory=VolumeCheckParams)
    silence: SilenceParams = field(default_factory=SilenceParams)
    decline: DeclineCheckParams = field(default_factory=DeclineCheckParams)
    violations: ViolationRateParams = field(default_factory=ViolationRateParams)
    drift: DriftParams = field(default_factory=DriftParams)
    source_drop: SourceDropParams = field(default_factory=SourceDropParams)
    score: ScoreConfig = field(default_factory=ScoreConfig)


HYSTERESIS = {"volume": "volume", "silence": "silence", "decline": "decline", "violations": "violation_rate",
              "drift": "drift"}  # bench condition -> check kind whose for / keep_firing_for it uses


# conditions of the fast kinds, evaluated every ``fast_cadence`` minutes
FAST = {"silence", "violations", "source_drop", "source_drop_held"}


def evaluate(traffic: Traffic, config: BenchConfig) -> tuple[dict[str, IntArray], dict[str, BoolArray],
                                                             dict[str, BoolArray]]:
    """Evaluation minutes of each condition, each condition ``(events, times)`` and where each check
    was learning."""
    minutes = traffic.minutes
    times = np.arange(60, minutes + 1, config.cadence)
    fast = np.arange(60, minutes + 1, config.fast_cadence)
    masked = first_arrival_mask(hourly_counts(traffic.counts))
    first_hour = traffic.start_minute // 60
    cs = _cumsum(traffic.counts)
    model = hour_model(masked, first_hour, volume_model(config.volume))
    shapes = hour_shapes(traffic.counts, masked)
    drop, spike, vol_learning = volume_conditions(cs, times, model, shapes, config.volume)
    broad, broad_held = source_conditions(cs, fast, model, shapes, sources_of(traffic), config.source_drop)
    if config.silence.weeks != config.volume.weeks:
        from governance.quality.checks.silence import model as silence_model

        model = hour_model(masked, first_hour, silence_model(config.silence))
    silent, sil_learning = silence_conditions(traffic.counts, cs, masked, fast, model, shapes, config.silence)
    declining, dec_learning = decline_conditions(masked, times, config.decline)
    bad = _violation_flags(traffic, cs, fast, config.violations)
    drift = _drift_flags(traffic, cs, times, config.drift) if traffic.strings.any() else np.zeros_like(bad)
    holds = {"drop": drop, "spike": spike, "silence": silent, "decline": declining, "violations": bad,
             "drift": drift, "source_drop": broad, "source_drop_held": broad_held}  # these two: (sources, times)
    learning = {"volume": vol_learning, "silence": sil_learning, "decline": dec_learning}
    when = {name: fast if name in FAST else times for name in holds}
    return when, holds, learning


def _violation_flags(traffic: Traffic, cs: IntArray, times: IntArray, v: ViolationRateParams) -> BoolArray:
    """The long and the short window, as ``detect.violations.two_window_flags`` judges them."""
    cv = _cumsum(traffic.violations)
    end = np.minimum(times + 1, cs.shape[1] - 1)  # the current minute counts (whole: the bench has no partial one)
    w, s = v.window, v.short_window or v.window
    fires, _ = two_window_flags(cv[:, end] - cv[:, end - w], cs[:, end] - cs[:, end - w], cv[:, end] - cv[:, end - s],
                                cs[:, end] - cs[:, end - s], threshold=v.threshold, min_events=v.min_events,
                                confidence_z=v.confidence_z, recent_min_events=v.short_min_events,
                                recent_z=v.short_confidence_z)
    return fires


def _drift_flags(traffic: Traffic, cs: IntArray, times: IntArray, p: DriftParams) -> BoolArray:
    """Type mix (int vs string) of the last ``window`` minutes against the ``reference`` before it."""
    cst = _cumsum(traffic.strings)
    start = np.maximum(times - p.window - p.reference, 0)

    def mix(lo: IntArray, hi: IntArray) -> NDArray[np.int64]:
        n, s = cs[:, hi] - cs[:, lo], cst[:, hi] - cst[:, lo]
        return np.stack([n - s, s], axis=-1)

    before, current = mix(start, times - p.window), mix(times - p.window, times)
    tvd, z = mix_shift(before, current)
    enough = (before.sum(-1) >= p.min_count) & (current.sum(-1) >= p.min_count)
    return np.asarray(enough & (tvd >= p.type_shift) & (z >= p.sensitivity))


def alerts_of(when: dict[str, IntArray], holds: dict[str, BoolArray], ticks_per_minute: int = 4) -> list[Alert]:
    """Firing periods of every fingerprint through its kind's default hysteresis.

    ``volume`` is one fingerprint per event (a drop and a spike share it, as in ``run_cycle``);
    its alert is a drop or a spike by the condition that held when it started firing. A fast kind's
    ``for`` / ``keep_firing_for`` count 15-second evaluations; the bench's counts change once a
    minute, so they become minutes (``ticks_per_minute`` evaluations each, rounded up).
    """
    conditions = {"volume": holds["drop"] | holds["spike"], **{k: holds[k] for k in HYSTERESIS if k != "volume"}}
    out: list[Alert] = []
    for name, cond in conditions.items():
        spec = CHECK_SPECS[HYSTERESIS[name]]
        times = when["drop" if name == "volume" else name]
        for_, keep = spec.default_for, spec.default_keep_firing_for
        if name in FAST:
            for_, keep = -(-for_ // ticks_per_minute), -(-keep // ticks_per_minute)
        for e in np.flatnonzero(cond.any(axis=1)):
            for i, j in firing_spans(cond[e], for_=for_, keep_firing_for=keep):
                kind = ("drop" if holds["drop"][e, i] else "spike") if name == "volume" else name
                out.append((int(e), int(times[i]), int(times[j]), kind))
    return out


def accuracy(traffic: Traffic, config: BenchConfig) -> dict[str, Any]:
    """Every check over ``traffic`` as the scheduler runs them, scored."""
    when, holds, learning = evaluate(traffic, config)
    alerts = alerts_of(when, holds)
    week1 = {k: when["drop" if k == "volume" else k] < 7 * 1440 for k in learning}
    out = {
        "false": false_alerts(traffic, alerts, config.score),
        "recall": recall(traffic, alerts, config.score),
        "learning_share_week_1": {k: round(float(v[:, week1[k]].mean()), 4) for k, v in learning.items()},
        "learning_share_after": {k: round(float(v[:, ~week1[k]].mean()), 4) for k, v in learning.items()},
    }
    broad = source_alerts(when["source_drop"], holds["source_drop"], holds["source_drop_held"])
    out["source_drop"] = false_source_alerts(traffic, broad, sources_of(traffic), config.score.grace)
    out["source_drop"]["caused_alerts_inhibited"] = _hidden(traffic, alerts, broad, config)
    if traffic.holidays:
        sources = traffic.sources or list(range(traffic.counts.shape[0]))
        out["holidays"] = holiday_report(traffic, alerts, config.score, sources, source_alerts=broad)
    return out


def _hidden(traffic: Traffic, alerts: list[Alert], broad: list[tuple[int, int, int]], config: BenchConfig) -> int:
    """Per-event drop and silence alerts caused by an injected anomaly that a ``source_drop`` alert
    inhibits (the source's owner is told of the source, not of that event)."""
    sources = sources_of(traffic)
    by_source: dict[int, list[tuple[int, int]]] = {}
    for s, on, off in broad:
        by_source.setdefault(s, []).append((on, off))
    by_event: dict[int, list[Any]] = {}
    for a in traffic.anomalies:
        by_event.setdefault(a.event, []).append(a)
    return sum(1 for a in alerts if a[3] in ("drop", "silence") and inhibited(a, sources[a[0]], by_source, 0)[0]
               and _caused(a, by_event.get(a[0], []), config.score, traffic.minutes))


def pooled(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Sums of false alerts and event-days, and pooled recall, over several runs."""
    out: dict[str, Any] = {"false_alerts": {}, "recall": {}}
    for bucket in runs[0]["false"]:
        days = sum(r["false"][bucket]["event_days"] for r in runs if bucket in r["false"])
        n = sum(r["false"][bucket]["false_alerts"] for r in runs if bucket in r["false"])
        kinds: dict[str, int] = {}
        for r in runs:
            for k, c in r["false"].get(bucket, {}).get("by_kind", {}).items():
                kinds[k] = kinds.get(k, 0) + c
        out["false_alerts"][bucket] = {"event_days": days, "false_alerts": n, "by_kind": kinds,
                                       "per_1000_event_days": round(1000 * n / max(days, 1), 3),
                                       "holiday_alerts": sum(r["false"].get(bucket, {}).get("holiday_alerts", 0)
                                                             for r in runs)}
    families = sorted({f for r in runs for f in r["recall"]})
    for family in families:
        parts = [r["recall"][family] for r in runs if family in r["recall"]]
        weeks = sorted({w for p in parts for w in p["by_week"]})
        by_week = {w: _pool([p["by_week"][w] for p in parts if w in p["by_week"]]) for w in weeks}
        out["recall"][family] = _pool(parts) | {"by_week": by_week}
    parts = [r["source_drop"] for r in runs]
    days = sum(p["event_days"] for p in parts)
    out["source_drop"] = {k: sum(p[k] for p in parts) for k in ("alerts", "false_alerts", "event_days",
                                                                "holiday_alerts", "caused_alerts_inhibited")}
    out["source_drop"]["per_1000_event_days"] = round(1000 * out["source_drop"]["false_alerts"] / max(days, 1), 3)
    out["source_drop"]["by_week"] = {w: sum(p["by_week"].get(w, 0) for p in parts)
                                     for w in sorted({w for p in parts for w in p["by_week"]})}
    if all("holidays" in r for r in runs):
        out["holidays"] = _pool_holidays([r["holidays"] for r in runs])
    for key in ("learning_share_week_1", "learning_share_after"):
        out[key] = {k: round(float(np.mean([r[key][k] for r in runs])), 4) for k in runs[0][key]}
    return out


def _pool_holidays(parts: list[dict[str, Any]]) -> dict[str, Any]:
    n = max(sum(p["source_holidays"] for p in parts), 1)
    total = {k: sum(p[k] for p in parts) for k in ("source_holidays", "alerts", "notifications_undeclared",
                                                     "notifications_declared", "notifications_source_drop",
                                                     "source_drop_alerts_on_holidays", "holiday_alerts_inhibited")
             if all(k in p for p in parts)}
    return total | {"alerts_per_source_holiday": round(total["alerts"] / n, 2),
                    "notifications_per_source_holiday_undeclared": round(total["notifications_undeclared"] / n, 2),
                    "max_notifications_one_source_holiday": max(p["max_notifications_one_source_holiday"]
                                                                for p in parts),
                    "notifications_per_source_holiday_declared": round(total["notifications_declared"] / n, 2)} | ({
        "notifications_per_source_holiday_source_drop": round(total["notifications_source_drop"] / n, 2),
        "max_notifications_one_source_holiday_source_drop": max(
            p["max_notifications_one_source_holiday_source_drop"] for p in parts)}
        if "notifications_source_drop" in total else {})


def _pool(parts: list[dict[str, Any]]) -> dict[str, Any]:
    n, hit = sum(p["anomalies"] for p in parts), sum(p["detected"] for p in parts)
    medians = [p["median_latency_min"] for p in parts if p["median_latency_min"] is not None]
    p90 = [p["p90_latency_min"] for p in parts if p["p90_latency_min"] is not None]
    return {"anomalies": n, "detected": hit, "recall": round(hit / n, 4) if n else None,
            "median_latency_min": float(np.median(medians)) if medians else None,
            "p90_latency_min": float(np.max(p90)) if p90 else None}


def run_generator(name: str, seeds: list[int], *, events: int, days: int, config: BenchConfig) -> dict[str, Any]:
    runs = [accuracy(GENERATORS[name](events, days, seed), config) for seed in seeds]
    return {"seeds": seeds, "events": events, "days": days} | pooled(runs)


def time_cycle(events: int, seed: int) -> tuple[float, int]:
    """Seconds of one in-memory check cycle (expectations, every volume, silence and decline condition)
    over ``events`` realistic series of 38 days, the slowest of three; and the conditions that hold."""
    from governance.bench.replay import memory_cycle

    traffic = generate_realistic(events=events, days=38, seed=seed, keep_rate=False)
    slowest, found = 0.0, 0
    for _ in range(3):
        started = time.perf_counter()
        found = memory_cycle(traffic, traffic.minutes)
        slowest = max(slowest, time.perf_counter() - started)
    return slowest, found


def time_gx(events: int, seed: int) -> tuple[float, float, bool]:
    """Cold import time of Great Expectations (fresh interpreter), and ``run_suite`` seconds."""
    probe = ("import os, time; os.environ.setdefault('GX_ANALYTICS_ENABLED', 'false'); t = time.perf_counter(); "
             "import great_expectations; print(time.perf_counter() - t)")
    import_s = float(subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                                    text=True).stdout.strip().splitlines()[-1])
    from governance.quality.expectations import run_suite

    sample = sample_events(events, seed=seed)
    run_suite(sample[:100], GX_SUITE)  # warm the context, as a long-lived worker is
    result = run_suite(sample, GX_SUITE)
    return result.elapsed_s, import_s, result.success


def run_checks_bench(*, generators: tuple[str, ...] = ("synthetic", "realistic"), events: int = 200, days: int = 35,
                     tuning: tuple[int, ...] = TUNING_SEEDS, held_out: tuple[int, ...] = HELD_OUT_SEEDS,
                     replay_events: int = 4, replay_days: float = 1.0, cycle_events: int = 3000,
                     gx_events: int = 100_000) -> dict[str, Any]:
    """The whole bench: accuracy per generator (tuning and held-out seeds), the run_cycle replay, timings."""
    config = BenchConfig()
    started = time.perf_counter()
    report: dict[str, Any] = {"cadence_min": config.cadence, "generators": {}}
    for name in generators:
        report["generators"][name] = {
            "tuning": run_generator(name, list(tuning), events=events, days=days, config=config) if tuning else None,
            "held_out": run_generator(name, list(held_out), events=events, days=days, config=config)
            if held_out else None,
        }
    report["accuracy_s"] = round(time.perf_counter() - started, 2)
    if replay_events:
        from governance.bench.replay import replay_agreement

        report["replay"] = {name: replay_agreement(name, events=replay_events, days=days, eval_days=replay_days,
                                                   seed=tuning[0] if tuning else 0) for name in generators}
    report.update(cycle_s=None, cycle_events=cycle_events, cycle_conditions=None)
    if cycle_events:
        cycle_s, found = time_cycle(cycle_events, 7)
        report.update(cycle_s=round(cycle_s, 4), cycle_conditions=found)
    report.update(gx_s=None, gx_import_s=None, gx_events=gx_events, gx_success=None)
    if gx_events:
        gx_s, import_s, ok = time_gx(gx_events, 0)
        report.update(gx_s=round(gx_s, 4), gx_import_s=round(import_s, 3), gx_success=ok)
    return report


def seed_list(text: str) -> tuple[int, ...]:
    """``"0-2"`` -> (0, 1, 2); ``"1,5,9"`` -> (1, 5, 9); ``""`` -> ()."""
    out: list[int] = []
    for part in filter(None, text.split(",")):
        lo, _, hi = part.partition("-")
        out += list(range(int(lo), int(hi or lo) + 1))
    return tuple(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    for name, default in (("events", 200), ("days", 35), ("replay-events", 4), ("replay-days", 1.0),
                          ("cycle-events", 3000), ("gx-events", 100_000)):
        parser.add_argument(f"--{name}", type=type(default), default=default)
    parser.add_argument("--generators", default="synthetic,realistic")
    parser.add_argument("--tuning", default="0-2", help="tuning seeds, e.g. 0-2")
    parser.add_argument("--held-out", default="100-104", help="held-out seeds, e.g. 100-104")
    a = parser.parse_args(argv)
    report = run_checks_bench(generators=tuple(a.generators.split(",")), events=a.events, days=a.days,
                              tuning=seed_list(a.tuning), held_out=seed_list(a.held_out),
                              replay_events=a.replay_events, replay_days=a.replay_days,
                              cycle_events=a.cycle_events, gx_events=a.gx_events)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
