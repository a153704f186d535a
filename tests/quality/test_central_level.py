"""From three weeks of samples, the drops' bar is at least the hour's central estimate times the level against
central estimates (``baseline/central.py``)."""

from __future__ import annotations

import numpy as np
import pytest

from governance.bench.truth import MONDAY
from governance.quality.baseline import ModelParams, expect_now
from governance.quality.baseline.central import central_scale, week_central
from governance.quality.detect.volume import VolumeParams, volume_flags
from tests.quality.model_paths import assert_bench_model_matches

FIRST = MONDAY // 60  # epoch hour of a Monday 00:00 UTC
RATE = 1000.0
BUSY = 1.4  # a consumer event's Saturday afternoon: 1.4 times its weekday rate
SATURDAY = 5 * 24
AFTERNOON = range(13, 19)
OFF = ModelParams(central_agree=0.0)


def _history(weeks: int = 4, campaign_week: int | None = None) -> np.ndarray:
    """``weeks`` weeks of a Poisson 1,000 an hour, 1,400 on Saturday afternoons (13:00-19:00), then week
    ``weeks + 1`` up to Saturday 14:00 (the hour judged); ``campaign_week``: that week's Saturday at 2.5x."""
    rng = np.random.default_rng(11)
    hours = weeks * 168 + SATURDAY + 14
    rate = np.full(hours, RATE)
    for w in range(weeks + 1):
        for h in AFTERNOON:
            if w * 168 + SATURDAY + h < hours:
                rate[w * 168 + SATURDAY + h] = BUSY * RATE
    if campaign_week is not None:
        day = campaign_week * 168 + SATURDAY
        rate[day : day + 24] *= 2.5
    return rng.poisson(rate).astype(float)[None, :]


def _half_drop_fires(now_params: ModelParams, history: np.ndarray) -> bool:
    """Whether the last 60 minutes at half the noise-free Saturday afternoon rate are a drop."""
    now = expect_now(history, FIRST, MONDAY + history.shape[1] * 60 + 59, now_params)
    low, high, learning = now.windows([60])
    assert not learning[0, 0]
    half = 0.5 * BUSY * RATE * 59 / 60
    drop, _ = volume_flags(half, low[0, 0], high[0, 0], now.error[0], window_minutes=60, params=VolumeParams(),
                           settled=True)
    return bool(drop)


def test_week_central_is_the_median_where_the_week_samples_agree() -> None:
    series = np.full((1, 4 * 168 + 1), 1000.0)
    series[0, [0, 168, 336, 504]] = [900.0, 1000.0, 1100.0, 1050.0]
    assert week_central(series, np.array([672]), 4, 1.5)[0, 0] == pytest.approx(1025.0)  # the mean of the middle two
    series[0, 168] = 2500.0  # a campaign in one of them: the samples disagree
    assert np.isnan(week_central(series, np.array([672]), 4, 1.5)[0, 0])
    assert np.isnan(week_central(series[:, :337], np.array([336]), 4, 1.5)[0, 0])  # two weeks: no central estimate


def test_central_scale_only_raises_the_bar_up_to_the_cap() -> None:
    scale = np.array([1.0, 1.0, 1.2, 0.9])
    low = np.array([1000.0, 1000.0, 1000.0, 1000.0])
    central = np.array([1100.0, 900.0, 1400.0, np.nan])
    out = central_scale(scale, low, central, np.array([1.0, 1.0, 1.0, 1.0]), 1.25)
    assert out == pytest.approx([1.1, 1.0, 1.25, 0.9])


def test_a_half_drop_on_a_busy_weekend_hour_fires_against_its_central_estimate() -> None:
    history = _history()
    now = expect_now(history, FIRST, MONDAY + history.shape[1] * 60 + 59)
    before = expect_now(history, FIRST, MONDAY + history.shape[1] * 60 + 59, OFF)
    # the low is the seven days' median, the weekdays' 1,000; the level against the low of the morning is 1
    assert float(now.low[0, now.current]) == pytest.approx(RATE, rel=0.05)
    assert float(before.drop_scale[0]) == pytest.approx(1.0, abs=0.05)
    assert float(now.drop_scale[0]) == pytest.approx(1.25)  # 1.4 x 1.0, at most drop_cap
    assert not _half_drop_fires(OFF, history)  # main: 700 against a bar of 1,000 is a 30 % dip
    assert _half_drop_fires(ModelParams(), history)
    normal = expect_now(history, FIRST, MONDAY + history.shape[1] * 60 + 59).windows([60])
    assert not bool(volume_flags(BUSY * RATE * 59 / 60, normal[0][0, 0], normal[1][0, 0], now.error[0],
                                 window_minutes=60, params=VolumeParams(), settled=True)[0])  # the rate is no drop


def test_a_campaign_among_the_week_samples_leaves_the_bar_as_it_was() -> None:
    history = _history(campaign_week=2)
    minute = MONDAY + history.shape[1] * 60 + 59
    assert float(expect_now(history, FIRST, minute).drop_scale[0]) == pytest.approx(
        float(expect_now(history, FIRST, minute, OFF).drop_scale[0]))
    short = _history(weeks=2)  # two weeks of samples: nothing changes either
    minute = MONDAY + short.shape[1] * 60 + 59
    assert float(expect_now(short, FIRST, minute).drop_scale[0]) == pytest.approx(
        float(expect_now(short, FIRST, minute, OFF).drop_scale[0]))


def test_the_bench_model_computes_the_same_bar() -> None:
    assert_bench_model_matches(_history(), FIRST, 30)
