"""Violation rate: the share of events with violations, judged by the Wilson lower bound.

So 8 violations in 100 events do not fire a 5 % threshold (that could be 5 % by chance) and 30 in
200 do; ``confidence_z = 0`` compares the raw share.

Two windows: the short one (5 min) fires a burst within minutes on a busy event; the long one
(30 min) judges slower events, but only while the short window still shows the problem (its raw
share at or above the threshold, or no events in it), so a recovered event resolves within
minutes instead of when the long window has forgotten the burst.

The long window is judged by the exact binomial test (``exact_above``: the Clopper-Pearson lower
bound at the same confidence): the Wilson bound is liberal on the few dozen events a slow event's
window holds. At the threshold rate itself, 8 or more violations in 58 events happen 0.8 % of the
time, six times the 0.13 % that z = 3 promises, and an event with a 3 % background judged every
minute crossed it every few weeks (three false alerts on the bench's tuning seeds). The short
window keeps its Wilson bound at ``short_confidence_z`` 5, stricter than either.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import betainc, ndtr

from governance.quality.detect.finding import Finding

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def wilson_lower(successes: ArrayLike, trials: ArrayLike, z: float) -> FloatArray:
    """Lower bound of the Wilson score interval (0 where there are no trials)."""
    k = np.asarray(successes, dtype=np.float64)
    n = np.maximum(np.asarray(trials, dtype=np.float64), 1e-12)
    p = k / n
    centre = p + z * z / (2 * n)
    margin = z * np.sqrt(np.maximum(p * (1 - p) / n + z * z / (4 * n * n), 0.0))
    return np.asarray(np.where(np.asarray(trials) > 0, (centre - margin) / (1 + z * z / n), 0.0))


def exact_above(successes: ArrayLike, trials: ArrayLike, threshold: float, z: float) -> BoolArray:
    """The exact one-sided binomial test: ``P(X >= successes | trials, threshold) <= P(Z > z)``, which
    is the Clopper-Pearson lower bound at that confidence being at least ``threshold``; ``z = 0``:
    the raw share."""
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    if z <= 0:
        return np.asarray((n > 0) & (k >= threshold * n))
    with np.errstate(invalid="ignore", divide="ignore"):
        tail = betainc(np.maximum(k, 1.0), np.maximum(n - k + 1.0, 1.0), threshold)  # P(X >= k), k >= 1
    return np.asarray((k >= 1) & (n > 0) & (tail <= ndtr(-z)))


def violation_flags(
    violations: ArrayLike, events: ArrayLike, *, threshold: float, min_events: int, confidence_z: float,
    exact: bool = False,
) -> BoolArray:
    """Vectorised violation rate: enough events and the lower bound of the rate >= threshold (Wilson's,
    or with ``exact`` the exact binomial test's)."""
    n = np.asarray(events, dtype=np.float64)
    if exact:
        return np.asarray((n >= min_events) & exact_above(violations, n, threshold, confidence_z))
    return np.asarray((n >= min_events) & (wilson_lower(violations, n, confidence_z) >= threshold))


def two_window_flags(violations: ArrayLike, events: ArrayLike, recent_violations: ArrayLike,
                     recent_events: ArrayLike, *, threshold: float, min_events: int, confidence_z: float,
                     recent_min_events: int | None = None,
                     recent_z: float | None = None) -> tuple[BoolArray, BoolArray]:
    """``(fires, by_short)``: the short window fires on its own, or the long one while the short one
    still shows the problem (raw share >= threshold, or no events at all)."""
    short = violation_flags(recent_violations, recent_events, threshold=threshold,
                            min_events=recent_min_events or min_events,
                            confidence_z=confidence_z if recent_z is None else recent_z)
    long = violation_flags(violations, events, threshold=threshold, min_events=min_events, confidence_z=confidence_z,
                           exact=True)
    n, k = np.asarray(recent_events, dtype=np.float64), np.asarray(recent_violations, dtype=np.float64)
    still = (n <= 0) | (k >= threshold * n)
    return np.asarray(short | (long & still)), short


def violation_rate(
    violations: int, events: int, *, threshold: float = 0.05, min_events: int = 50, confidence_z: float = 3.0,
    recent: tuple[int, int] | None = None, recent_window: int | None = None, recent_min_events: int | None = None,
    recent_z: float | None = None,
) -> Finding | None:
    """Share of events with violations is above ``threshold`` with confidence (``confidence_z=0``: raw);
    ``recent``: ``(violations, events)`` of the short window (``recent_window`` minutes)."""
    if recent is not None:
        fires, by_short = two_window_flags(violations, events, *recent, threshold=threshold, min_events=min_events,
                                           confidence_z=confidence_z, recent_min_events=recent_min_events,
                                           recent_z=recent_z)
        if not fires:
            return None
        if by_short and not violation_flags(violations, events, threshold=threshold, min_events=min_events,
                                            confidence_z=confidence_z, exact=True):
            found = violation_rate(*recent, threshold=threshold, min_events=recent_min_events or min_events,
                                   confidence_z=confidence_z if recent_z is None else recent_z)
            if found is not None and recent_window is not None:
                found.details["window_minutes"] = recent_window
            return found
    elif not violation_flags(violations, events, threshold=threshold, min_events=min_events,
                             confidence_z=confidence_z, exact=True):
        return None
    rate = violations / events
    return Finding(
        kind="violation_rate",
        message=f"{rate:.1%} of events had violations ({violations} of {events}); threshold {threshold:.1%}",
        observed=rate,
        expected=threshold,
        score=float(wilson_lower(violations, events, confidence_z)) / threshold,
        details={"violations": violations, "events": events},
    )
