"""A judged window at half its low expectation fires from ``deep_z`` spreads once three weeks of samples
stand behind the estimate (``detect.volume``'s halved windows of a settled estimate)."""

from __future__ import annotations

import numpy as np
import pytest

from governance.bench.truth import MONDAY
from governance.plan.check_spec import VolumeCheckParams
from governance.quality.baseline import expect_now
from governance.quality.baseline.seasonal import MIN_WEEKS
from governance.quality.checks.volume import detector, measured, model
from governance.quality.detect.volume import VolumeParams, spread, volume_check, volume_flags

FIRST = MONDAY // 60  # epoch hour of a Monday 00:00 UTC
# the lookback's ratios of a day that turns (a holiday's eve, an outage among the hours): a level error of 0.3-0.4
TURN = np.array([1.0, 1.3, 0.9, 1.4, 0.8, 1.2, 0.6, 0.5, 0.55, 0.45, 0.5, 0.6])
SHARE = 0.45  # the last hour at 45 % of its low expectation: a half drop


def _case(weeks: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, bool]:
    """``weeks`` weeks of 2,000 an hour, Tuesday to 10:00 with the lookback at ``TURN``; at 10:30 the
    last 60 minutes at ``SHARE`` of the low expectation. Returns the minute counts, the windows' low
    and high expectations, the drops' error and whether the estimate is settled (as the check reads them)."""
    hours = weeks * 168 + 24 + 10
    hourly = np.full(hours, 2000.0)
    hourly[hours - 13 : hours - 1] = 2000.0 * TURN
    p = VolumeCheckParams()
    now = expect_now(hourly[None, :], FIRST, MONDAY + hours * 60 + 30, model(p))
    low, high, learning = now.windows(p.windows)
    assert not learning.any()
    recent = np.full(60, SHARE * float(low[0, -1]) / 60.0)
    return recent, low[0], high[0], float(now.error[0]), bool(now.weeks[0, now.current] >= MIN_WEEKS)


def test_a_halved_hour_between_two_and_three_spreads_fires_from_three_weeks() -> None:
    recent, low, high, error, settled = _case(4)
    assert settled
    z = (recent.sum() - low[-1]) / float(spread(low[-1], error))
    assert -3.0 < z < -2.0  # the level's error hides it from the ordinary three spreads
    finding = volume_check(recent, low, high, error, detector(VolumeCheckParams()), settled=settled)
    assert finding is not None and finding.kind == "volume_drop"
    assert finding.details["change"] == pytest.approx(-(1 - SHARE), abs=0.05)
    # main's rule (deep_z at sensitivity), or an estimate that is not settled: nothing
    assert volume_check(recent, low, high, error, detector(VolumeCheckParams(deep_z=3.0)), settled=True) is None
    assert volume_check(recent, low, high, error, detector(VolumeCheckParams()), settled=False) is None
    # the stored band agrees: the window lies below the band's bottom only with the rule
    band = measured(recent, low, high, error, error, VolumeCheckParams(), settled)
    assert recent.sum() < band["low"]
    assert recent.sum() > measured(recent, low, high, error, error, VolumeCheckParams(), False)["low"]


def test_a_60_percent_window_still_needs_three_spreads() -> None:
    recent, low, high, error, settled = _case(4)
    at_60 = recent * 0.58 / SHARE  # a 42 % dip: not halved
    assert at_60.sum() > 0.5 * low[-1]
    assert volume_check(at_60, low, high, error, detector(VolumeCheckParams()), settled=settled) is None


def test_before_three_weeks_a_halved_window_keeps_the_ordinary_z() -> None:
    recent, low, high, error, settled = _case(2)
    assert not settled
    assert volume_check(recent, low, high, error, detector(VolumeCheckParams()), settled=settled) is None


def test_a_thin_window_keeps_the_ordinary_z() -> None:
    p = VolumeParams()
    lo = np.array([80.0])  # under min_count, at least deep_count: judged for a deep drop only
    observed = np.array([30.0])
    z = (observed - lo) / spread(lo, 0.25)
    assert -3.0 < float(z[0]) < -2.0
    assert not volume_flags(observed, lo, lo, 0.25, window_minutes=30, params=p, settled=True)[0].any()
    big = lo * 2.5  # the same share of a judged window
    assert volume_flags(observed * 2.5, big, big, 0.25, window_minutes=30, params=p, settled=True)[0].all()
