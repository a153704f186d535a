"""A holiday or an outage that ended: the level of the last hours of the lookback (``baseline/recovery.py``)."""

from __future__ import annotations

import numpy as np
import pytest

from governance.bench.truth import MONDAY
from governance.quality.baseline import ModelParams, expect_now
from governance.quality.baseline.recovery import back_level
from governance.quality.detect.volume import VolumeParams, volume_flags
from tests.quality.model_paths import assert_bench_model_matches

FIRST = MONDAY // 60  # epoch hour of a Monday 00:00 UTC
RATE = 1000.0
ON = ModelParams(recover_hours=2)
OFF = ModelParams(recover_hours=0)
JUDGED = 4 * 168 + 24 + 2  # week 5, Tuesday 02:00


def _history(holiday: bool = True, outage_until: int | None = None) -> np.ndarray:
    """Four weeks of a Poisson 1,000 an hour, then week 5 up to Tuesday 02:00 (the hour judged); ``holiday``:
    week 5's Monday at 0.3 of it; ``outage_until``: the hours of week 5 up to this one at 0.2."""
    rng = np.random.default_rng(5)
    rate = np.full(JUDGED, RATE)
    if holiday:
        rate[4 * 168 : 4 * 168 + 24] *= 0.3
    if outage_until is not None:
        rate[4 * 168 + 12 : outage_until] = 0.2 * RATE
    return rng.poisson(rate).astype(float)[None, :]


def _fires(params: ModelParams, history: np.ndarray, share: float) -> bool:
    """Whether the last 60 minutes at ``share`` of the rate are a drop."""
    now = expect_now(history, FIRST, MONDAY + history.shape[1] * 60 + 59, params)
    low, high, learning = now.windows([60])
    assert not learning[0, 0]
    drop, _ = volume_flags(share * RATE * 59 / 60, low[0, 0], high[0, 0], now.error[0], window_minutes=60,
                           params=VolumeParams(), settled=True)
    return bool(drop)


def test_back_level_takes_the_last_hours_only_where_they_are_back() -> None:
    observed = np.array([[300.0] * 10 + [1000.0, 980.0], [300.0] * 12, [1000.0] * 12, [300.0] * 10 + [1300.0] * 2])
    expected = np.full((4, 12), 1000.0)
    level = np.array([0.5, 0.5, 1.0, 0.5])
    out = back_level(observed, expected, level, 2, 0.8, (0.5, 2.0))
    assert out == pytest.approx([0.98, 0.5, 1.0, 1.0])  # back; still low; normal; back, at most 1
    assert back_level(observed, expected, level, 0, 0.8, (0.5, 2.0)) == pytest.approx(level)  # off


def test_a_half_drop_the_night_after_a_holiday_fires() -> None:
    history = _history()
    minute = MONDAY + history.shape[1] * 60 + 59
    before, now = expect_now(history, FIRST, minute, OFF), expect_now(history, FIRST, minute, ON)
    # the lookback (Monday 13:00 - Tuesday 01:00) is mostly the holiday: the bar was half of the rate
    assert float(before.drop_scale[0] * before.low[0, before.current]) < 0.6 * RATE
    assert float(now.drop_scale[0] * now.low[0, now.current]) == pytest.approx(RATE, rel=0.1)
    assert now.error[0] == pytest.approx(before.error[0])  # the error is the whole lookback's, as before
    assert not _fires(OFF, history, 0.5)
    assert _fires(ON, history, 0.5)
    assert not _fires(ON, history, 1.0)  # the rate is no drop


def test_an_ordinary_night_and_an_outage_still_on_are_unchanged() -> None:
    for history in (_history(holiday=False), _history(holiday=False, outage_until=JUDGED)):
        minute = MONDAY + history.shape[1] * 60 + 59
        assert float(expect_now(history, FIRST, minute, ON).drop_scale[0]) == pytest.approx(
            float(expect_now(history, FIRST, minute, OFF).drop_scale[0]))


def test_the_bench_model_computes_the_same_bar() -> None:
    assert_bench_model_matches(_history(), FIRST, 30, fields=("drop_scale", "error"), params=ON)
