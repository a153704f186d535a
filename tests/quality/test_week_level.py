"""Weeks 2-3: the same-hour-of-week sample scaled by how the recent hours compare with it (``week_level``)."""

from __future__ import annotations

import numpy as np
import pytest

from governance.bench.truth import MONDAY
from governance.quality.baseline import ModelParams, expect_now
from governance.quality.baseline.expectation import week_level
from governance.quality.baseline.seasonal import estimate_hours
from governance.quality.detect.volume import VolumeParams, volume_check

FIRST = MONDAY // 60  # epoch hour of a Monday 00:00 UTC
SATURDAY = 24 * 12 + 10  # the second Saturday, 10:00


def _weeks(campaign: bool) -> np.ndarray:
    """Weekdays at 1,000 an hour, weekends at 300; with ``campaign``, 2.5x from the first Thursday 12:00
    to Sunday 00:00 (Friday and Saturday of the first week whole)."""
    hourly = np.zeros(SATURDAY)
    for hour in range(SATURDAY):
        hourly[hour] = 300.0 if (hour // 24) % 7 >= 5 else 1000.0
    if campaign:
        hourly[24 * 3 + 12 : 24 * 6] *= 2.5
    return hourly[None, :]


def _saturday(campaign: bool) -> tuple[float, float]:
    """The low expectation of the 60-minute window at the second Saturday 10:30, and the drop scale."""
    now = expect_now(_weeks(campaign), FIRST, MONDAY + SATURDAY * 60 + 30)
    low, _high, learning = now.windows([60])
    assert not learning[0, 0] and int(now.weeks[0, now.current]) == 1
    return float(low[0, 0]), float(now.drop_scale[0])


def test_a_campaign_last_saturday_is_scaled_down_by_the_recent_hours_against_last_week() -> None:
    # last Saturday (the only same-hour-of-week sample) held 750 an hour, and the day median of the last seven
    # days is a weekday's 1,000: the lower of the two, 750, made a normal Saturday of 300 a 60 % drop. Friday
    # night and Saturday morning held 0.4 of what they held last week: the week sample counts for 0.4 of it
    low, scale = _saturday(campaign=True)
    assert low == pytest.approx(300.0, rel=0.03) and scale == pytest.approx(1.0, abs=0.02)
    normal = np.full(60, 300.0 / 60)
    assert volume_check(normal, [low], [low], 0.15, VolumeParams(windows=(60,))) is None


def test_after_a_campaign_week_a_half_drop_on_saturday_is_still_a_drop() -> None:
    low, _ = _saturday(campaign=True)
    half = np.full(60, 150.0 / 60)
    finding = volume_check(half, [low], [low], 0.15, VolumeParams(windows=(60,)))
    assert finding is not None and finding.kind == "volume_drop"


def test_without_a_campaign_the_week_sample_stands() -> None:
    low, scale = _saturday(campaign=False)
    assert low == pytest.approx(300.0, rel=0.03) and scale == pytest.approx(1.0, abs=0.02)


def test_the_first_week_and_three_weeks_on_have_no_week_sample_to_scale() -> None:
    hourly = np.full(24 * 28, 1000.0)
    est = estimate_hours(hourly, FIRST, [24 * 3 + 14, 24 * 9 + 14, 24 * 22 + 14])  # week 1, week 2, week 4
    assert est.weeks[0].tolist() == [0, 1, 3]
    assert np.isnan(est.week_low[0, 0]) and est.week_low[0, 1] == 1000.0 and np.isnan(est.week_low[0, 2])


def _three_weeks(campaigns: tuple[int, ...]) -> np.ndarray:
    """Three weeks and a day to the fourth Saturday 10:00: weekdays at 1,000 an hour from 08:00 to 20:00,
    nights and weekends at 300; 2.5x from Friday 12:00 to Monday 00:00 of each week in ``campaigns`` (0, 1, 2)."""
    end = 24 * 26 + 10
    hourly = np.array([300.0 if (hour // 24) % 7 >= 5 or not 8 <= hour % 24 < 20 else 1000.0 for hour in range(end)])
    for week in campaigns:
        hourly[168 * week + 24 * 4 + 12 : 168 * week + 24 * 7] *= 2.5
    return hourly[None, :]


def test_two_campaign_weekends_of_three_are_scaled_down_by_the_recent_hours_too() -> None:
    # three same-hour-of-week samples, two of them campaigns (750): their middle value is a campaign's, and the
    # day median is a weekday's 1,000, so a normal Saturday of 300 read as a 60 % drop (the level said 1: the
    # lookback's lows, Friday night and Saturday morning, were the nights' day median, 300). Those hours held 0.4
    # of their middle week sample, which now counts for 0.4 of itself
    history = _three_weeks((0, 2))
    now = expect_now(history, FIRST, MONDAY + history.shape[1] * 60 + 30)
    low, _high, learning = now.windows([60])
    assert not learning[0, 0] and int(now.weeks[0, now.current]) == 3
    assert float(low[0, 0]) == pytest.approx(300.0, rel=0.05)
    assert volume_check(np.full(60, 300.0 / 60), [low[0, 0]], [low[0, 0]], 0.1, VolumeParams(windows=(60,))) is None
    assert volume_check(np.full(60, 120.0 / 60), [low[0, 0]], [low[0, 0]], 0.1, VolumeParams(windows=(60,))) is not None


def test_the_old_default_left_two_campaign_weeks_of_three_as_the_bar() -> None:
    history = _three_weeks((0, 2))
    old = ModelParams(week_level_weeks=3)  # week_level in weeks 1-2 of samples only, as before
    low, _high, _ = expect_now(history, FIRST, MONDAY + history.shape[1] * 60 + 30, old).windows([60])
    assert float(low[0, 0]) == pytest.approx(750.0, rel=0.05)  # a normal 300 was a 60 % drop


def test_an_ordinary_week_on_week_dip_leaves_the_week_sample_alone() -> None:
    observed = np.full((1, 12), 900.0)
    assert week_level(observed, np.full((1, 12), 1000.0), below=0.8)[0] == 1.0  # 0.9: the level's business
    assert week_level(observed, np.full((1, 12), 2250.0), below=0.8)[0] == pytest.approx(0.4)  # a campaign week
    assert week_level(observed, np.full((1, 12), 1000.0))[0] == pytest.approx(0.9)  # below=1: every dip
    assert ModelParams().week_level_below == 0.8


def test_weeks_two_and_three_raise_the_high_estimate_to_the_upper_quartile_of_the_last_seven_days() -> None:
    # a weekdays-only event at 1,600 an hour at 09:00; last Monday's 09:00 (the week sample) was an outage, and
    # Friday's too: with the weekend, three of the seven days are 0 and the median is last Monday's 294
    days = np.zeros((8, 24))
    days[:5, 9] = 1600.0
    days[0, 9] = 294.0  # last Monday: an outage from 09:15
    days[4, 9] = 0.0  # Friday: an outage
    hourly = days.reshape(-1)[: 7 * 24 + 9]  # up to the second Monday 09:00
    raised = estimate_hours(hourly, FIRST, [7 * 24 + 9], high_days=0.75)
    median = estimate_hours(hourly, FIRST, [7 * 24 + 9])
    assert median.high[0, 0] == 294.0  # so a normal Monday morning was a 5x spike
    assert raised.high[0, 0] == 1600.0  # the upper quartile of the seven days (0, 0, 0, 294, 1600, 1600, 1600)
    assert raised.high_gap[0, 0] == 294.0  # what a silence's first hour may still owe does not move
    assert raised.low[0, 0] == median.low[0, 0]  # nor does anything drops or silences judge
    assert raised.floor[0, 0] == median.floor[0, 0]
    assert ModelParams().high_days == 0.75
