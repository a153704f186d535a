"""The checks bench: both generators' ground truth, fast.py == the checks' own functions, run_cycle == fast.py."""

from __future__ import annotations

import numpy as np
import pytest

from governance.bench.checks import BenchConfig, evaluate, run_checks_bench, seed_list
from governance.bench.fast import hour_shapes, hourly_counts
from governance.bench.realistic import ARCHETYPES, RAMP, generate_realistic
from governance.bench.replay import replay
from governance.bench.synthetic import generate_traffic, sample_events
from governance.bench.truth import MINUTES_PER_DAY, Traffic
from governance.plan.check_spec import SilenceParams, VolumeCheckParams
from governance.quality.baseline import expect_now, first_arrival_mask
from governance.quality.baseline.seasonal import MIN_WEEKS
from governance.quality.checks.silence import model as silence_model
from governance.quality.checks.volume import detector, model
from governance.quality.detect.silence import silence_flags
from governance.quality.detect.volume import volume_flags


@pytest.fixture(scope="module")
def synthetic() -> Traffic:
    return generate_traffic(events=40, days=14, seed=3)


@pytest.fixture(scope="module")
def realistic() -> Traffic:
    return generate_realistic(events=30, days=29, seed=5)


def test_synthetic_traffic_is_seeded_and_shaped(synthetic: Traffic) -> None:
    again = generate_traffic(events=40, days=14, seed=3)
    assert synthetic.counts.shape == (40, 14 * 1440) and np.array_equal(synthetic.counts, again.counts)
    assert synthetic.anomalies == again.anomalies and synthetic.start_minute % MINUTES_PER_DAY == 0
    assert (synthetic.violations <= synthetic.counts).all() and (synthetic.strings <= synthetic.counts).all()
    assert {a.kind for a in synthetic.anomalies} == {"zero", "half", "spike", "violations", "drift"}


def test_realistic_traffic_has_the_shapes_it_promises(realistic: Traffic) -> None:
    again = generate_realistic(events=30, days=29, seed=5)
    assert np.array_equal(realistic.counts, again.counts) and realistic.anomalies == again.anomalies
    assert set(realistic.archetypes) <= set(ARCHETYPES) and {"batch", "business"} <= set(realistic.archetypes)
    assert realistic.rate is not None
    batch = realistic.archetypes.index("batch")
    on = realistic.rate[batch] > 0
    assert 0.2 < on.mean() < 0.3  # 8 hours on 5 days of 7
    share_at_night = realistic.rate[realistic.archetypes.index("business")].reshape(-1, 60).sum(1)
    assert share_at_night.min() < 0.1 * share_at_night.max()  # a night floor
    assert realistic.holidays and all(hi - lo <= MINUTES_PER_DAY + RAMP for _, lo, hi in realistic.holidays)
    for a in realistic.anomalies:
        counts = realistic.counts[a.event, a.start : a.end]
        if a.kind in ("zero", "night_zero"):
            assert counts.sum() == 0
        elif a.kind == "campaign" and realistic.rate[a.event, a.start : a.end].sum() > 5000 and not any(
                b.kind == "decline" and b.event == a.event for b in realistic.anomalies):  # a decline stays
            assert counts.sum() > 1.8 * realistic.rate[a.event, a.start : a.end].sum()


def test_the_last_sunday_of_a_realistic_series_ramps_into_monday_as_every_sunday_does() -> None:
    # the ramp around local midnight used to be padded with the series' last day, so a weekdays-only
    # event never ramped into the Monday after the series (false silences on its last Sunday night)
    traffic = generate_realistic(events=30, days=35, seed=1)
    assert traffic.rate is not None
    weekdays_only = [e for e in range(30) if traffic.archetypes[e] == "business" and traffic.tz_offsets[e] == 0
                     and traffic.rate[e, 34 * MINUTES_PER_DAY + 720] == 0]  # nothing at noon on the last Sunday
    assert weekdays_only
    week = 7 * MINUTES_PER_DAY
    for e in weekdays_only:
        last, before = traffic.rate[e, -RAMP // 2 :], traffic.rate[e, -RAMP // 2 - week : -week]
        assert last.sum() > 0.5 * before.sum() and (last[1:] > 0).all()  # the ramp, as on the Sunday before
        assert traffic.counts[e, -RAMP // 2 :].sum() > 0
    again = generate_realistic(events=30, days=35, seed=1)  # the redrawn minutes are seeded too
    assert np.array_equal(traffic.counts, again.counts) and np.array_equal(traffic.violations, again.violations)


def test_sample_events_are_segment_track_calls() -> None:
    events = sample_events(50, seed=1)
    assert len(events) == 50 and events[0]["type"] == "track" and "order_id" in events[0]["properties"]
    assert seed_list("0-2,7") == (0, 1, 2, 7) and seed_list("") == ()


def _scalar(traffic: Traffic, events: list[int], minute: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What the volume and silence checks compute at ``minute``, one call per evaluation, for ``events``."""
    v, s = VolumeCheckParams(), SilenceParams()
    counts = traffic.counts[events]
    hourly = first_arrival_mask(hourly_counts(counts))
    t = minute // 60
    shapes = hour_shapes(counts[:, : t * 60 + 60], hourly)[:, [t - 2, t - 1, t]]
    now = expect_now(hourly[:, :t], traffic.start_minute // 60, traffic.start_minute + minute, model(v), shapes)
    low, high, learning = now.windows(v.windows)
    drop = np.zeros(len(events), bool)
    for i, w in enumerate(detector(v).windows):
        observed = counts[:, minute - w : minute].sum(1)
        d, sp = volume_flags(observed, np.where(learning[:, i], np.nan, low[:, i]),
                             np.where(learning[:, i], np.nan, high[:, i]), now.error, window_minutes=w,
                             params=detector(v), error_high=now.error_high,
                             settled=now.weeks[:, now.current] >= MIN_WEEKS)
        drop |= d | sp
    seen = counts[:, :minute] > 0
    gap = np.where(seen.any(1), np.argmax(seen[:, ::-1], axis=1), 10_080).astype(float)
    so_far = counts[:, t * 60 : minute].sum(1)
    quiet = expect_now(hourly[:, :t], traffic.start_minute // 60, traffic.start_minute + minute, silence_model(s),
                       shapes)
    span = np.minimum(np.maximum(gap, s.after_minutes), s.horizon_hours * 60.0)
    due, waiting, counted = quiet.gap(span, s.horizon_hours, so_far)
    settled, _, _ = quiet.gap(span, s.horizon_hours, so_far, until_minutes_ago=s.settle_minutes)
    recent, _, _ = quiet.gap(np.minimum(span, s.settle_minutes), s.horizon_hours, so_far)
    early, _, _ = quiet.gap(span, s.horizon_hours, so_far, until_minutes_ago=s.after_minutes)
    on = gap >= s.after_minutes
    silent = silence_flags(gap, due, np.where(on, settled, 0), recent, after_minutes=s.after_minutes,
                           min_expected=s.min_expected, settle_minutes=s.settle_minutes,
                           span_minutes=counted, early=early, level=quiet.drop_scale) & ~waiting
    return drop, silent, learning.all(1)


def test_the_fast_path_equals_the_checks_functions_evaluation_by_evaluation(realistic: Traffic) -> None:
    when, holds, learning = evaluate(realistic, BenchConfig(fast_cadence=5))  # one set of evaluation minutes
    times = when["drop"]
    assert when["silence"].tolist() == times.tolist()
    volume = holds["drop"] | holds["spike"]
    rng = np.random.default_rng(0)
    columns = sorted(set(rng.integers(0, times.size, 40).tolist())
                     | set(np.flatnonzero(volume.any(0))[:15].tolist())
                     | set(np.flatnonzero(holds["silence"].any(0))[:15].tolist()))
    events = list(range(realistic.counts.shape[0]))
    for j in columns:
        drop, silent, waiting = _scalar(realistic, events, int(times[j]))
        assert drop.tolist() == volume[:, j].tolist(), int(times[j])
        assert silent.tolist() == holds["silence"][:, j].tolist(), int(times[j])
        assert waiting.tolist() == learning["volume"][:, j].tolist(), int(times[j])
    assert volume.any() and holds["silence"].any() and learning["volume"][:, :100].any()


def test_run_cycle_over_a_real_database_agrees_with_the_fast_path(realistic: Traffic, tmp_path) -> None:  # type: ignore[no-untyped-def]
    when, holds, learning = evaluate(realistic, BenchConfig(fast_cadence=5))
    times = when["drop"]
    events = [realistic.archetypes.index(k) for k in ("batch", "business", "consumer")]
    fast = {"volume": holds["drop"] | holds["spike"], "silence": holds["silence"], "decline": holds["decline"],
            "violations": holds["violations"]}
    interesting: set[int] = set()
    for cond in fast.values():
        interesting |= set(np.flatnonzero(cond[events].any(0))[:4].tolist())
    interesting |= {10, 300, times.size - 1}  # learning in the first days, and the last evaluation
    columns = sorted(interesting)[:18]
    got = replay(realistic, events, [int(times[j]) for j in columns], directory=str(tmp_path))
    for kind, cond in fast.items():
        assert got.holds[kind].tolist() == cond[events][:, columns].tolist(), kind
    for kind in ("volume", "silence", "decline"):
        assert got.learning[kind].tolist() == learning[kind][events][:, columns].tolist(), kind
    assert any(got.holds[k].any() for k in fast) and got.learning["volume"].any()


def test_a_small_bench_run_reports_every_figure() -> None:
    report = run_checks_bench(events=30, days=22, tuning=(0,), held_out=(100,), replay_events=0, cycle_events=100,
                              gx_events=2000)
    for name in ("synthetic", "realistic"):
        for part in ("tuning", "held_out"):
            run = report["generators"][name][part]
            assert set(run["false_alerts"]) >= {"week_1", "week_2", "week_3", "weeks_4_plus", "all"} - {"weeks_4_plus"}
            assert run["recall"]["drops"]["anomalies"] > 0 and "median_latency_min" in run["recall"]["drops"]
            assert 0 <= run["false_alerts"]["all"]["per_1000_event_days"]
            assert run["learning_share_week_1"]["volume"] > run["learning_share_after"]["volume"]
    assert report["cycle_s"] > 0 and report["gx_s"] > 0 and report["gx_success"] is True  # sanity only
