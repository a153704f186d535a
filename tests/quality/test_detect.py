"""The pure detectors: baselines, volume, silence, violation rate, drift, hysteresis."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.bench.checks import hourly_counts
from governance.bench.synthetic import generate_traffic
from governance.quality.baseline import recent_level, weekday_factor
from governance.quality.detect import (
    Baseline,
    Hysteresis,
    Profile,
    State,
    VolumeParams,
    drift,
    firing_spans,
    level_baselines,
    profile_values,
    seasonal_baseline,
    silence,
    violation_rate,
    volume_anomaly,
    volume_check,
    window_baseline,
)


def scan(counts: np.ndarray, start: int, stop: int, params: VolumeParams, *, for_: int = 3) -> list[int]:
    """Evaluate one event every 5 minutes as the scheduler does; minutes at which an alert starts."""
    hourly = hourly_counts(counts[None, :])[0]
    h = Hysteresis(for_, 2)
    fired = []
    for now in range(start, stop, 5):
        hour = now // 60
        base_now, base_prev = level_baselines(hourly[:hour], hour)
        finding = volume_check(counts[now - 60 : now], base_now, base_prev, minute_of_hour=now % 60, params=params)
        before = h.state
        if h.update(finding is not None) is State.FIRING and before is not State.FIRING:
            fired.append(now)
    return fired


@pytest.fixture(scope="module")
def quiet_traffic() -> np.ndarray:
    """Eight days of three events (about 500, 2000 and 40 events/h), no anomalies."""
    rates = {"zero": 0, "half": 0, "spike": 0, "violations": 0, "drift": 0}
    traffic = generate_traffic(events=3, days=8, seed=11, anomaly_rates=rates)
    traffic.counts[0] = np.random.default_rng(1).poisson(traffic.rate[0] * 500 / traffic.mean_per_hour[0])
    traffic.counts[1] = np.random.default_rng(2).poisson(traffic.rate[1] * 2000 / traffic.mean_per_hour[1])
    traffic.counts[2] = np.random.default_rng(3).poisson(traffic.rate[2] * 40 / traffic.mean_per_hour[2])
    return traffic.counts


# -- baselines ------------------------------------------------------------------------------------


def test_seasonal_baseline_uses_weeks_when_there_are_three_and_days_before() -> None:
    hourly = np.tile(np.arange(24, dtype=float) * 10 + 100, 7 * 4)  # 4 weeks, a daily shape
    weekly = seasonal_baseline(hourly)
    assert weekly.method == "weekly" and weekly.samples == 4 and float(weekly.expected) == 100.0
    daily = seasonal_baseline(hourly[: 24 * 10], 24 * 9 + 5)
    assert daily.method.startswith("daily") and float(daily.expected) == pytest.approx(150.0)
    assert float(daily.spread) == pytest.approx(np.sqrt(150.0))  # MAD 0: the Poisson floor
    assert seasonal_baseline(hourly[:10]).method == "none"


def test_the_median_shrugs_off_one_bad_day() -> None:
    hourly = np.full(24 * 8, 1000.0)
    hourly[24 * 6 + 3] = 0.0  # an outage at the same hour yesterday
    base = seasonal_baseline(hourly, 24 * 7 + 3)
    assert float(base.expected) == 1000.0


def test_weekday_factor_finds_the_weekend_dip() -> None:
    days = np.array([1, 1, 1, 1, 1, 0.6, 0.6, 1, 1, 1, 1, 1, 0.6, 0.6])
    hourly = np.repeat(days * 1000, 24)
    assert float(weekday_factor(hourly, 24 * 12 + 12)) == pytest.approx(0.6)  # a Saturday
    assert float(weekday_factor(hourly, 24 * 10 + 12)) == pytest.approx(1.0)


def test_recent_level_follows_today_and_ignores_one_outlier_hour() -> None:
    expected = np.full(12, 100.0)
    observed = np.full(12, 80.0)
    observed[5] = 400.0  # a spike an hour long
    level, error = recent_level(observed, expected)
    assert float(level) == pytest.approx(0.8)
    assert float(error) < 0.1


def test_window_baseline_splits_the_window_between_hours() -> None:
    now = Baseline(np.array(600.0), np.array(0.0), "daily", 7)
    prev = Baseline(np.array(1200.0), np.array(0.0), "daily", 7)
    expected, spread = window_baseline(now, prev, window=30, minute_of_hour=10)
    assert float(expected) == pytest.approx(10 * 10 + 20 * 20)
    assert float(spread) == pytest.approx(np.sqrt(500))
    with pytest.raises(ValueError):
        window_baseline(now, prev, window=90, minute_of_hour=0)


# -- volume ---------------------------------------------------------------------------------------


def busy_hour(counts: np.ndarray) -> int:
    """First minute of the busiest hour of day 7 (the tests want an event above min_volume)."""
    day = counts[7 * 1440 + 600 : 8 * 1440].reshape(-1, 60).sum(axis=1)
    return 7 * 1440 + 600 + int(day.argmax()) * 60


def test_a_half_drop_of_40_minutes_is_caught_during_it(quiet_traffic: np.ndarray) -> None:
    counts = quiet_traffic[0].copy()  # ~500/h on average
    start = busy_hour(counts) + 7
    counts[start : start + 40] = np.random.default_rng(5).binomial(counts[start : start + 40], 0.5)
    fired = scan(counts, start - 60, start + 40, VolumeParams())
    assert fired and start < fired[0] <= start + 40


def test_a_drop_to_zero_is_caught_within_20_minutes(quiet_traffic: np.ndarray) -> None:
    counts = quiet_traffic[1].copy()  # ~2000/h on average
    start = busy_hour(counts) + 3
    counts[start : start + 60] = 0
    fired = scan(counts, start - 30, start + 60, VolumeParams())
    assert fired and fired[0] - start <= 20


def test_noise_alone_never_fires(quiet_traffic: np.ndarray) -> None:
    for event in (0, 1):
        assert scan(quiet_traffic[event], 7 * 1440, 8 * 1440, VolumeParams()) == []


def test_min_volume_floor_keeps_a_40_per_hour_event_quiet(quiet_traffic: np.ndarray) -> None:
    counts = quiet_traffic[2].copy()
    counts[7 * 1440 + 600 : 7 * 1440 + 720] = 0  # even a full outage: silence's business, not volume's
    assert scan(counts, 7 * 1440, 8 * 1440, VolumeParams(), for_=1) == []
    assert volume_anomaly(0, 40, 6.3, window_minutes=60) is None
    assert volume_anomaly(0, 40, 6.3, window_minutes=60, min_volume=10, min_count=10) is not None


def test_volume_anomaly_needs_both_z_and_relative_change() -> None:
    drop = volume_anomaly(400, 1000, 50, window_minutes=60)
    assert drop is not None and drop.kind == "volume_drop" and drop.score == pytest.approx(12)
    assert "dropped 60%" in drop.message and json.dumps(drop.to_dict())
    assert volume_anomaly(700, 1000, 50, window_minutes=60) is None  # z=6 but only 30 % down
    assert volume_anomaly(500, 1000, 200, window_minutes=60) is None  # 50 % down but z=2.5
    spike = volume_anomaly(2500, 1000, 100, window_minutes=60)
    assert spike is not None and spike.kind == "volume_spike"
    assert volume_anomaly(2500, 1000, 100, window_minutes=60, direction="drop") is None
    assert volume_anomaly(400, 1000, 50, window_minutes=60, direction="spike") is None


@settings(max_examples=200, deadline=None)
@given(observed=st.floats(0, 1e6), expected=st.floats(0, 99.9), spread=st.floats(0.1, 1e3))
def test_nothing_fires_below_min_volume(observed: float, expected: float, spread: float) -> None:
    assert volume_anomaly(observed, expected, spread, window_minutes=60) is None


# -- silence and violation rate ---------------------------------------------------------------


def test_silence_needs_the_gap_and_enough_expected_events() -> None:
    found = silence(20, 600, after_minutes=15)
    assert found is not None and found.kind == "silence" and found.expected == pytest.approx(200)
    assert silence(10, 600, after_minutes=15) is None  # not long enough
    assert silence(60, 10, after_minutes=15) is None  # 10/h: 10 missing events could be chance
    assert silence(150, 10, after_minutes=15) is not None  # 25 missing events are not
    never = silence(None, 100)
    assert never is not None and "no events yet" in never.message


def test_violation_rate_threshold_min_events_and_confidence() -> None:
    found = violation_rate(30, 200, threshold=0.05)
    assert found is not None and found.observed == pytest.approx(0.15) and "15.0%" in found.message
    assert violation_rate(20, 40, threshold=0.05) is None  # fewer than min_events
    assert violation_rate(8, 100, threshold=0.05) is None  # 8 % could be 5 % by chance
    assert violation_rate(8, 100, threshold=0.05, confidence_z=0) is not None  # raw comparison


# -- drift ----------------------------------------------------------------------------------------


def test_profile_values_counts_types_nulls_and_values() -> None:
    prof = profile_values([1, 2, "2", None, True, 1.5, [1], {"a": 1}])
    assert prof.count == 8 and prof.nulls == 1
    assert prof.types == {"int": 2, "string": 1, "bool": 1, "float": 1, "array": 1, "object": 1}
    assert prof.values == {"1": 1, "2": 1, '"2"': 1, "true": 1}
    assert Profile.from_dict(json.loads(json.dumps(prof.to_dict()))) == prof
    assert profile_values(range(100), max_values=50).overflow


def test_drift_reports_the_type_mix_text() -> None:
    before = profile_values([7] * 1000)
    after = profile_values([7] * 840 + ["7"] * 160)
    found = drift(before, after)
    assert found is not None and found.kind == "drift"
    assert "int 100% -> int 84% / string 16%" in found.message
    assert found.observed == pytest.approx(0.16) and found.expected == 0.0


def test_drift_null_rate_and_value_shares() -> None:
    before = profile_values(["USD"] * 700 + ["EUR"] * 300)
    assert drift(before, profile_values(["USD"] * 700 + ["EUR"] * 200 + [None] * 100)) is not None
    shifted = drift(before, profile_values(["USD"] * 400 + ["EUR"] * 600))
    assert shifted is not None and '"EUR" 30% -> 60%' in shifted.message


def test_drift_stays_quiet_on_sampling_noise_and_small_samples() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        a = profile_values(rng.choice(["a", "b", "c", "d", None], 500, p=[0.4, 0.3, 0.2, 0.05, 0.05]).tolist())
        b = profile_values(rng.choice(["a", "b", "c", "d", None], 500, p=[0.4, 0.3, 0.2, 0.05, 0.05]).tolist())
        assert drift(a, b) is None
    assert drift(profile_values([1] * 50), profile_values(["1"] * 50)) is None  # below min_count


# -- hysteresis -----------------------------------------------------------------------------------


def run(h: Hysteresis, conditions: str) -> list[str]:
    return [h.update(c == "1").value for c in conditions]


def test_hysteresis_for_then_keep_firing_for_then_resolve() -> None:
    states = run(Hysteresis(for_=3, keep_firing_for=2), "0111000000")
    assert states == ["inactive", "pending", "pending", "firing", "firing", "firing", "resolved",
                      "inactive", "inactive", "inactive"]


def test_hysteresis_flapping_never_fires_and_a_blip_while_firing_keeps_it() -> None:
    assert "firing" not in run(Hysteresis(for_=3), "1101101101")
    states = run(Hysteresis(for_=2, keep_firing_for=1), "1101011000")
    assert states == ["pending", "firing", "firing", "firing", "firing", "firing", "firing", "firing",
                      "resolved", "inactive"]


def test_hysteresis_for_one_fires_at_once_and_resolved_can_restart() -> None:
    assert run(Hysteresis(for_=1), "1011") == ["firing", "resolved", "firing", "firing"]
    assert run(Hysteresis(for_=0), "1") == ["firing"]
    with pytest.raises(ValueError):
        Hysteresis(for_=-1)


def test_hysteresis_state_survives_a_round_trip_through_json() -> None:
    whole, first = Hysteresis(3, 2), Hysteresis(3, 2)
    run(first, "0110")
    restored = Hysteresis.from_dict(json.loads(json.dumps(first.to_dict())))
    assert restored == first and restored.to_dict()["state"] == "inactive"
    assert run(whole, "0110" + "11100011")[4:] == run(restored, "11100011")


@settings(max_examples=200, deadline=None)
@given(conditions=st.lists(st.booleans(), max_size=60), for_=st.integers(1, 5), keep=st.integers(0, 3))
def test_hysteresis_fires_only_after_for_consecutive_true(conditions: list[bool], for_: int, keep: int) -> None:
    for first, last in firing_spans(conditions, for_=for_, keep_firing_for=keep):
        assert all(conditions[first - for_ + 1 : first + 1]) and first - for_ + 1 >= 0
        assert conditions[last] or last - max(i for i in range(last + 1) if conditions[i]) <= keep
