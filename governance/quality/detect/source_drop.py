"""Source drops: most of a source's expected volume is low together (a holiday, an outage of the
whole source, a broken SDK release), one condition instead of one per event.

Per trailing window, each event of the source is **judged** when its low expectation for the window
is known and holds at least ``min_event_count`` events, and **low** when its window holds at most
``1 - min_drop`` of it. The window holds the condition when

- the low events are at least ``min_events``, at least ``min_events_share`` of the judged events,
  and hold at least ``min_share`` of the judged events' expected volume (one busy event dropping
  on a healthy source is that event's alert, never the source's);
- the judged events together expect at least ``min_count`` events, and together fall at least
  ``sensitivity`` spreads of counting noise below it (not the events' expectation errors: on a
  holiday the level's error grows large, and the breadth over events is the guard).

The condition holds when one of ``windows`` holds it. **Hold**: while the check's alert fires, the
two shares it needs are ``hold_factor`` of their thresholds (a thermostat's two set points), so a
holiday whose lunch hour looks like any Monday's does not resolve it and fire it again in the
afternoon; and a window too quiet to judge (fewer than ``min_events`` judged events, or under
``min_count`` expected) holds it (a holiday's evening, when only a few events are busy).
Vectorised over trailing axes (the bench judges every evaluation of every source at once); axis 0
is the source's events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from governance.quality.detect.finding import Finding
from governance.quality.detect.volume import spread

BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class SourceDropParams:
    min_drop: float = 0.3  # an event is low when its window holds at most 1 - min_drop of its low expectation
    min_share: float = 0.5  # share of the judged events' expected volume that must be low
    min_events_share: float = 0.6  # share of the judged events that must be low
    min_events: int = 3  # low events at least
    min_event_count: float = 10.0  # an event is judged when its window should hold this many
    min_count: float = 200.0  # the judged events together should hold this many
    sensitivity: float = 3.0  # z of the judged events' total against their total expectation
    windows: tuple[int, ...] = (20, 60)
    hold_factor: float = 0.5  # while firing, the shares it needs are this much of the above
    hold_unjudged: bool = True  # while firing, a window too quiet to judge holds it


@dataclass(frozen=True)
class Breadth:
    """One window's verdict and what it saw (over axis 0 removed)."""

    holds: BoolArray
    judged: NDArray[np.int64]  # events judged
    low: NDArray[np.int64]  # of them, low
    share: FloatArray  # low events' share of the judged expected volume
    observed: FloatArray  # the judged events' total
    expected: FloatArray  # ... and its low expectation


def breadth(observed: ArrayLike, low: ArrayLike, params: SourceDropParams, *,
            firing: bool = False) -> Breadth:
    """One window over the events of a source (axis 0): ``low`` is NaN where an event is learning."""
    obs = np.asarray(observed, dtype=np.float64)
    lo = np.asarray(low, dtype=np.float64)
    judged = np.isfinite(lo) & (lo >= params.min_event_count)
    expected = np.where(judged, lo, 0.0)
    is_low = judged & (obs <= (1 - params.min_drop) * expected)
    total = expected.sum(axis=0)
    seen = np.where(judged, obs, 0.0).sum(axis=0)
    low_volume = np.where(is_low, expected, 0.0).sum(axis=0)
    n_judged, n_low = judged.sum(axis=0), is_low.sum(axis=0)
    safe = np.maximum(total, 1e-9)
    share = low_volume / safe
    z = (seen - total) / spread(total, 0.0)
    k = params.hold_factor if firing else 1.0
    judgeable = (n_judged >= params.min_events) & (total >= params.min_count)
    holds = ((n_low >= params.min_events) & (n_low >= k * params.min_events_share * np.maximum(n_judged, 1))
             & (share >= k * params.min_share) & (total >= params.min_count) & (z <= -params.sensitivity))
    if firing and params.hold_unjudged:
        holds = holds | ~judgeable
    return Breadth(np.asarray(holds), np.asarray(n_judged), np.asarray(n_low), np.asarray(share), np.asarray(seen),
                   np.asarray(total))


def source_drop(observed: ArrayLike, low: ArrayLike, params: SourceDropParams,
                events: list[str], *, firing: bool = False) -> Finding | None:
    """The finding of the strongest window that holds (``observed``/``low``: ``(events, windows)``)."""
    obs, lo = np.asarray(observed, dtype=np.float64), np.asarray(low, dtype=np.float64)
    best: Finding | None = None
    for i, window in enumerate(params.windows):
        b = breadth(obs[:, i], lo[:, i], params, firing=firing)
        if not b.holds:
            continue
        judged = np.isfinite(lo[:, i]) & (lo[:, i] >= params.min_event_count)
        low_events = [e for e, j, o, x in zip(events, judged, obs[:, i], lo[:, i], strict=True)
                      if j and o <= (1 - params.min_drop) * x]
        change = round(float(b.observed / b.expected - 1.0), 4) if b.expected > 0 else None  # held on a quiet window
        finding = Finding(
            kind="source_drop",
            message=f"{int(b.low)} of {int(b.judged)} events are low together in the last {window} min "
                    f"({float(b.share):.0%} of the expected volume): {float(b.observed):.0f} events vs "
                    f"{float(b.expected):.0f} expected",
            observed=float(b.observed), expected=float(b.expected), score=float(b.share) * int(b.low),
            details={"window_minutes": window, "change": change, "events_low": int(b.low),
                     "events_judged": int(b.judged), "volume_share_low": round(float(b.share), 4),
                     "low_events": sorted(low_events)[:20]})
        if best is None or finding.score > best.score:
            best = finding
    return best
