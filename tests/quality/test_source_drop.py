"""The ``source_drop`` condition: its detector, its place in the plan and the API, and the bench's fast path
held equal to the check's own functions."""

from __future__ import annotations

import numpy as np
import pytest

from governance.bench.checks import BenchConfig, evaluate
from governance.bench.fast import hour_shapes, hourly_counts
from governance.bench.realistic import generate_realistic
from governance.bench.source_drop import sources_of
from governance.bench.truth import Traffic
from governance.plan.check_spec import SourceDropParams as CheckParams
from governance.plan.check_spec import entry_problems
from governance.quality.baseline import expect_now, first_arrival_mask
from governance.quality.checks.source_drop import detector, model
from governance.quality.detect.source_drop import SourceDropParams, breadth, source_drop

P = SourceDropParams(windows=(60,))


def test_most_events_low_together_holds_and_names_them() -> None:
    low = np.array([500.0, 400.0, 300.0, 200.0, 100.0])
    observed = np.array([100.0, 80.0, 300.0, 20.0, 0.0])  # four of five low, 80 % of the volume
    got = breadth(observed, low, P)
    assert bool(got.holds) and int(got.low) == 4 and int(got.judged) == 5 and float(got.share) == pytest.approx(0.8)
    finding = source_drop(observed[:, None], low[:, None], P, ["a", "b", "c", "d", "e"])
    assert finding is not None and finding.kind == "source_drop"
    assert finding.details["low_events"] == ["a", "b", "d", "e"]
    assert "4 of 5 events are low together" in finding.message and finding.details["window_minutes"] == 60


def test_one_busy_event_dropping_on_a_healthy_source_is_not_a_source_drop() -> None:
    low = np.array([8000.0, 300.0, 300.0, 200.0, 200.0])  # one event is 89 % of the source's volume
    observed = np.array([0.0, 310.0, 290.0, 205.0, 199.0])  # ... and it stops: its own alert, not the source's
    assert not bool(breadth(observed, low, P).holds)
    two = np.array([0.0, 0.0, 290.0, 205.0, 199.0])  # two of five, and most of the volume: still not most events
    assert not bool(breadth(two, low, P).holds)


def test_small_or_learning_events_are_not_judged_and_too_little_is_not_judged() -> None:
    low = np.array([np.nan, 5.0, 300.0, 250.0, 200.0])  # learning, and expecting five events in the window
    observed = np.array([0.0, 0.0, 30.0, 20.0, 10.0])
    got = breadth(observed, low, P)
    assert int(got.judged) == 3 and int(got.low) == 3 and bool(got.holds)
    assert not bool(breadth(observed / 10, low / 10, P).holds)  # 75 expected in all: under min_count
    assert not bool(breadth(np.full(4, 0.0), np.full(4, np.nan), P).holds)


def test_while_it_fires_it_holds_on_half_the_shares_and_through_quiet_windows() -> None:
    low = np.full(7, 300.0)
    observed = np.array([0.0, 0.0, 0.0, 300.0, 300.0, 300.0, 300.0])  # three of seven low: 43 %
    assert not bool(breadth(observed, low, P).holds) and bool(breadth(observed, low, P, firing=True).holds)
    healthy = np.full(7, 300.0)
    assert not bool(breadth(healthy, low, P, firing=True).holds)  # back: it resolves (after keep_firing_for)
    quiet = np.full(7, 8.0)  # a holiday's evening: no event expects min_event_count in the window
    assert not bool(breadth(np.zeros(7), quiet, P).holds) and bool(breadth(np.zeros(7), quiet, P, firing=True).holds)


def test_a_source_drop_is_declared_on_the_source_only() -> None:
    event_level = list(entry_problems("source_drop", {}, ("events", "x", "checks", 0), plan_level=False))
    assert event_level and event_level[0][0] == ("events", "x", "checks", 0, "kind")
    scoped = list(entry_problems("source_drop", {"scope": "event"}, ("checks", 0), plan_level=True))
    assert scoped and scoped[0][0] == ("checks", 0, "params", "scope")
    assert list(entry_problems("source_drop", {"min_share": 0.7}, ("checks", 0), plan_level=True)) == []
    bad = list(entry_problems("source_drop", {"windows": [90]}, ("checks", 0), plan_level=True))
    assert bad and bad[0][0] == ("checks", 0, "params", "windows")


@pytest.fixture(scope="module")
def realistic() -> Traffic:
    return generate_realistic(events=30, days=29, seed=5)


def _scalar(traffic: Traffic, events: list[int], minute: int) -> tuple[bool, bool]:
    """What the check computes at ``minute`` for one source: ``expect_now`` per event, its windows, ``breadth``."""
    p = CheckParams()
    counts = traffic.counts[events]
    hourly = first_arrival_mask(hourly_counts(counts))
    t = minute // 60
    shapes = hour_shapes(counts[:, : t * 60 + 60], hourly)[:, [t - 1, t]]
    now = expect_now(hourly[:, :t], traffic.start_minute // 60, traffic.start_minute + minute, model(p), shapes)
    low, _, learning = now.windows(p.windows)
    observed = np.stack([counts[:, minute - w : minute].sum(1) for w in p.windows], -1).astype(float)
    low = np.where(learning, np.nan, low)
    names = [str(e) for e in events]
    return (source_drop(observed, low, detector(p), names) is not None,
            source_drop(observed, low, detector(p), names, firing=True) is not None)


def test_the_fast_path_equals_the_checks_functions_evaluation_by_evaluation(realistic: Traffic) -> None:
    when, holds, _ = evaluate(realistic, BenchConfig(fast_cadence=5))
    times, broad, held = when["source_drop"], holds["source_drop"], holds["source_drop_held"]
    sources = np.asarray(sources_of(realistic))
    assert broad.shape == (sources.max() + 1, times.size) and broad.any()
    rng = np.random.default_rng(1)
    columns = sorted(set(rng.integers(0, times.size, 25).tolist()) | set(np.flatnonzero(broad.any(0))[:20].tolist()))
    for s in range(broad.shape[0]):
        events = np.flatnonzero(sources == s).tolist()
        for j in columns:
            expected = (bool(broad[s, j]), bool(held[s, j]))
            assert _scalar(realistic, events, int(times[j])) == expected, (s, int(times[j]))
