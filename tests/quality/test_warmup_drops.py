"""Weeks 1-2, deeper drops where the samples were busier than today (``VolumeParams.warmup_drop``,
``detect.volume.wary``): the end of a campaign that covered every known day at the hour is no drop, an
outage still is; the fast path's lookback level against the high estimate is the check's."""

from __future__ import annotations

import numpy as np

from governance.bench.fast import hour_model
from governance.bench.truth import MONDAY
from governance.plan.check_spec import VolumeCheckParams
from governance.quality.baseline import expect_now
from governance.quality.checks.volume import detector, measured, model
from governance.quality.detect.volume import volume_check, wary

FIRST = MONDAY // 60  # epoch hour of a Monday 00:00 UTC
THURSDAY = 24 * 3 + 21  # Thursday 21:00: judged against Monday's, Tuesday's and Wednesday's 21:00


def _series() -> np.ndarray:
    """1,000 an hour; a 2.5x campaign from Monday 20:00 to Wednesday 23:00, so every known 21:00 is the campaign's
    while the lookback's low (Monday's 12:00-19:00, the first morning) is not."""
    rate = np.full(THURSDAY, 1000.0)
    rate[20 : 24 * 2 + 24] *= 2.5
    return np.random.default_rng(7).poisson(rate).astype(np.float64)[None, :]


def _verdict(p: VolumeCheckParams, counts: np.ndarray) -> str | None:
    """The detector's verdict on ``counts`` (the last 60 minutes), checked against the band the run stores:
    the longest window lies below the band's bottom exactly when a drop fires."""
    hourly = _series()
    now = expect_now(hourly, FIRST, MONDAY + THURSDAY * 60 + 40, model(p))
    low, high, learning = now.windows(p.windows)
    assert not learning.any()
    careful = bool(wary(now.weeks[0, now.current], now.high_level[0], detector(p)))
    found = volume_check(counts, low[0], high[0], float(now.error[0]), detector(p), wary=careful)
    band = measured(counts, low[0], high[0], float(now.error[0]), float(now.error_high[0]), p, wary=careful)
    assert (band["observed"] < band["low"]) == (found is not None and found.kind == "volume_drop")
    return None if found is None else found.kind


def test_a_campaigns_end_in_week_one_is_no_drop_while_an_outage_is() -> None:
    normal = np.random.default_rng(2).poisson(1000 / 60, 60)  # back to 1,000 an hour, 0.4 of the campaign's bar
    assert _verdict(VolumeCheckParams(warmup_drop=0.0), normal) == "volume_drop"  # what it did
    assert _verdict(VolumeCheckParams(warmup_drop=0.7), normal) is None
    outage = normal.copy()
    outage[20:] = 0
    assert _verdict(VolumeCheckParams(warmup_drop=0.7), outage) == "volume_drop"


def test_the_lookback_against_the_high_estimate_is_the_fast_paths() -> None:
    hourly, p = _series(), VolumeCheckParams(warmup_drop=0.7)
    now = expect_now(hourly, FIRST, MONDAY + THURSDAY * 60 + 40, model(p))
    level = float(now.high_level[0])
    assert level < p.warmup_level  # the campaign's days are the high estimate of the lookback hours
    fast = hour_model(hourly, FIRST, model(p))
    assert np.isclose(fast.high_level[0, THURSDAY], level)
