"""Silence: no event for a while although the expectation, integrated over that gap, held enough.

``due`` is the low expectation integrated over exactly the minutes of the gap (at most
``silence_horizon`` hours back, see ``baseline.expectation``), never the current hour's rate
times the gap: a weekdays-only batch that starts at 09:00 expects nothing over the night before,
and a night floor expects little. Under Poisson arrivals a gap holding ``n`` expected events has
probability ``exp(-n)``; ``min_expected = 20`` keeps that below 1e-8 even when the expectation
runs high.

Arrivals are not Poisson at the edges of a schedule: a batch that usually starts at 13:58-14:02
"owes" hundreds of events within a minute of 13:58. So the ``min_expected`` events must already
have been owed ``settle_minutes`` ago (``settled``): a schedule that runs a few minutes late is
not a silence. And the event must still be due **now**: over the last ``settle_minutes`` the
expected rate must be at least ``RECENT_RATE`` (a quarter) of the gap's average (``recent``). A batch that
stopped three minutes before its usual end owes those minutes, then nothing: the silence is over
an edge, not ongoing. (A real outage that outlasts the day's activity resolves at its end and
fires again when the event is due the next morning.)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from governance.quality.detect.finding import Finding

RECENT_RATE = 0.25  # the last settle_minutes must expect at least this share of the gap's average rate
ONSET = 1.0  # events the floor must already have owed after_minutes ago: quiet for after_minutes while due


def silence_flags(gap_minutes: ArrayLike, due: ArrayLike, settled: ArrayLike, recent: ArrayLike, *,
                  after_minutes: float, min_expected: float, settle_minutes: float,
                  span_minutes: ArrayLike | None = None, early: ArrayLike | None = None,
                  level: ArrayLike = 1.0) -> NDArray[np.bool_]:
    """Vectorised: quiet for ``after_minutes``; ``min_expected`` events owed already
    ``settle_minutes`` ago (``settled``); still due now (``recent``: owed over the last
    ``settle_minutes``, against ``due`` over the ``span_minutes`` judged, by default the gap); due
    already ``after_minutes`` ago (``early``: owed by then, at least ``ONSET``; ``None``: not asked).
    ``level``: today's level; below 1 it scales what the floor owed (``due``, ``settled``, ``early``)."""
    gap = np.asarray(gap_minutes, dtype=np.float64)
    span = gap if span_minutes is None else np.asarray(span_minutes, dtype=np.float64)
    owed, lately = (np.nan_to_num(np.asarray(x, dtype=np.float64)) for x in (due, recent))
    still_due = lately * span >= RECENT_RATE * owed * max(settle_minutes, 1.0)
    scale = np.minimum(np.nan_to_num(np.asarray(level, dtype=np.float64), nan=1.0), 1.0)
    settled_owed = scale * np.nan_to_num(np.asarray(settled, dtype=np.float64))
    due_before = np.inf if early is None else scale * np.nan_to_num(np.asarray(early, dtype=np.float64))
    return np.asarray((gap >= after_minutes) & (settled_owed >= min_expected) & (due_before >= ONSET) & still_due)


def silence(gap_minutes: float, due: float, settled: float, recent: float, *, after_minutes: float = 15.0,
            min_expected: float = 20.0, settle_minutes: float = 5.0, span_minutes: float | None = None,
            never_seen: bool = False, early: float | None = None, level: float = 1.0) -> Finding | None:
    """The silence finding (``due``: owed over the whole gap), or ``None``; ``never_seen``: nothing
    arrived within the read history."""
    if not silence_flags(gap_minutes, due, settled, recent, after_minutes=after_minutes, min_expected=min_expected,
                         settle_minutes=settle_minutes, span_minutes=span_minutes, early=early, level=level):
        return None
    due = min(float(level), 1.0) * due
    since = f"no events for over {gap_minutes:.0f} min" if never_seen else f"no events for {gap_minutes:.0f} min"
    return Finding(
        kind="silence",
        message=f"{since}; about {due:.0f} were expected over that time",
        observed=0.0,
        expected=float(due),
        score=float(due),
        details={"last_seen_minutes_ago": None if never_seen else float(gap_minutes),
                 "owed_settled": round(float(settled), 1), "owed_lately": round(float(recent), 1),
                 "level": round(min(float(level), 1.0), 3)},
    )
