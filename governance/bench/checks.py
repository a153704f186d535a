"""Accuracy and speed bench of the checks on synthetic traffic: ``python -m governance.bench.checks``.

The detectors of ``detect.py`` run as the scheduler would run them: every ``cadence`` minutes over
the last ``eval_days`` days, each condition through its own ``Hysteresis``. Alerts are then
matched with the injected anomalies (see ``docs/quality/detection.md``, "Bench").
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from governance.bench.synthetic import Anomaly, Traffic, generate_traffic, sample_events
from governance.quality.baseline import (
    WEEKDAY_HISTORY,
    WEEKDAY_WARMUP_ERROR,
    Baseline,
    FloatArray,
    adjust,
    level_baselines,
    recent_level,
    seasonal_baseline,
    weekday_consistent,
    window_baseline,
)
from governance.quality.checks.base import DEFAULTS
from governance.quality.detect import (
    BoolArray,
    Finding,
    Hysteresis,
    VolumeParams,
    firing_spans,
    mix_shift,
    silence,
    silence_flags,
    violation_flags,
    violation_rate,
    volume_check,
    volume_flags,
)

IntArray = NDArray[np.int64]
Span = tuple[int, int, int]  # event, first and last evaluation minute of a firing period
# which injected anomaly kinds an alert of each check kind may legitimately be caused by
TARGETS = {"drop": {"zero", "half"}, "silence": {"zero", "half"}, "spike": {"spike"},
           "violations": {"violations"}, "drift": {"drift"}}
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
    """The check settings under test and the scoring rules: the scheduler's own defaults
    (``checks.base.DEFAULTS``), so what the bench measures is what the worker runs."""

    cadence: int = 5  # minutes between evaluations
    eval_days: int = 7  # evaluate the last days only: the baseline needs history
    level_hours: int = DEFAULTS.level_hours
    min_error: float = DEFAULTS.min_error
    volume: VolumeParams = field(default_factory=VolumeParams)
    silence_after: float = DEFAULTS.silence_after
    silence_min_expected: float = DEFAULTS.silence_min_expected
    violation_window: int = DEFAULTS.violation_window
    violation_threshold: float = DEFAULTS.violation_threshold
    violation_min_events: int = DEFAULTS.violation_min_events
    violation_z: float = DEFAULTS.violation_z
    drift_window: int = DEFAULTS.drift_window
    drift_reference: int = DEFAULTS.drift_reference
    drift_min_count: int = DEFAULTS.drift_min_count
    drift_shift: float = DEFAULTS.drift_shift
    drift_sensitivity: float = 4.0
    for_: dict[str, int] = field(default_factory=lambda: dict(DEFAULTS.for_))
    keep_firing_for: int = DEFAULTS.keep_firing_for
    eligible_per_hour: float = 100.0  # anomalies on slower events are not scored for recall
    grace: int = 60  # an alert this long after an anomaly ended is still caused by it


def hourly_counts(counts: NDArray[Any]) -> IntArray:
    """Complete hours of per-minute counts ``(events, minutes)`` -> ``(events, hours)``."""
    hours = counts.shape[1] // 60
    return np.asarray(counts[:, : hours * 60].reshape(counts.shape[0], hours, 60).sum(axis=2, dtype=np.int64))


def _cumsum(counts: NDArray[Any]) -> IntArray:
    out = np.zeros((counts.shape[0], counts.shape[1] + 1), np.int64)
    np.cumsum(counts, axis=1, out=out[:, 1:])
    return out


def baselines_at(hourly: IntArray, times: IntArray, config: BenchConfig) -> tuple[Baseline, Baseline]:
    """``level_baselines`` of the current and previous hour at every evaluation minute, vectorised."""
    lookback = config.level_hours
    hours = np.arange(max(times[0] // 60 - 2 - lookback, 0), times[-1] // 60 + 1)
    observed = np.concatenate([hourly, np.zeros((hourly.shape[0], 1), hourly.dtype)], axis=1)[:, hours]
    col = times // 60 - hours[0]
    src = col - 1 - lookback  # level of hour i from the complete hours i-1-lookback .. i-2
    windows = np.lib.stride_tricks.sliding_window_view

    def seasonal(**kw: Any) -> tuple[FloatArray, FloatArray]:
        bases = [seasonal_baseline(hourly, int(h), **kw) for h in hours]
        return np.stack([b.expected for b in bases], axis=1), np.stack([b.spread for b in bases], axis=1)

    # level_baselines: no weekday factor, warm-up (factor, no level) or factor on every hour
    plain, full = seasonal(weekday=False), seasonal(weekday=True)
    levels = [recent_level(windows(observed, lookback, axis=1), windows(e, lookback, axis=1)) for e, _ in (plain, full)]
    consistent = np.array([weekday_consistent(int(t // 60), lookback) for t in times])
    warming = ~consistent & (times // 60 >= WEEKDAY_HISTORY)
    level = np.where(consistent, levels[1][0][:, src], np.where(warming, 1.0, levels[0][0][:, src]))
    error = np.where(consistent, levels[1][1][:, src], np.where(warming, WEEKDAY_WARMUP_ERROR, levels[0][1][:, src]))
    pairs: list[Baseline] = []
    for c in (col, col - 1):
        exp = np.where(consistent | warming, full[0][:, c], plain[0][:, c])
        spr = np.where(consistent | warming, full[1][:, c], plain[1][:, c])
        pairs.append(adjust(Baseline(exp, spr, "daily", 0), level, error, min_error=config.min_error))
    now, prev = pairs
    return now, prev


def evaluate(traffic: Traffic, config: BenchConfig) -> tuple[IntArray, dict[str, BoolArray]]:
    """Evaluation times and, per check kind, its condition ``(events, times)``."""
    minutes = traffic.minutes
    times = np.arange(minutes - config.eval_days * 1440 + config.cadence, minutes + 1, config.cadence)
    now, prev = baselines_at(hourly_counts(traffic.counts), times, config)
    minute_of_hour = (times % 60)[None, :]

    cs = _cumsum(traffic.counts)
    drop = np.zeros((traffic.counts.shape[0], times.size), bool)
    spike = np.zeros_like(drop)
    for window in config.volume.windows:
        expected, spread = window_baseline(now, prev, window=window, minute_of_hour=minute_of_hour)
        observed = cs[:, times] - cs[:, times - window]
        d, s, _ = volume_flags(observed, expected, spread, window_minutes=window, params=config.volume)
        drop |= d
        spike |= s

    seen = np.where(traffic.counts > 0, np.arange(minutes), -1)
    last = np.maximum.accumulate(seen, axis=1)[:, times - 1]
    quiet = silence_flags(times - (last + 1), now.expected, after_minutes=config.silence_after,
                          min_expected=config.silence_min_expected)

    w = config.violation_window
    cv = _cumsum(traffic.violations)
    violations = violation_flags(cv[:, times] - cv[:, times - w], cs[:, times] - cs[:, times - w],
                                 threshold=config.violation_threshold, min_events=config.violation_min_events,
                                 confidence_z=config.violation_z)
    return times, {"drop": drop, "spike": spike, "silence": quiet, "violations": violations,
                   "drift": _drift_flags(traffic, cs, times, config)}


def _drift_flags(traffic: Traffic, cs: IntArray, times: IntArray, config: BenchConfig) -> BoolArray:
    """Type mix (int vs string) of the last ``drift_window`` minutes against the reference before it."""
    cst = _cumsum(traffic.strings)
    w, ref = config.drift_window, config.drift_reference
    start = np.maximum(times - w - ref, 0)

    def mix(lo: IntArray, hi: IntArray) -> NDArray[np.int64]:
        n, s = cs[:, hi] - cs[:, lo], cst[:, hi] - cst[:, lo]
        return np.stack([n - s, s], axis=-1)

    before, current = mix(start, times - w), mix(times - w, times)
    tvd, z = mix_shift(before, current)
    enough = (before.sum(-1) >= config.drift_min_count) & (current.sum(-1) >= config.drift_min_count)
    return np.asarray(enough & (tvd >= config.drift_shift) & (z >= config.drift_sensitivity))


def alert_spans(conditions: BoolArray, times: IntArray, *, for_: int, keep_firing_for: int) -> list[Span]:
    """``(event, first, last)`` evaluation minutes of every firing period, via the real ``Hysteresis``."""
    out: list[Span] = []
    for e in np.flatnonzero(conditions.any(axis=1)):
        spans = firing_spans(conditions[e], for_=for_, keep_firing_for=keep_firing_for)
        out += [(int(e), int(times[i]), int(times[j])) for i, j in spans]
    return out


def score(traffic: Traffic, times: IntArray, alerts: dict[str, list[Span]],
          config: BenchConfig) -> dict[str, Any]:
    """Recall per anomaly family (events >= ``eligible_per_hour`` during the anomaly) and false
    alerts: firing periods starting outside every anomaly they could stem from (plus ``grace``)."""
    assert traffic.rate is not None, "scoring needs the noise-free rate"
    first = int(times[0])
    by_event: dict[int, list[Anomaly]] = {}
    for a in traffic.anomalies:
        by_event.setdefault(a.event, []).append(a)

    def detected(a: Anomaly, kinds: tuple[str, ...]) -> int | None:
        """Minutes from the anomaly's start until an evaluation inside it finds an alert firing."""
        hits = [max(on, a.start) for k in kinds for e, on, off in alerts[k]
                if e == a.event and on <= a.end and off > a.start]
        return min(hits) - a.start if hits else None

    def family(anomaly_kinds: set[str], kinds: tuple[str, ...]) -> dict[str, Any]:
        scored = [a for a in traffic.anomalies if a.kind in anomaly_kinds and a.start >= first
                  and float(traffic.rate[a.event, a.start:a.end].mean()) * 60 >= config.eligible_per_hour]  # type: ignore[index]
        lat = [d for a in scored if (d := detected(a, kinds)) is not None]
        return {"recall": round(len(lat) / len(scored), 4) if scored else None, "anomalies": len(scored),
                "detected": len(lat), "median_latency_min": float(np.median(lat)) if lat else None}

    false: dict[str, int] = {}
    for kind, found in alerts.items():
        grace = config.grace + (config.drift_reference if kind == "drift" else 0)
        false[kind] = sum(
            not any(a.kind in TARGETS[kind] and a.start <= t <= a.end + grace for a in by_event.get(e, []))
            for e, t, _ in found
        )
    event_days = traffic.counts.shape[0] * config.eval_days
    drops = family({"zero", "half"}, ("drop", "silence"))
    return {
        "recall": drops["recall"],
        "drops": drops,
        "half_drops": family({"half"}, ("drop", "silence")),
        "spike_recall": family({"spike"}, ("spike",))["recall"],
        "violation_burst_recall": family({"violations"}, ("violations",))["recall"],
        "drift_recall": family({"drift"}, ("drift",))["recall"],
        "false_alerts": sum(false.values()),
        "false_alerts_by_kind": false,
        "event_days": event_days,
        "false_alerts_per_1000_event_days": round(1000 * sum(false.values()) / event_days, 3),
    }


def check_cycle(counts: NDArray[np.int32], violations: NDArray[np.int32], states: list[dict[str, Any]],
                config: BenchConfig) -> list[Finding | None]:
    """One scheduler cycle at the end of the counters: every volume, silence and violation-rate check.

    ``states`` (one dict of persisted hysteresis states per event) is updated in place; returns the
    findings of the conditions that hold.
    """
    minutes = counts.shape[1]
    hourly = hourly_counts(counts)
    hour, minute_of_hour = divmod(minutes, 60)
    now, prev = level_baselines(hourly, hour, lookback=config.level_hours, min_error=config.min_error)
    recent = counts[:, -60:]
    drop = np.zeros(counts.shape[0], bool)
    spike = np.zeros_like(drop)
    for window in config.volume.windows:
        expected, spread = window_baseline(now, prev, window=window, minute_of_hour=minute_of_hour)
        d, s, _ = volume_flags(recent[:, -window:].sum(1), expected, spread, window_minutes=window,
                               params=config.volume)
        drop, spike = drop | d, spike | s
    nonzero = counts[:, ::-1] > 0
    ago = np.where(nonzero.any(1), nonzero.argmax(1), minutes)
    quiet = silence_flags(ago, now.expected, after_minutes=config.silence_after,
                          min_expected=config.silence_min_expected)
    w = config.violation_window
    n_events, n_viol = counts[:, -w:].sum(1), violations[:, -w:].sum(1)
    bad = violation_flags(n_viol, n_events, threshold=config.violation_threshold,
                          min_events=config.violation_min_events, confidence_z=config.violation_z)
    findings: list[Finding | None] = []
    fresh = {kind: Hysteresis(config.for_[kind], config.keep_firing_for).to_dict() for kind in config.for_}
    for e, state in enumerate(states):
        for kind, cond in (("drop", drop[e]), ("spike", spike[e]), ("silence", quiet[e]), ("violations", bad[e])):
            h = Hysteresis.from_dict(state.get(kind, fresh[kind]))
            h.update(bool(cond))
            state[kind] = h.to_dict()
        if drop[e] or spike[e]:
            findings.append(volume_check(recent[e], now.at(e), prev.at(e), minute_of_hour=minute_of_hour,
                                         params=config.volume))
        if quiet[e]:
            findings.append(silence(float(ago[e]), float(now.expected[e]), after_minutes=config.silence_after,
                                    min_expected=config.silence_min_expected))
        if bad[e]:
            findings.append(violation_rate(int(n_viol[e]), int(n_events[e]), threshold=config.violation_threshold,
                                           min_events=config.violation_min_events,
                                           confidence_z=config.violation_z))
    return findings


def time_cycle(events: int, days: int, seed: int, config: BenchConfig) -> tuple[float, int]:
    """Seconds of one ``check_cycle`` over ``events`` in-memory series (slowest of 3), and findings."""
    traffic = generate_traffic(events=events, days=days, seed=seed, keep_rate=False)
    states: list[dict[str, Any]] = [{} for _ in range(events)]
    slowest, found = 0.0, 0
    for _ in range(3):
        start = time.perf_counter()
        found = len(check_cycle(traffic.counts, traffic.violations, states, config))
        slowest = max(slowest, time.perf_counter() - start)
    return slowest, found


def time_gx(events: int, seed: int) -> tuple[float, float, bool]:
    """Cold import time of Great Expectations (fresh interpreter), and ``run_suite`` seconds."""
    probe = ("import os, time; os.environ.setdefault('GX_ANALYTICS_ENABLED', 'false'); t = time.perf_counter(); "
             "import great_expectations; print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    import_s = float(out.stdout.strip().splitlines()[-1])
    from governance.quality.expectations import run_suite

    sample = sample_events(events, seed=seed)
    run_suite(sample[:100], GX_SUITE)  # warm the context, as a long-lived worker is
    result = run_suite(sample, GX_SUITE)
    return result.elapsed_s, import_s, result.success


def accuracy(traffic: Traffic, config: BenchConfig) -> dict[str, Any]:
    """Run every check over ``traffic`` as the scheduler would and score the alerts."""
    times, conditions = evaluate(traffic, config)
    alerts = {kind: alert_spans(cond, times, for_=config.for_[kind], keep_firing_for=config.keep_firing_for)
              for kind, cond in conditions.items()}
    return score(traffic, times, alerts, config)


def run_checks_bench(
    *,
    events: int = 200,
    days: int = 14,
    seed: int = 0,
    cycle_events: int = 3000,
    gx_events: int = 100_000,
    config: BenchConfig | None = None,
) -> dict[str, Any]:
    """Generate traffic, run the checks, score them, time a check cycle and a GX suite (0: skip)."""
    config = config or BenchConfig()
    started = time.perf_counter()
    report: dict[str, Any] = {"events": events, "days": days, "seed": seed, "eval_days": config.eval_days,
                              "cadence_min": config.cadence}
    report.update(accuracy(generate_traffic(events=events, days=days, seed=seed), config))
    report["accuracy_s"] = round(time.perf_counter() - started, 3)
    report.update(cycle_s=None, cycle_events=cycle_events, cycle_findings=None)
    if cycle_events:
        cycle_s, found = time_cycle(cycle_events, days, seed + 1, config)
        report.update(cycle_s=round(cycle_s, 4), cycle_findings=found)
    report.update(gx_s=None, gx_import_s=None, gx_events=gx_events, gx_success=None)
    if gx_events:
        gx_s, import_s, ok = time_gx(gx_events, seed)
        report.update(gx_s=round(gx_s, 4), gx_import_s=round(import_s, 3), gx_success=ok)
    return report


def accuracy_over_seeds(seeds: list[int], *, events: int = 200, days: int = 14) -> dict[str, Any]:
    """Mean, minimum and maximum of the accuracy figures over several seeds (single runs are noisy)."""
    config = BenchConfig()
    runs = [accuracy(generate_traffic(events=events, days=days, seed=s), config) for s in seeds]
    summary: dict[str, Any] = {"seeds": seeds, "events": events, "days": days}
    for key in ("recall", "spike_recall", "violation_burst_recall", "drift_recall",
                "false_alerts_per_1000_event_days"):
        values = [r[key] for r in runs if r[key] is not None]
        summary[key] = {"mean": round(float(np.mean(values)), 4), "min": min(values), "max": max(values)}
    summary["half_drop_recall_mean"] = round(float(np.mean([r["half_drops"]["recall"] for r in runs])), 4)
    summary["false_alerts"] = sum(r["false_alerts"] for r in runs)
    summary["event_days"] = sum(r["event_days"] for r in runs)
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    for name, default in (("events", 200), ("days", 14), ("seed", 0), ("cycle-events", 3000), ("gx-events", 100_000)):
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--seeds", help="accuracy only, over a seed range such as 300-319")
    args = parser.parse_args(argv)
    if args.seeds:
        lo, _, hi = args.seeds.partition("-")
        report = accuracy_over_seeds(list(range(int(lo), int(hi or lo) + 1)), events=args.events, days=args.days)
    else:
        report = run_checks_bench(events=args.events, days=args.days, seed=args.seed,
                                  cycle_events=args.cycle_events, gx_events=args.gx_events)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
