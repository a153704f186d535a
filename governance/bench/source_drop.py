"""The ``source_drop`` condition over whole series, and what it does to the notifications of a source.

``source_conditions`` computes, at every fast evaluation minute, the low expectation of every
event's trailing windows (``window_expectation`` from the volume check's model, as ``fast.py``
does for volume) and judges each source's events together with the check's own ``breadth``.
``tests/quality/test_source_drop.py`` holds it equal to the check. A generator without sources
(``synthetic.py``) is grouped ``EVENTS_PER_SOURCE`` events a source, so that the condition's false
alerts are measured on it too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from governance.bench.fast import HourModel, _chunks
from governance.bench.truth import MINUTES_PER_DAY, Traffic
from governance.plan.check_spec import CHECK_SPECS, SourceDropParams
from governance.quality.baseline.expectation import window_expectation
from governance.quality.baseline.shape import ShapeLookup
from governance.quality.checks.source_drop import detector
from governance.quality.detect.hysteresis import Hysteresis, State
from governance.quality.detect.source_drop import breadth

EVENTS_PER_SOURCE = 10
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]
SourceAlert = tuple[int, int, int]  # source, first and last firing minute


def sources_of(traffic: Traffic) -> list[int]:
    return traffic.sources or [e // EVENTS_PER_SOURCE for e in range(traffic.counts.shape[0])]


def source_conditions(cs: IntArray, times: IntArray, model: HourModel, shapes: NDArray[np.float64],
                      sources: list[int], p: SourceDropParams) -> tuple[BoolArray, BoolArray]:
    """``(sources, times)`` twice: the condition of each source's default ``source_drop`` check, and
    the condition while its alert fires (``hold_factor``, ``hold_unjudged``)."""
    d = detector(p)
    groups = [np.flatnonzero(np.asarray(sources) == s) for s in range(max(sources) + 1)]
    events = cs.shape[0]
    holds = np.zeros((len(groups), times.size), bool)
    held = np.zeros_like(holds)
    for part in _chunks(times):
        m = times[part]
        t = m // 60
        into = np.broadcast_to((m % 60) / 60.0, (events, m.size))
        pair = np.stack([t - 1, t], -1)
        looks = (ShapeLookup(shapes, (t - 1)[None, :]), ShapeLookup(shapes, t[None, :]))
        for w in d.windows:
            low, _high, waiting = window_expectation(
                into, float(w), low=model.low_pair(pair, t), high=model.high[:, pair], learning=model.learning[:, pair],
                shapes=looks, drop_scale=model.drop_scale[:, t], spike_scale=model.spike_scale[:, t])
            low = np.where(waiting, np.nan, low)
            observed = cs[:, m] - cs[:, m - w]
            for s, idx in enumerate(groups):
                if idx.size:
                    holds[s, part] |= breadth(observed[idx], low[idx], d).holds
                    held[s, part] |= breadth(observed[idx], low[idx], d, firing=True).holds
    return holds, held


def source_alerts(times: IntArray, holds: BoolArray, held: BoolArray, ticks_per_minute: int = 4
                  ) -> list[SourceAlert]:
    """Firing periods of each source's condition through the kind's default hysteresis, stepped (the
    condition while firing is ``held``); a fast kind: its evaluations become minutes, as in
    ``checks.alerts_of``."""
    spec = CHECK_SPECS["source_drop"]
    for_, keep = -(-spec.default_for // ticks_per_minute), -(-spec.default_keep_firing_for // ticks_per_minute)
    return [(int(s), int(times[i]), int(times[j])) for s in np.flatnonzero(holds.any(axis=1))
            for i, j in stepped_spans(holds[s], held[s], for_=for_, keep_firing_for=keep)]


def stepped_spans(holds: BoolArray, held: BoolArray, *, for_: int, keep_firing_for: int) -> list[tuple[int, int]]:
    """``[first, last]`` evaluation indexes of each firing period of a ``Hysteresis`` fed ``holds``,
    or ``held`` while it fires. Runs of false far from any firing are skipped, not stepped."""
    h = Hysteresis(for_, keep_firing_for)
    out: list[tuple[int, int]] = []
    start: int | None = None
    i, n = 0, holds.size
    while i < n:
        if h.state is State.INACTIVE and not holds[i]:
            ahead = np.flatnonzero(holds[i:])
            if not ahead.size:
                break
            i += int(ahead[0])
            continue
        state = h.update(bool(held[i] if h.state is State.FIRING else holds[i]))
        if state is State.FIRING and start is None:
            start = i
        elif state is not State.FIRING and start is not None:
            out.append((start, i - 1))
            start = None
        i += 1
    if start is not None:
        out.append((start, n - 1))
    return out


def on_holiday(alert: SourceAlert, traffic: Traffic, sources: list[int], grace: int) -> bool:
    return any(sources[e] == alert[0] and lo - grace <= alert[1] <= hi + grace for e, lo, hi in traffic.holidays)


def false_source_alerts(traffic: Traffic, alerts: list[SourceAlert], sources: list[int], grace: int
                        ) -> dict[str, Any]:
    """Source alerts that start off every holiday of their source: false (no injected anomaly is
    broad enough to cause one), per 1,000 event-days, by week of history."""
    false = [a for a in alerts if not on_holiday(a, traffic, sources, grace)]
    days = traffic.minutes // MINUTES_PER_DAY
    event_days = traffic.counts.shape[0] * days
    weeks: dict[str, int] = {}
    for a in false:
        day = a[1] // MINUTES_PER_DAY
        name = "week_1" if day < 7 else "week_2" if day < 14 else "week_3" if day < 21 else "weeks_4_plus"
        weeks[name] = weeks.get(name, 0) + 1
    return {"alerts": len(alerts), "false_alerts": len(false), "event_days": event_days,
            "per_1000_event_days": round(1000 * len(false) / max(event_days, 1), 3), "by_week": weeks,
            "holiday_alerts": len(alerts) - len(false)}


def inhibited(alert: tuple[int, int, int, str], source: int, by_source: dict[int, list[tuple[int, int]]],
              window: int) -> tuple[bool, int | None]:
    """Whether a per-event alert is muted by its source's alert (one firing when it starts), and, if it
    outlives that root by ``window`` (correlation keeps the inhibitor as its root that long), the
    minute it becomes news."""
    for on, off in by_source.get(source, []):
        if on <= alert[1] <= off:
            return True, (off + window if alert[2] > off + window else None)
    return False, None


def holiday_notifications(traffic: Traffic, holiday_alerts: dict[tuple[int, int], list[tuple[int, int, int, str]]],
                          alerts: list[SourceAlert], sources: list[int], grace: int, window: int
                          ) -> dict[str, Any]:
    """Notifications per undeclared (source, holiday) with the ``source_drop`` check: its own alerts
    on the holiday, the per-event holiday alerts it did not inhibit (correlated among themselves as
    ``score._notifications`` does), and those that outlived it by ``window``."""
    from governance.bench.score import _notifications

    by_source: dict[int, list[tuple[int, int]]] = {}
    for s, on, off in alerts:
        by_source.setdefault(s, []).append((on, off))
    days: dict[int, tuple[int, int, int]] = {}  # source -> the holiday's key and span
    for e, lo, hi in traffic.holidays:
        key = next((d for ev, d, _ in traffic.holiday_days if ev == e), lo)
        days.setdefault(sources[e], (key, lo, hi))
    counts, own, muted = [], 0, 0
    for s, (key, lo, hi) in days.items():
        mine = [a for a in alerts if a[0] == s and lo - grace <= a[1] <= hi + grace]
        left: list[tuple[int, int, int, str]] = [(-1, on, off, "drop") for _, on, off in mine]
        for alert in holiday_alerts.get((s, key), []):
            hit, news = inhibited(alert, s, by_source, window)
            muted += hit
            if not hit:
                left.append(alert)
            elif news is not None:
                left.append((alert[0], news, alert[2], alert[3]))
        own += len(mine)
        counts.append(_notifications(left, window))
    n = max(len(days), 1)
    return {"notifications_source_drop": sum(counts),
            "notifications_per_source_holiday_source_drop": round(sum(counts) / n, 2),
            "max_notifications_one_source_holiday_source_drop": max(counts, default=0),
            "source_drop_alerts_on_holidays": own, "holiday_alerts_inhibited": muted}
