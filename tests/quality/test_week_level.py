"""Weeks 2-3: the same-hour-of-week sample scaled by how the recent hours compare with it (``week_level``)."""

from __future__ import annotations

import numpy as np
import pytest

from governance.bench.truth import MONDAY
from governance.quality.baseline import expect_now
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
