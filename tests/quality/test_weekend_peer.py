"""Week 2: a Sunday hour whose one week sample is the first (never judged) weekend's counts on no more
than the same hour on Saturday (``seasonal._weekend_peer``, ``ModelParams.weekend_peer``)."""

from __future__ import annotations

import numpy as np

from governance.bench.truth import MONDAY
from governance.quality.baseline import ModelParams, expect_now
from governance.quality.baseline.seasonal import estimate_hours
from governance.quality.detect.volume import VolumeParams, volume_check

FIRST = MONDAY // 60  # epoch hour of a Monday 00:00 UTC
SUNDAY = 24 * 13 + 15  # the second Sunday, 15:00


def _traffic(hours: int, campaign: bool, seed: int = 7) -> np.ndarray:
    """Poisson counts: weekdays at 1,000 an hour, weekends at 300; with ``campaign``, 2.5x on the first Sunday
    from 13:00 to 18:00 (a promotion, never judged: the first weekend is learning; it began after the
    lookback of the hours judged below, so the recent hours do not say so)."""
    rng = np.random.default_rng(seed)
    rate = np.array([300.0 if (h // 24) % 7 >= 5 else 1000.0 for h in range(hours)])
    if campaign:
        rate[24 * 6 + 13 : 24 * 6 + 18] *= 2.5
    return rng.poisson(rate).astype(np.float64)[None, :]


def _low(hourly: np.ndarray, hour: int, peer: bool) -> float:
    est = estimate_hours(hourly, FIRST, [hour], high_days=0.75, weekend_peer=peer)
    return float(est.low[0, 0])


def test_a_campaign_over_the_first_weekend_is_not_the_second_sundays_bar() -> None:
    hourly = _traffic(SUNDAY, campaign=True)
    # last Sunday's 750 and the seven days' median (weekdays, 1,000): the low was 750, and a normal Sunday
    # of 300 a 60 % drop; Saturday, the day before, held its weekend's 300
    assert _low(hourly, SUNDAY, peer=False) > 700
    assert 250 < _low(hourly, SUNDAY, peer=True) < 350
    now = expect_now(hourly, FIRST, MONDAY + SUNDAY * 60 + 40, ModelParams())
    low, high, learning = now.windows([10, 20, 30, 60])
    assert not learning.any() and int(now.weeks[0, now.current]) == 1
    normal = np.random.default_rng(1).poisson(5.0, 60)  # a normal Sunday: 300 an hour
    assert volume_check(normal, low[0], high[0], float(now.error[0]), VolumeParams()) is None
    before = expect_now(hourly, FIRST, MONDAY + SUNDAY * 60 + 40, ModelParams(weekend_peer=False))
    b_low, b_high, _ = before.windows([10, 20, 30, 60])
    finding = volume_check(normal, b_low[0], b_high[0], float(before.error[0]), VolumeParams())
    assert finding is not None and finding.kind == "volume_drop"  # what it did before
    outage = np.zeros(60)
    outage[:20] = 5  # the same Sunday, at zero for 40 minutes: still a drop
    found = volume_check(outage, low[0], high[0], float(now.error[0]), VolumeParams())
    assert found is not None and found.kind == "volume_drop"


def test_only_sundays_of_week_two_whose_saturday_was_a_weekend_take_it() -> None:
    plain = _traffic(SUNDAY, campaign=False)
    # a normal first weekend: the lower of last Sunday's and Saturday's, as of two weeks the lower
    assert _low(plain, SUNDAY, True) == min(plain[0, SUNDAY - 24], plain[0, SUNDAY - 168])
    assert abs(_low(plain, SUNDAY, True) - 300) < 3 * np.sqrt(300)
    monday = 24 * 14 + 10  # Monday 10:00 after a weekend: Sunday is no peer of a Monday
    hourly = _traffic(monday + 1, campaign=True)
    assert _low(hourly, monday, True) == _low(hourly, monday, False) > 900
    flat = np.full((1, SUNDAY), 1000.0)  # no weekend: Saturday is no lower than the other days
    flat[0, 24 * 6 + 13 : 24 * 6 + 18] *= 2.5
    assert _low(flat, SUNDAY, True) == _low(flat, SUNDAY, False)
    third = 24 * 20 + 15  # the third Sunday: two week samples, the second one judged
    hourly = _traffic(third, campaign=True)
    assert _low(hourly, third, True) == _low(hourly, third, False)
