"""The first week: a silence from one earlier core day, and floors that never count on a schedule's edge."""

from __future__ import annotations

import numpy as np
import pytest

from governance.bench.truth import MONDAY
from governance.quality.baseline import expect_now
from governance.quality.baseline.seasonal import LEARNING, NEEDS_DAYS, SILENCE_ONLY, estimate_hours
from governance.quality.baseline.shape import SUB
from governance.quality.checks.expected import waits_for
from governance.quality.detect.silence import silence

FIRST = MONDAY // 60  # epoch hour of a Monday 00:00 UTC


def test_one_core_day_gives_a_silence_floor_of_half_its_least_busy_neighbour_but_no_drop_estimate() -> None:
    hourly = np.full(24 + 14, 1000.0)  # Monday, and Tuesday until 14:00
    hourly[13] = 800.0  # Monday 13:00 was quieter
    est = estimate_hours(hourly, FIRST, [24 + 14])  # Tuesday 14:00: one core day (Monday 14:00) behind it
    assert est.learning[0, 0] == SILENCE_ONLY
    assert np.isnan(est.low[0, 0]) and np.isnan(est.high[0, 0])  # drops and spikes still wait
    assert est.floor[0, 0] == pytest.approx(400.0)  # half of the least of Monday 13:00, 14:00 and 15:00


def test_a_busy_event_at_zero_on_the_second_day_is_a_silence_while_volume_still_learns() -> None:
    hourly = np.full(24 + 14, 1000.0)
    minute = MONDAY + (24 + 14) * 60 + 20  # Tuesday 14:20, nothing since 14:00
    now = expect_now(hourly[None, :], FIRST, minute)
    due, learning, counted = now.gap([20], 48, [0])
    assert not learning[0] and float(due[0]) == pytest.approx(500 * 20 / 60)
    settled, _, _ = now.gap([20], 48, [0], until_minutes_ago=3)
    recent, _, _ = now.gap([3], 48, [0])
    assert silence(20, float(due[0]), float(settled[0]), float(recent[0]), span_minutes=float(counted[0])) is not None
    assert now.windows([10, 60])[2].all()  # every volume window is still learning
    assert waits_for(now, now.current - 1) == LEARNING[SILENCE_ONLY]  # and says what it waits for
    assert "2 days" in LEARNING[SILENCE_ONLY]


def test_a_quiet_event_is_not_silent_against_one_day() -> None:
    hourly = np.full(24 + 14, 30.0)  # 30 an hour: half of it owes 15 events in an hour, under min_expected
    now = expect_now(hourly[None, :], FIRST, MONDAY + (24 + 14) * 60 + 50)
    due, learning, counted = now.gap([50], 48, [0])
    settled, _, _ = now.gap([50], 48, [0], until_minutes_ago=3)
    recent, _, _ = now.gap([3], 48, [0])
    assert not learning[0] and float(due[0]) < 20
    assert silence(50, float(due[0]), float(settled[0]), float(recent[0]), span_minutes=float(counted[0])) is None


def test_the_first_weeks_floor_never_counts_on_the_hour_before_a_batch_starts() -> None:
    day = np.zeros(24)
    day[8], day[9:17] = 56.0, 2400.0  # the batch started at 08:58-08:59 on both core days
    hourly = np.concatenate([day, day, day, day[:8]])  # Monday to Wednesday, and Thursday until 08:00
    est = estimate_hours(hourly, FIRST, [72 + 8, 72 + 9, 72 + 12])  # Tuesday and Wednesday are its core days
    assert est.low[0, 0] == pytest.approx(56.0)  # drops still judge the hour as it was
    assert est.floor[0].tolist() == [0.0, 56.0, 2400.0]  # next to a quiet 07:00; next to the 56 of 08:00
    # so at 09:02, with the batch not yet started, nothing was owed three minutes ago
    today = np.concatenate([day, day, day, np.zeros(9)])  # Thursday: nothing by 09:00
    now = expect_now(today[None, :], FIRST, MONDAY + (72 + 9) * 60 + 2)
    settled, _, _ = now.gap([16 * 60], 48, [0], until_minutes_ago=3)
    assert float(settled[0]) < 20


def test_no_core_day_at_the_hour_still_waits_for_days() -> None:
    est = estimate_hours(np.full(14, 1000.0), FIRST, [14])  # Monday 14:00, the first day
    assert est.learning[0, 0] == NEEDS_DAYS and np.isnan(est.floor[0, 0])


def test_a_batch_that_starts_four_minutes_after_its_learned_start_is_not_silent() -> None:
    # UTC+5:30: 09:00 local is half past the UTC hour; the batch's learned shape starts at 08:58 (minute 28)
    week = np.zeros(168)
    for d in range(5):
        week[d * 24 + 3] = 1000.0  # 08:30-09:30 local: its second half
        week[d * 24 + 4 : d * 24 + 11] = 2000.0
    history = np.tile(week, 3)[: 14 * 24 + 24 + 3]  # until Tuesday 08:30 local of the third week
    shapes = np.zeros((1, 2, SUB + 1))
    shapes[0, 0] = np.linspace(0, 1, SUB + 1)
    shapes[0, 1] = np.clip((np.arange(SUB + 1) - 28) / 32, 0, 1)  # nothing before 08:58
    minute = MONDAY + (14 * 24 + 24 + 3) * 60
    for into, fires in ((32, False), (45, True)):  # 09:02 and 09:15 local, nothing since yesterday 16:00
        now = expect_now(history[None, :], FIRST, minute + into, shapes=shapes)
        gap = 17 * 60 + into
        due, learning, counted = now.gap([gap], 48, [0])
        settled, _, _ = now.gap([gap], 48, [0], until_minutes_ago=3)
        recent, _, _ = now.gap([3], 48, [0])
        early, _, _ = now.gap([gap], 48, [0], until_minutes_ago=15)
        assert not learning[0] and float(settled[0]) > 20  # it did owe, three minutes ago
        found = silence(gap, float(due[0]), float(settled[0]), float(recent[0]), after_minutes=15,
                        settle_minutes=3, span_minutes=float(counted[0]), early=float(early[0]))
        assert (found is not None) is fires
