"""The drops' level leaves out the lookback hours that were a campaign or a spike (``level.spike_free``)."""

from __future__ import annotations

import numpy as np
import pytest

from governance.bench.truth import MONDAY
from governance.quality.baseline import ModelParams, expect_now
from governance.quality.baseline.level import KEPT_SHARE, spike_free
from governance.quality.detect.volume import VolumeParams, volume_flags
from tests.quality.model_paths import assert_bench_model_matches

FIRST = MONDAY // 60  # epoch hour of a Monday 00:00 UTC
RATE = 2000.0
WEEKS = 4
CAMPAIGN = 30  # hours of a 2.2x campaign, the last of them ``AFTER`` hours before the judged one
AFTER = 3


def _history() -> np.ndarray:
    """Four weeks of a Poisson 2,000 an hour, then a Friday: a 30-hour campaign at 2.2x that ended at 07:00,
    normal since, up to 10:00 (the hour judged)."""
    rng = np.random.default_rng(7)
    hours = WEEKS * 168 + 4 * 24 + 10  # Friday 10:00 of week five
    hourly = rng.poisson(RATE, hours).astype(float)
    end = hours - AFTER
    hourly[end - CAMPAIGN : end] = rng.poisson(2.2 * RATE, CAMPAIGN)
    return hourly[None, :]


def test_spike_free_leaves_out_hours_above_ratio_times_their_expectation() -> None:
    expected = np.full((1, 12), 1000.0)
    observed = np.array([[1000.0, 2500.0, 950.0, 2100.0, 1050.0, 1000.0, 990.0, 1010.0, 2500.0, 1000.0, 900.0, 1100.0]])
    out = spike_free(observed, expected, 2.0)
    # 2,500 is over 2 x 1,000 by more than three Poisson spreads of the bar; 2,100 is not
    assert np.isnan(out[0, [1, 8]]).all()
    assert np.isfinite(out[0, [0, 2, 3, 4, 5, 6, 7, 9, 10, 11]]).all()
    assert spike_free(observed, expected, 0.0) == pytest.approx(observed)  # 0: every hour kept
    # a night hour expected to hold 3 events that held 9 is noise, not a spike
    assert np.isfinite(spike_free(np.array([[9.0]]), np.array([[3.0]]), 2.0)).all()


def test_when_the_hours_left_are_too_few_none_is_kept() -> None:
    expected = np.full((1, 12), 1000.0)
    observed = np.full((1, 12), 2500.0)
    kept = int(np.ceil(KEPT_SHARE * 12))  # enough ordinary hours: they set the level
    observed[0, 12 - kept :] = 1000.0
    assert np.isfinite(spike_free(observed, expected, 2.0)[0, 12 - kept :]).all()
    observed[0, 12 - kept] = 2500.0  # one fewer: one or two hours are no level
    assert np.isnan(spike_free(observed, expected, 2.0)).all()


def test_the_hours_after_a_campaign_are_judged_against_the_ordinary_level() -> None:
    history = _history()
    minute = MONDAY + history.shape[1] * 60 + 30  # Friday 10:30
    now = expect_now(history, FIRST, minute)
    before = expect_now(history, FIRST, minute, ModelParams(spike_hours=0.0))  # every lookback hour (main)
    assert float(before.drop_scale[0]) == pytest.approx(1.25)  # the campaign raised the drops' bar to its cap
    assert float(now.drop_scale[0]) == pytest.approx(1.0, abs=0.05)
    low, high, learning = now.windows([60])
    low_before, high_before, _ = before.windows([60])
    assert not learning[0, 0]
    params = VolumeParams()
    # the event back to normal, 30 % under it for the last hour: no drop (the goal's drops are half the rate)
    dip = 0.7 * float(low[0, 0])
    assert not bool(volume_flags(dip, low[0, 0], high[0, 0], now.error[0], window_minutes=60, params=params)[0])
    assert bool(volume_flags(dip, low_before[0, 0], high_before[0, 0], before.error[0], window_minutes=60,
                             params=params)[0])  # main read it as a 44 % drop
    half = 0.5 * float(low[0, 0])  # a real half drop still is one
    assert bool(volume_flags(half, low[0, 0], high[0, 0], now.error[0], window_minutes=60, params=params)[0])


def test_the_bench_model_leaves_out_the_same_hours() -> None:
    assert_bench_model_matches(_history(), FIRST, 40, ("drop_scale", "error"))
