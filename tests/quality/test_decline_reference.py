"""The decline's reference: one whole week's same hours (``week_of_block``); a new step in the last day
is not a decline (``DeclineParams.max_step``)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from governance.quality.detect.decline import DeclineParams, decline_flags, decline_state, week_of_block


def test_the_reference_is_the_lower_median_week_kept_whole() -> None:
    weekly = np.array([[[10.0, 25.0, 11.0], [14.0, 30.0, 9.0], [12.0, 28.0, 13.0]]])  # (1, 3 hours, 3 weeks)
    # week means 12, 27.7, 11: the middle of three is week 0, all of its hours
    assert week_of_block(weekly, 3)[0].tolist() == [10.0, 14.0, 12.0]
    # picked hour by hour, the middle of each hour's three: [11, 14, 12], more than either normal week
    assert np.median(weekly, axis=-1)[0].sum() > weekly[0, :, 0].sum()
    assert np.isnan(week_of_block(weekly[..., :1], 3)).all()  # one week: no reference


def test_a_few_events_an_hour_and_a_campaign_week_read_a_normal_week_as_normal() -> None:
    # seed 301 of the realistic bench, event 103 (12 an hour): the middle of three weeks, one of them a
    # campaign, picked hour by hour, summed to 313 a day while a normal day held 255: "67 %"
    rng = np.random.default_rng(3)
    days = 22  # three weeks behind the last three days
    rate = np.full(days * 24, 12.0)
    rate[7 * 24 : 14 * 24] *= 2.5  # one campaign week among the three
    counts = rng.poisson(rate).astype(np.float64)[None, :]
    whole = decline_state(counts, [days * 24])
    hourly = decline_state(counts, [days * 24], DeclineParams(whole_weeks=False))
    assert whole.reference[0, 0, 0] < hourly.reference[0, 0, 0]
    assert whole.ratios[0, 0, 0] == pytest.approx(1.0, abs=0.12)
    assert hourly.ratios[0, 0, 0] < whole.ratios[0, 0, 0]


def _weekly(days: int, weekday: float, weekend: float) -> np.ndarray:
    return np.array([[weekend if (h // 24) % 7 >= 5 else weekday for h in range(days * 24)]])


def test_the_day_after_a_holiday_is_not_a_decline_and_a_slow_one_still_is() -> None:
    # seeds 101, 102, 300, 301: a weekend 18 % under the weekends before, then a Monday holiday (a Sunday's
    # level); on the Tuesday morning the last 24 h read 0.1-0.67, the two weekend days 0.75-0.85
    counts = _weekly(22, 1000.0, 600.0)
    counts[0, 19 * 24 : 21 * 24] *= 0.82
    counts[0, 21 * 24 : 22 * 24] = 600.0 * 0.82  # the holiday
    state = decline_state(counts, [22 * 24])
    assert state.ratios[0, 0, 0] < 0.7 and (state.ratios[0, 0, 1:] <= 0.85).all()
    assert not decline_flags(state, DeclineParams())[0, 0]
    assert decline_flags(state, dataclasses.replace(DeclineParams(), max_step=1.0))[0, 0]  # what it did before
    level = np.ones(35 * 24)
    level[30 * 24 :] = 1 - 0.4 * np.clip(np.arange(5 * 24) / 72, 0, 1)  # 40 % over three days
    declining = _weekly(35, 1000.0, 600.0) * level
    assert decline_flags(decline_state(declining, [35 * 24]), DeclineParams())[0, 0]
