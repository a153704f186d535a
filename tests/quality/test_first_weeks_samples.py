"""Weeks 1-2: a spike in the one week sample (``seasonal._spike_free``, ``ModelParams.week_spike``) and the
install's first hours before a campaign (``ModelParams.first_week_like``) no longer make a normal hour a drop."""

from __future__ import annotations

import numpy as np

from governance.bench.truth import MONDAY
from governance.quality.baseline import ModelParams, expect_now
from governance.quality.detect.volume import VolumeParams, volume_check

FIRST = MONDAY // 60  # epoch hour of a Monday 00:00 UTC
OFF = ModelParams(week_spike=0.0, first_week_like=0.0)  # main's model


def _rates(hours: int) -> np.ndarray:
    """Weekdays at 1,000 an hour, weekends at 300."""
    return np.array([300.0 if (h // 24) % 7 >= 5 else 1000.0 for h in range(hours)])


def _verdict(hourly: np.ndarray, minute: int, params: ModelParams, counts: np.ndarray) -> str | None:
    now = expect_now(hourly, FIRST, MONDAY + minute, params)
    low, high, learning = now.windows([10, 20, 30, 60])
    assert not learning.any()
    found = volume_check(counts, low[0], high[0], float(now.error[0]), VolumeParams())
    return None if found is None else found.kind


def test_a_spike_in_the_first_saturday_is_not_the_second_saturdays_bar() -> None:
    saturday = 24 * 12 + 10  # the second Saturday, 10:00
    rate = _rates(saturday)
    rate[24 * 5 + 10] *= 3.0  # a spike on the first Saturday from 10:00 to 11:00: 900, the seven days' median 1,000
    hourly = np.random.default_rng(3).poisson(rate).astype(np.float64)[None, :]
    normal = np.random.default_rng(1).poisson(5.0, 60)  # a normal Saturday at 10:40: 300 an hour
    assert _verdict(hourly, saturday * 60 + 40, OFF, normal) == "volume_drop"  # what it did
    assert _verdict(hourly, saturday * 60 + 40, ModelParams(), normal) is None
    outage = normal.copy()
    outage[20:] = 0  # the same Saturday at zero for 40 minutes: still a drop
    assert _verdict(hourly, saturday * 60 + 40, ModelParams(), outage) == "volume_drop"
    plain = np.random.default_rng(3).poisson(_rates(saturday)).astype(np.float64)[None, :]
    low = expect_now(plain, FIRST, MONDAY + saturday * 60 + 40).low
    assert np.array_equal(low, expect_now(plain, FIRST, MONDAY + saturday * 60 + 40, OFF).low)  # no spike, no change


def test_a_campaign_from_the_first_morning_is_not_the_first_weeks_bar() -> None:
    thursday = 24 * 3 + 3  # Thursday 03:00: judged against Tuesday's and Wednesday's 03:00 (the weekday core)
    rate = _rates(thursday)
    rate[4 : 24 * 2 + 23] *= 2.5  # a campaign from Monday 04:00 to Wednesday 23:00; Monday 03:00 (not core) normal
    hourly = np.random.default_rng(5).poisson(rate).astype(np.float64)[None, :]
    normal = np.random.default_rng(2).poisson(1000 / 60, 60)
    assert _verdict(hourly, thursday * 60 + 40, OFF, normal) == "volume_drop"  # what it did
    assert _verdict(hourly, thursday * 60 + 40, ModelParams(), normal) is None
    outage = normal.copy()
    outage[15:] = 0
    assert _verdict(hourly, thursday * 60 + 40, ModelParams(), outage) == "volume_drop"
    plain = np.random.default_rng(5).poisson(_rates(thursday)).astype(np.float64)[None, :]
    minute = MONDAY + thursday * 60 + 40  # a first hour like the core days (no campaign) changes nothing
    same = expect_now(plain, FIRST, minute).low, expect_now(plain, FIRST, minute, OFF).low
    assert np.array_equal(*same, equal_nan=True)
    weekend = hourly.copy()
    weekend[0, 3] = 200  # a first hour under 0.3 of the core days' (a weekend) is no sample of a weekday
    now = expect_now(weekend, FIRST, MONDAY + thursday * 60 + 40)
    assert float(now.low[0, now.current]) > 2000
