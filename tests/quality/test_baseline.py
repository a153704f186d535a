"""What the volume and silence checks expect: estimates, the weekday core, learning, level, shapes, windows, gaps."""

from __future__ import annotations

import numpy as np
import pytest

from governance.bench.truth import MONDAY
from governance.quality.baseline import expect_now, first_arrival_mask
from governance.quality.baseline.level import recent_level, weighted_median
from governance.quality.baseline.seasonal import (
    KNOWN,
    NEEDS_DAYS,
    NEEDS_WEEK,
    NEVER_SEEN,
    SILENCE_ONLY,
    estimate_hours,
    hour_of_week,
    in_core,
)
from governance.quality.baseline.shape import SAMPLES, SUB, ShapeLookup, learned_shape, share_until

FIRST = MONDAY // 60  # epoch hour of a Monday 00:00 UTC


def test_hour_of_week_and_the_weekday_core() -> None:
    assert int(hour_of_week(FIRST)) == 0 and int(hour_of_week(FIRST + 24 * 5 + 3)) == 123  # Saturday 03:00
    core = in_core(FIRST + np.arange(168))
    assert not core[:12].any() and core[12:108].all() and not core[108:].any()  # Mon 12:00 .. Fri 12:00


def test_three_weeks_give_the_median_of_the_same_hour_of_the_week() -> None:
    hourly = np.tile(np.arange(24, dtype=float) * 10 + 100, 7 * 4)
    hourly[24 * 14 + 5] = 0.0  # an outage two weeks ago at that hour
    est = estimate_hours(hourly, FIRST, [24 * 28 + 5])
    assert est.weeks[0, 0] == 4 and est.learning[0, 0] == KNOWN
    assert est.low[0, 0] == est.high[0, 0] == pytest.approx(150.0)


def test_one_week_is_judged_low_and_high_against_the_last_days() -> None:
    days = np.array([1, 1, 1, 1, 1, 0.1, 0.1, 1, 1, 1, 1, 1], dtype=float)  # Mon.. with a quiet weekend
    hourly = np.repeat(days * 1000, 24)
    saturday = estimate_hours(hourly[: 24 * 12], FIRST, [24 * 12 + 10])  # the second Saturday
    assert saturday.weeks[0, 0] == 1
    assert saturday.low[0, 0] == pytest.approx(100.0)  # quiet last Saturday: quiet again
    assert saturday.high[0, 0] == pytest.approx(1000.0)  # a spike must beat a weekday


def test_the_first_week_judges_only_the_weekday_core() -> None:
    hourly = np.full(24 * 5, 500.0)  # Monday to Friday 00:00
    est = estimate_hours(hourly, FIRST, [24 + 14, 24 * 2 + 14, 24 * 4 + 14, 24 * 5 + 10])
    # Tue 14:00 has one earlier core day: learning for drops, a floor for silences; Wed: two core days
    assert est.learning[0].tolist() == [SILENCE_ONLY, KNOWN, NEEDS_WEEK, NEEDS_WEEK]  # Tue, Wed, Fri 14:00, Sat 10:00
    monday = estimate_hours(hourly, FIRST, [14])  # Monday 14:00: no earlier core day at all
    assert monday.learning[0, 0] == NEEDS_DAYS
    assert np.isnan(est.low[0, 0]) and est.low[0, 1] == pytest.approx(500.0)
    never = estimate_hours(np.full((1, 48), np.nan), FIRST, [50])
    assert never.learning[0, 0] == NEVER_SEEN


def test_hours_before_the_first_arrival_are_unknown_not_zero() -> None:
    masked = first_arrival_mask(np.array([[0, 0, 3, 0, 5]]))
    # the hour of the first arrival is partial (an install or a deploy starts within it): unknown too
    assert np.isnan(masked[0, :3]).all() and masked[0, 3:].tolist() == [0, 5]


def test_a_batch_edge_hour_has_no_floor_to_count_on() -> None:
    days = np.zeros((28, 24))
    days[:, 12] = 3000 + 10 * np.arange(28) % 30
    days[:, 17] = np.resize([0, 40, 90, 10, 60], 28)  # the minutes after 17:00 hold more or less
    est = estimate_hours(days.reshape(-1), FIRST, [24 * 28 + 17, 24 * 28 + 12])
    assert est.low[0, 0] > 0 and est.floor[0, 0] < 0.1 * est.low[0, 0]
    assert est.floor[0, 1] > 2900


def test_the_level_is_a_weighted_median_that_shrugs_off_an_outlier_hour() -> None:
    assert float(weighted_median(np.array([1.0, 2.0, 10.0]), np.array([1.0, 1.0, 0.5]))) == 2.0
    expected = np.array([1000.0] * 11 + [5.0])
    observed = np.array([800.0] * 11 + [50.0])  # a night hour running 10x says nothing
    level, error = recent_level(observed, expected)
    assert float(level) == pytest.approx(0.8) and float(error) < 0.1
    assert recent_level(np.full(3, np.nan), np.full(3, 10.0))[0] == 1.0


def test_a_learned_shape_puts_a_batch_where_it_runs() -> None:
    minutes = np.full((SAMPLES, 60), np.nan)  # seven days, no week yet
    minutes[:7] = 0.0
    minutes[:7, 30:] = 100.0  # 09:00 local at UTC+5:30 is half past the hour
    minutes[2, 28:30] = 100.0  # one day it started two minutes early
    minutes[4, :] *= 0.1  # a quiet day (a holiday): a level, not a shape
    cum = learned_shape(minutes)
    assert cum.shape == (SUB + 1,) and cum[-1] == pytest.approx(1.0)
    assert share_until(cum[None], np.array([[0.49]]))[0, 0] < 0.01  # the early day's minutes are not expected
    assert float(ShapeLookup(cum[None, None], 0).until(np.array([0.75]))[0]) == pytest.approx(0.5, abs=0.01)
    even = learned_shape(np.full((SAMPLES, 60), np.nan))  # no day known: an even spread
    assert np.allclose(np.diff(even), 1 / SUB)


def _series(days: int, rate: np.ndarray) -> np.ndarray:
    return np.tile(rate, days).astype(float)


def test_a_steep_morning_ramp_is_not_a_drop_when_the_shape_is_learned() -> None:
    per_minute = np.concatenate([np.zeros(8 * 60), np.linspace(0, 20, 120), np.full(14 * 60, 20.0)])
    hourly = per_minute.reshape(24, 60).sum(1)
    history = _series(29, hourly)[: 28 * 24 + 8]
    minute = MONDAY + 28 * 1440 + 8 * 60 + 20  # 08:20, twenty minutes into the ramp
    samples = np.stack([np.tile(per_minute[h * 60 : h * 60 + 60], (SAMPLES, 1)) for h in (7, 8)])
    now = expect_now(history, FIRST, minute, shapes=learned_shape(samples)[None])
    even = expect_now(history, FIRST, minute)
    truth = per_minute[8 * 60 : 8 * 60 + 20].sum()
    # the low expectation allows the ramp to start up to 3 minutes late: what 08:03-08:20 holds
    late = per_minute[8 * 60 : 8 * 60 + 17].sum()
    assert late * 0.9 <= float(now.windows([20])[0][0, 0]) <= truth * 1.1
    assert float(even.windows([20])[0][0, 0]) > 2.5 * truth  # spread evenly, the ramp would look like a drop


def test_a_silence_integrates_the_floor_over_exactly_the_gap() -> None:
    # weekdays only, 09:00-17:00, 600 an hour: nothing is owed over the night
    week = np.zeros(168)
    for d in range(5):
        week[d * 24 + 9 : d * 24 + 17] = 600.0
    history = np.tile(week, 5)
    tuesday_0915 = MONDAY + (28 * 24 + 24 + 9) * 60 + 15
    now = expect_now(history[None, : 28 * 24 + 24 + 9], FIRST, tuesday_0915)
    overnight = (9 * 60 + 15) + 7 * 60  # since Monday 17:00
    due, learning, counted = now.gap([overnight], 48, [0])
    assert not learning[0] and float(due[0]) == pytest.approx(150.0)  # 15 minutes of 09:00, nothing before
    assert float(counted[0]) == pytest.approx(15.0)  # the night expected nothing: the debt starts at 09:00
    assert float(now.gap([overnight], 48, [0], until_minutes_ago=15)[0][0]) == pytest.approx(0.0)


def test_a_gap_that_began_after_the_hour_had_its_events_owes_nothing_more() -> None:
    history = np.full((1, 24 * 29), 1200.0)
    minute = MONDAY + 28 * 1440 + 11 * 60 + 45
    now = expect_now(history[:, : 28 * 24 + 11], FIRST, minute)
    owed_full, _, _ = now.gap([20], 48, [1200])  # the hour already brought its 1,200 before 11:25
    owed_empty, _, _ = now.gap([20], 48, [400])  # ... or only 400 of them
    # its high estimate owed 900 by 11:45, less the 400 that came: 500, more than the 400 of the gap itself
    assert float(owed_full[0]) == 0.0 and float(owed_empty[0]) == pytest.approx(400.0)


def test_expect_now_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match="not in the hour after the series"):
        expect_now(np.ones((1, 48)), FIRST, MONDAY)
    with pytest.raises(ValueError, match="shapes"):
        expect_now(np.ones((1, 48)), FIRST, MONDAY + 48 * 60, shapes=np.zeros((1, 3)))


def test_weekly_samples_shape_an_hour_once_three_weeks_exist() -> None:
    minutes = np.full((SAMPLES, 60), 10.0)  # every day: flat
    minutes[7:, 30:] = 1.0  # the same hour a week earlier (three weeks): Saturday begins at half past
    cum = learned_shape(minutes)
    assert share_until(cum[None], np.array([[0.5]]))[0, 0] == pytest.approx(10 / 11, abs=0.02)
    minutes[9:] = np.nan  # two weeks only: the days decide
    assert share_until(learned_shape(minutes)[None], np.array([[0.5]]))[0, 0] == pytest.approx(0.5, abs=0.02)


def test_an_hour_quiet_on_one_of_its_weeks_owes_a_silence_nothing() -> None:
    days = np.zeros((28, 24))
    days[:, 12] = 3000.0
    days[:, 17] = np.resize([40.0, 40.0, 40.0, 0.0, 40.0, 40.0, 40.0], 28)  # Thursdays the batch stops on time
    est = estimate_hours(days.reshape(-1), FIRST, [24 * 28 + 17 + 24 * k for k in range(7)] + [24 * 28 + 12])
    thursday = 3  # day 31 is a Thursday: its weekly samples held 0
    assert est.floor[0, thursday] == 0.0 and est.low[0, thursday] == 0.0
    friday = 4  # never quiet on Fridays: the floor stays (drops still judge the low estimate)
    assert est.low[0, friday] == pytest.approx(40.0) and est.floor[0, friday] == pytest.approx(40.0)
    assert est.floor[0, -1] == pytest.approx(3000.0)


def test_the_first_week_judges_drops_against_its_lowest_core_day() -> None:
    hourly = np.full(24 * 5, 500.0)
    hourly[24 : 24 * 3] = 1250.0  # a 2.5x campaign on Tuesday and Wednesday
    est = estimate_hours(hourly[: 24 * 4], FIRST, [24 * 3 + 14])  # Thursday 14:00: Mon, Tue, Wed core days
    assert est.learning[0, 0] == KNOWN
    assert est.low[0, 0] == pytest.approx(500.0)  # the median (1250) would make the campaign's end a drop
    assert est.high[0, 0] == pytest.approx(1250.0)


def test_before_three_weeks_an_hour_unlike_the_other_days_has_no_floor() -> None:
    days = np.array([1, 1, 1, 1, 1, 0.1, 0.0, 1, 1, 1, 1, 1], dtype=float)  # weekdays, a quiet Saturday
    hourly = np.repeat(days * 1000, 24)
    saturday = estimate_hours(hourly, FIRST, [24 * 12 + 1])  # the second Saturday, 01:00
    assert saturday.weeks[0, 0] == 1 and saturday.low[0, 0] == pytest.approx(100.0)
    assert saturday.floor[0, 0] == 0.0  # its shape is still learned from weekdays: a silence counts nothing


def test_an_hour_quieter_than_other_days_keeps_its_own_weekly_shape() -> None:
    minutes = np.full((SAMPLES, 60), 10.0)  # the days: flat, 600 an hour
    minutes[7:, :] = 0.0
    minutes[7:, :20] = 5.0  # the same hour of the week (100 events): a weekend begins, done by 20 past
    cum = learned_shape(minutes)
    assert share_until(cum[None], np.array([[1 / 3]]))[0, 0] == pytest.approx(1.0, abs=0.03)


def _batch_end_now(minute_of_hour: int) -> tuple[float, float, float]:
    """A 600-an-hour batch that stops at 17:01 on every day of its history; the low expectation of the
    20- and 30-minute windows at 17:``minute_of_hour``, and the low of a 20-minute window mid-batch."""
    per_minute = np.zeros(24 * 60)
    per_minute[9 * 60 : 17 * 60 + 1] = 10.0
    hourly = per_minute.reshape(24, 60).sum(1)
    history = np.tile(hourly, 29)[: 28 * 24 + 17]
    samples = np.stack([np.tile(per_minute[h * 60 : h * 60 + 60], (SAMPLES, 1)) for h in (16, 17)])
    now = expect_now(history, FIRST, MONDAY + (28 * 24 + 17) * 60 + minute_of_hour,
                     shapes=learned_shape(samples)[None])
    low, _, _ = now.windows([20, 30])
    mid = expect_now(np.tile(hourly, 29)[: 28 * 24 + 12], FIRST, MONDAY + (28 * 24 + 12) * 60 + 30)
    return float(low[0, 0]), float(low[0, 1]), float(mid.windows([20])[0][0, 0])


def test_a_batch_that_stops_a_few_minutes_early_is_not_a_drop_of_the_window_after_its_end() -> None:
    # at 17:20 the 30-minute window (16:50-17:20) held 11 minutes of the batch on every day; today it stopped
    # at 16:58: 8 minutes, 73 %. The low expectation lets the schedule run 3 minutes early: 8 minutes' worth
    twenty, thirty, mid = _batch_end_now(20)
    assert thirty == pytest.approx(80.0, rel=0.05) and twenty == pytest.approx(0.0, abs=1.0)
    assert mid == pytest.approx(200.0)  # a smooth stretch is judged as before: an outage there is still a drop


def test_a_window_four_weeks_with_two_campaign_weeks_takes_the_lower_middle_for_drops() -> None:
    hourly = np.full(24 * 28, 1000.0)
    for week in (1, 3):  # 2.5x campaigns in two of the four weeks, at 10:00 on Mondays
        hourly[24 * 7 * week + 10] = 2500.0
    est = estimate_hours(hourly, FIRST, [24 * 28 + 10])
    assert est.weeks[0, 0] == 4
    assert est.low[0, 0] == pytest.approx(1000.0)  # the mean of the two middle values was 1,750
    assert est.high[0, 0] == pytest.approx(2500.0)


def test_a_spike_must_beat_an_even_spread_of_the_hour_whatever_its_learned_shape() -> None:
    history = np.full((1, 28 * 24 + 14), 600.0)
    crowded = np.zeros((1, 2, SUB + 1))
    crowded[..., 1:] = np.linspace(0.9, 1.0, SUB)  # a shape that put 90 % of both hours into their first minute
    now = expect_now(history, FIRST, MONDAY + (28 * 24 + 14) * 60 + 30, shapes=crowded)
    low, high, learning = now.windows([10])
    assert not learning[0, 0] and float(low[0, 0]) < 20.0  # drops still use the learned shape
    assert float(high[0, 0]) == pytest.approx(100.0)  # ten minutes of 600 an hour, at least


def test_an_hour_quiet_on_a_recent_day_next_to_a_busy_one_is_an_edge_a_silence_cannot_count_on() -> None:
    days = np.zeros((9, 24))
    days[:5, 9:17] = 6000.0  # weekdays 09:00-17:00, Monday to Friday, then the second week's Monday and Tuesday
    days[7:, 9:17] = 6000.0
    days[[0, 1, 2, 4, 7], 8] = 200.0  # the batch usually starts at 08:58 ...
    days[3, 8] = 0.0  # ... but on Thursday at 09:02
    est = estimate_hours(days.reshape(-1), FIRST, [24 * 8 + 8, 24 * 8 + 12])  # the second Tuesday, 08:00, 12:00
    assert est.weeks[0, 0] == 1 and est.low[0, 0] == pytest.approx(200.0)  # drops still judge the low estimate
    assert est.floor[0, 0] == 0.0  # last Tuesday held 200, but Thursday's 08:00 was quiet next to a busy 09:00
    # 12:00 was quiet on the weekend, next to quiet hours: not an edge, the floor stands
    assert est.floor[0, 1] == pytest.approx(6000.0)


def test_a_quiet_level_never_lowers_the_bar_for_a_spike() -> None:
    history = np.full((1, 28 * 24 + 14), 1000.0)
    history[0, -14:] = 700.0  # a slow day: the last hours at 70 % of their estimate
    now = expect_now(history, FIRST, MONDAY + (28 * 24 + 14) * 60 + 30)
    # drops follow the level down (through ``week_level``, which scales the week samples to 0.7, or the level)
    assert float(now.low[0, now.current] * now.drop_scale[0]) == pytest.approx(700.0, rel=0.02)
    assert float(now.spike_scale[0]) == 1.0  # spikes do not: 2x of the day's usual, not of a slow morning
