"""The drops' error from three weeks of samples on: the level's, read as a multiplicative one (``drop_error``)."""

from __future__ import annotations

import numpy as np
import pytest

from governance.bench.truth import MONDAY
from governance.plan.check_spec import SilenceParams, VolumeCheckParams
from governance.quality.baseline import ModelParams, expect_now
from governance.quality.baseline.level import multiplicative_error, recent_level
from governance.quality.checks.silence import model as silence_model
from governance.quality.checks.volume import model as volume_model
from governance.quality.detect.volume import VolumeParams, volume_flags

FIRST = MONDAY // 60  # epoch hour of a Monday 00:00 UTC
# the lookback's ratios of a day that turns: a quiet evening and night, then a morning at half its usual level
TURN = np.array([1.0, 1.3, 0.9, 1.4, 0.8, 1.2, 0.6, 0.5, 0.55, 0.45, 0.5, 0.6])


def _history(weeks: int) -> np.ndarray:
    """``weeks`` weeks of 2,000 an hour, then Tuesday to 10:00, whose 12 lookback hours (Monday 21:00 to
    Tuesday 08:00) run at ``TURN`` of it."""
    hours = weeks * 168 + 24 + 10
    hourly = np.full(hours, 2000.0)
    hourly[hours - 13 : hours - 1] = 2000.0 * TURN
    return hourly[None, :]


def test_multiplicative_error_is_the_linear_error_whose_tail_spreads_reach_exp_of_minus_tail_errors() -> None:
    err = np.array([0.0, 0.05, 0.1, 0.2, 0.34, 0.6, 2.0])
    out = multiplicative_error(err, 3.0)
    assert out == pytest.approx((1.0 - np.exp(-3.0 * err)) / 3.0)
    assert 1.0 - 3.0 * out == pytest.approx(np.exp(-3.0 * err))  # three linear spreads = three multiplicative ones
    assert out[1] == pytest.approx(0.05, rel=0.08)  # small errors barely move
    assert out[4] == pytest.approx(0.2131, abs=1e-4)  # 0.34: three spreads no longer reach a rate of zero
    assert (np.diff(out) > 0).all() and (out < 1.0 / 3.0).all()  # monotonic, and a zero rate is never within 3
    assert multiplicative_error(err, 0.0) == pytest.approx(err)  # tail 0: unchanged


def test_from_three_weeks_a_turning_lookback_no_longer_hides_a_half_drop() -> None:
    minute = MONDAY + (_history(4).shape[1]) * 60 + 30  # Tuesday 10:30 of week five
    now = expect_now(_history(4), FIRST, minute)
    linear = expect_now(_history(4), FIRST, minute, ModelParams(error_tail=0.0))
    assert int(now.weeks[0, now.current]) == 4
    _, raw = recent_level(2000.0 * TURN[None, :], np.full((1, 12), 2000.0), clip=(0.5, 2.0))
    assert float(raw[0]) > 0.3  # the lookback's scatter: the level's error is large
    assert float(linear.error[0]) == pytest.approx(float(raw[0]))
    assert float(now.error[0]) == pytest.approx(float(multiplicative_error(raw, 3.0)[0]))
    assert float(now.error[0]) < float(linear.error[0])
    assert float(now.drop_scale[0]) == float(linear.drop_scale[0])  # the level itself does not move
    low, high, learning = now.windows([60])
    assert not learning[0, 0]
    # the event at 0.3 of its expectation for the last hour (a half drop on a morning already at half its level)
    observed = 0.3 * float(low[0, 0])
    drop_now, _ = volume_flags(observed, low[0, 0], high[0, 0], now.error[0], window_minutes=60, params=VolumeParams())
    drop_linear, _ = volume_flags(observed, low[0, 0], high[0, 0], linear.error[0], window_minutes=60,
                                  params=VolumeParams())
    assert bool(drop_now) and not bool(drop_linear)


def test_before_three_weeks_the_error_stays_linear() -> None:
    history = _history(2)
    minute = MONDAY + history.shape[1] * 60 + 30
    now = expect_now(history, FIRST, minute)
    linear = expect_now(history, FIRST, minute, ModelParams(error_tail=0.0))
    assert int(now.weeks[0, now.current]) == 2
    assert float(now.error[0]) == float(linear.error[0]) > 0.3


def test_the_volume_model_reads_the_error_at_its_sensitivity_and_shares_the_silence_models_key() -> None:
    assert volume_model(VolumeCheckParams(sensitivity=4.0)).error_tail == 4.0
    # with the defaults, one cycle builds one expectation per event for both checks (``expectation_of``'s key)
    assert volume_model(VolumeCheckParams()) == silence_model(SilenceParams())
