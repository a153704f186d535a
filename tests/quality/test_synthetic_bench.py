"""The synthetic traffic and the checks bench: ground truth, vectorised == scalar, a small run."""

from __future__ import annotations

import numpy as np
import pytest

from governance.bench.checks import (
    BenchConfig,
    baselines_at,
    check_cycle,
    hourly_counts,
    run_checks_bench,
)
from governance.bench.synthetic import Traffic, generate_traffic, sample_events
from governance.quality.detect import Hysteresis, level_baselines


@pytest.fixture(scope="module")
def traffic() -> Traffic:
    return generate_traffic(events=40, days=14, seed=3)


def test_traffic_is_seeded_and_shaped(traffic: Traffic) -> None:
    again = generate_traffic(events=40, days=14, seed=3)
    assert traffic.counts.shape == (40, 14 * 1440) and np.array_equal(traffic.counts, again.counts)
    assert traffic.anomalies == again.anomalies
    assert not np.array_equal(traffic.counts, generate_traffic(events=40, days=14, seed=4).counts)
    assert 10 <= traffic.mean_per_hour.min() and traffic.mean_per_hour.max() <= 10_000
    assert (traffic.violations <= traffic.counts).all() and (traffic.strings <= traffic.counts).all()


def test_anomalies_are_what_the_ground_truth_says(traffic: Traffic) -> None:
    kinds = {a.kind for a in traffic.anomalies}
    assert kinds == {"zero", "half", "spike", "violations", "drift"}
    for a in traffic.anomalies:
        counts, rate = traffic.counts[a.event, a.start : a.end], traffic.rate[a.event, a.start : a.end]
        others = [b for b in traffic.anomalies if b.event == a.event and b is not a]
        assert all(a.end + 120 <= b.start or b.end + 120 <= a.start for b in others)
        if a.kind == "zero":
            assert counts.sum() == 0 and 30 <= a.end - a.start <= 180
        elif a.kind == "spike" and rate.sum() > 500:
            assert counts.sum() > 2 * rate.sum()
        elif a.kind == "violations" and counts.sum() > 500:
            share = traffic.violations[a.event, a.start : a.end].sum() / counts.sum()
            assert share == pytest.approx(a.magnitude, abs=0.08)


def test_bench_baselines_equal_level_baselines_including_the_warm_up(traffic: Traffic) -> None:
    config = BenchConfig()
    hourly = hourly_counts(traffic.counts)
    times = np.arange(7 * 1440 + 5, 14 * 1440 + 1, 5)
    now, prev = baselines_at(hourly, times, config)
    picks = list(range(0, 250, 7)) + list(range(250, times.size, 97))  # the first ~20 hours are the warm-up
    for i in picks:
        for e in (0, 17, 39):
            scalar_now, scalar_prev = level_baselines(hourly[e], int(times[i] // 60), lookback=config.level_hours,
                                                      min_error=config.min_error)
            got = [now.expected[e, i], now.spread[e, i], prev.expected[e, i], prev.spread[e, i]]
            want = [scalar_now.expected, scalar_now.spread, scalar_prev.expected, scalar_prev.spread]
            assert np.allclose(got, want), (e, int(times[i]))


def test_a_check_cycle_persists_hysteresis_states(traffic: Traffic) -> None:
    counts = traffic.counts[:, : 10 * 1440].copy()
    loud = int(np.argmax(traffic.mean_per_hour))
    counts[loud, -25:] = 0  # the busiest event goes silent
    states: list[dict[str, dict[str, int | str]]] = [{} for _ in range(counts.shape[0])]
    findings = check_cycle(counts, traffic.violations[:, : 10 * 1440], states, BenchConfig())
    assert set(states[0]) == {"drop", "spike", "silence", "violations"}
    assert all(Hysteresis.from_dict(s) for state in states for s in state.values())
    assert states[loud]["silence"]["state"] == "firing" and states[loud]["drop"]["state"] == "pending"
    assert any(f is not None and f.kind == "silence" and "no events for 25 min" in f.message for f in findings)


def test_sample_events_are_segment_track_calls() -> None:
    events = sample_events(50, seed=1)
    assert len(events) == 50 and events[0]["type"] == "track" and "order_id" in events[0]["properties"]


def test_a_small_bench_run_reports_every_figure() -> None:
    report = run_checks_bench(events=60, days=14, seed=0, cycle_events=200, gx_events=2000)
    for key in ("recall", "false_alerts_per_1000_event_days", "spike_recall", "violation_burst_recall",
                "drift_recall", "cycle_s", "gx_s", "gx_import_s", "drops", "half_drops", "false_alerts_by_kind"):
        assert key in report
    assert report["recall"] >= 0.9 and report["drops"]["anomalies"] >= 20
    assert report["spike_recall"] >= 0.9 and report["violation_burst_recall"] >= 0.9
    assert report["drift_recall"] >= 0.9
    assert report["false_alerts_per_1000_event_days"] <= 5
    assert 0 < report["cycle_s"] < 30 and 0 < report["gx_s"] < 30 and report["gx_success"] is True  # sanity only
