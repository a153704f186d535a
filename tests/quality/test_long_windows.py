"""Volume windows of up to 120 minutes (a third hour in ``window_expectation``), and the deep drops of thin
windows (``deep_count``, ``deep_drop``): the expectation of each window, the rule, and ``run_cycle`` over a
real database judging them as the checks bench's fast path does."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from governance.bench.checks import BenchConfig, evaluate
from governance.bench.realistic import generate_realistic
from governance.bench.replay import replay
from governance.plan.check_spec import SourceDropParams, VolumeCheckParams
from governance.quality.baseline.expectation import window_expectation
from governance.quality.baseline.seasonal import KNOWN, NEEDS_DAYS
from governance.quality.baseline.shape import SUB, ShapeLookup, even_shape
from governance.quality.detect.volume import VolumeParams, volume_check, volume_flags


def _looks(*cums: np.ndarray) -> tuple[ShapeLookup, ...]:
    table = np.stack(cums)[None]  # (1 event, hours, SUB + 1)
    return tuple(ShapeLookup(table, np.array([[j]])) for j in range(len(cums)))


def _first_half() -> np.ndarray:
    """An hour whose events all arrive in its first 30 minutes, evenly."""
    return np.concatenate([np.linspace(0.0, 1.0, SUB // 2 + 1), np.ones(SUB // 2)])


def _expect(minutes: float, into: float, low: list[float], shapes: tuple[ShapeLookup, ...]
            ) -> tuple[float, float, bool]:
    k = len(low)
    lo, hi, waiting = window_expectation(np.array([[into]]), minutes, low=np.array([[low]]),
                                         high=np.array([[low]]), learning=np.full((1, 1, k), KNOWN),
                                         shapes=shapes, drop_scale=np.ones((1, 1)), spike_scale=np.ones((1, 1)))
    return float(lo[0, 0]), float(hi[0, 0]), bool(waiting[0, 0])


def test_a_120_minute_window_spans_three_hours_by_their_shapes() -> None:
    even = even_shape()
    # half past: half of the hour before the previous one, the whole previous hour, half of the current one
    lo, hi, waiting = _expect(120, 0.5, [100.0, 200.0, 300.0], _looks(even, even, even))
    assert hi == pytest.approx(50 + 200 + 150)
    assert lo == pytest.approx(55 + 200 + 135)  # the least with the schedule 3 minutes off (at 27 past)
    assert not waiting
    # the oldest hour sent everything in its first half: a window that starts at a quarter past holds half of it
    lo, hi, _ = _expect(120, 0.25, [100.0, 200.0, 300.0], _looks(_first_half(), even, even))
    assert lo == pytest.approx(min(100 * (1 - (0.25 + d / 60) * 2) + 200 + 300 * (0.25 + d / 60) for d in (-3, 0, 3)))
    assert hi == pytest.approx(100 * 0.75 + 200 + 300 * 0.25)  # spikes: at least an even spread
    # a window of up to 60 minutes reads the same from two hours as from three
    for minutes in (10, 30, 60):
        three = _expect(minutes, 0.4, [100.0, 200.0, 300.0], _looks(_first_half(), even, even))
        two = _expect(minutes, 0.4, [200.0, 300.0], _looks(even, even))
        assert three == pytest.approx(two)
    with pytest.raises(ValueError, match="120-minute window needs more than 2 hours"):
        _expect(120, 0.5, [200.0, 300.0], _looks(even, even))


def test_a_long_window_waits_for_the_oldest_hour_it_reaches() -> None:
    even = even_shape()
    learning = np.array([[[NEEDS_DAYS, KNOWN, KNOWN]]])  # the hour before the previous one has no estimate yet
    args = dict(low=np.array([[[100.0, 200.0, 300.0]]]), high=np.array([[[100.0, 200.0, 300.0]]]),
                learning=learning, shapes=_looks(even, even, even), drop_scale=np.ones((1, 1)),
                spike_scale=np.ones((1, 1)))
    assert window_expectation(np.array([[0.5]]), 120.0, **args)[2][0, 0]  # reaches back into it
    assert not window_expectation(np.array([[0.5]]), 90.0, **args)[2][0, 0]  # starts in the previous hour


def test_the_volume_check_accepts_windows_of_up_to_120_minutes_and_source_drop_60() -> None:
    assert VolumeCheckParams(windows=[120, 10, 60]).windows == [10, 60, 120]
    with pytest.raises(ValidationError, match=r"1\.\.120 minutes"):
        VolumeCheckParams(windows=[10, 121])
    with pytest.raises(ValidationError, match=r"1\.\.60 minutes"):
        SourceDropParams(windows=[20, 90])


def test_a_thin_window_is_judged_only_on_a_deep_drop() -> None:
    p = VolumeParams()
    # a 30-minute window expecting 70 events (an event of 140/h): under min_count, judged from deep_count
    expected = np.full(4, 70.0)
    observed = np.array([30.0, 35.0, 38.0, 42.0])  # 43 %, 50 %, 54 %, 60 % of it
    drop, spike = volume_flags(observed, expected, expected, 0.1, window_minutes=30, params=p)
    assert drop.tolist() == [True, True, False, False] and not spike.any()
    # the same counts at 100 expected events are judged as before: 60 % is a drop there
    drop, _ = volume_flags(observed * 100 / 70, expected * 100 / 70, expected * 100 / 70, 0.1, window_minutes=30,
                           params=p)
    assert drop.tolist() == [True, True, True, False]  # 60 of 100: z -2.8
    # shorter windows, windows under deep_count, and a z-score short of sensitivity are not
    assert not volume_flags(observed, expected, expected, 0.1, window_minutes=20, params=p)[0].any()
    assert not volume_flags(observed * 55 / 70, np.full(4, 55.0), np.full(4, 55.0), 0.1, window_minutes=30,
                            params=p)[0].any()
    assert not volume_flags(observed, expected, expected, 0.5, window_minutes=30, params=p)[0].any()  # z > -3
    # deep_count at min_count switches it off
    off = VolumeParams(deep_count=100.0)
    assert not volume_flags(observed, expected, expected, 0.1, window_minutes=30, params=off)[0].any()


def test_the_scalar_check_fires_on_a_half_drop_of_a_thin_window() -> None:
    p = VolumeParams()
    rng = np.random.default_rng(4)
    recent = rng.poisson(140 / 60, 120).astype(float)  # 140/h for two hours ...
    recent[-30:] = 1  # ... then 30 an hour for the last 30 minutes: 30 events where 70 were expected
    low = np.array([140 / 6, 140 / 3, 70.0, 140.0])  # the four windows' expectations (10, 20, 30, 60 min)
    finding = volume_check(recent, low, low * 1.2, 0.1, p)
    assert finding is not None and finding.kind == "volume_drop"
    assert finding.details["window_minutes"] == 30 and finding.observed == 30
    assert volume_check(recent, low, low * 1.2, 0.1, VolumeParams(deep_count=100.0)) is None  # main's rule


def test_run_cycle_judges_a_120_minute_window_from_a_real_database_as_the_fast_path(tmp_path) -> None:  # type: ignore[no-untyped-def]
    traffic = generate_realistic(events=30, days=22, seed=7)
    long = VolumeCheckParams(windows=[10, 20, 30, 60, 120], min_volume=50.0)
    when, holds, learning = evaluate(traffic, BenchConfig(volume=long))
    _, plain, _ = evaluate(traffic, BenchConfig(volume=VolumeCheckParams(min_volume=50.0)))
    times = when["drop"]
    volume, before = holds["drop"] | holds["spike"], plain["drop"] | plain["spike"]
    events = np.flatnonzero((volume != before).any(1))[:2].tolist()  # where the 120-minute window decides
    events += [e for e in range(30) if volume[e].any() and e not in events][: 3 - len(events)]
    differs = (volume[events] != before[events]).any(0)
    assert differs.any()
    columns = sorted(set(np.flatnonzero(differs)[:6].tolist()) | set(np.flatnonzero(volume[events].any(0))[:4].tolist())
                     | {200, times.size - 1})
    got = replay(traffic, events, [int(times[j]) for j in columns], directory=str(tmp_path),
                 checks=[{"kind": "volume", "params": long.model_dump()}])
    assert got.holds["volume"].tolist() == volume[events][:, columns].tolist()
    assert got.learning["volume"].tolist() == learning["volume"][events][:, columns].tolist()
    # at least one evaluation the 120-minute window alone decided, judged alike
    assert (volume[events][:, columns] != before[events][:, columns]).any()
