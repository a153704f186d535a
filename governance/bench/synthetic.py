"""Synthetic per-minute traffic with known anomalies: the ground truth of the checks bench.

Each event has a log-uniform mean volume, a daily cycle (amplitude and peak hour vary per event,
as time zones do), a weekend dip (a calendar step), a smooth day-to-day level wobble (8 % sd)
and Poisson noise. Injected anomalies never overlap within one event (two hours apart at least):

- ``zero``: no traffic; ``half``: each event kept with probability 0.5; ``spike``: 3x traffic
  (these three last 30-180 min);
- ``violations``: the share of events with violations jumps to 15-60 % (30-180 min);
- ``drift``: 15-50 % of one property's values arrive as strings instead of ints (60-360 min).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from governance.bench.truth import MINUTES_PER_DAY, MONDAY, Anomaly, Traffic

__all__ = ["Anomaly", "Traffic", "generate_traffic", "sample_events"]
KINDS = ("zero", "half", "spike", "violations", "drift")
# expected anomalies per event and week, by kind
DEFAULT_RATES = {"zero": 0.5, "half": 0.5, "spike": 0.5, "violations": 0.5, "drift": 0.5}
FIXED_MAGNITUDE = {"zero": 0.0, "half": 0.5, "spike": 3.0}
SHARE_RANGE = {"violations": (0.15, 0.6), "drift": (0.15, 0.5)}
DURATIONS = {"zero": (30, 180), "half": (30, 180), "spike": (30, 180), "violations": (30, 180), "drift": (60, 360)}


def _place(rng: np.random.Generator, event: int, minutes: int, rates: dict[str, float], days: int,
           gap: int = 120) -> list[Anomaly]:
    """Draw this event's anomalies at random, non-overlapping, ``gap`` minutes apart."""
    placed: list[Anomaly] = []
    for kind in KINDS:
        for _ in range(int(rng.poisson(rates.get(kind, 0.0) * days / 7))):
            lo, hi = DURATIONS[kind]
            duration = int(rng.integers(lo, hi + 1))
            for _try in range(20):
                start = int(rng.integers(0, minutes - duration))
                end = start + duration
                if all(end + gap <= a.start or a.end + gap <= start for a in placed):
                    magnitude = FIXED_MAGNITUDE.get(kind)
                    if magnitude is None:
                        magnitude = float(rng.uniform(*SHARE_RANGE[kind]))
                    placed.append(Anomaly(event, kind, start, end, magnitude))
                    break
    return placed


def generate_traffic(
    *,
    events: int = 200,
    days: int = 14,
    seed: int = 0,
    min_rate: float = 10.0,
    max_rate: float = 10_000.0,
    anomaly_rates: dict[str, float] | None = None,
    keep_rate: bool = True,
    chunk: int = 256,
) -> Traffic:
    """``events`` series of ``days`` x 1440 minute counts, seeded; ``anomaly_rates`` per event-week."""
    rng = np.random.default_rng(seed)
    minutes = days * MINUTES_PER_DAY
    rates = DEFAULT_RATES if anomaly_rates is None else anomaly_rates
    mean = np.exp(rng.uniform(np.log(min_rate), np.log(max_rate), events))
    amplitude = rng.uniform(0.2, 0.6, events)
    peak = rng.uniform(0.0, 1.0, events)
    weekend = rng.uniform(0.7, 1.0, events)
    first_weekday = int(rng.integers(0, 7))
    level = rng.lognormal(0.0, 0.08, (events, days))
    base_violation = np.where(rng.random(events) < 0.3, rng.uniform(0.0, 0.03, events), 0.0)
    base_string = np.where(rng.random(events) < 0.2, rng.uniform(0.0, 0.02, events), 0.0)
    anomalies = [a for e in range(events) for a in _place(rng, e, minutes, rates, days)]

    weekday = (first_weekday + np.arange(days)) % 7
    dip = np.where(weekday >= 5, weekend[:, None], 1.0)  # (events, days): calendar step
    time_of_day = (np.arange(minutes) % MINUTES_PER_DAY) / MINUTES_PER_DAY
    day_of_minute = np.arange(minutes) // MINUTES_PER_DAY
    centres = (np.arange(days) + 0.5) * MINUTES_PER_DAY  # the level wobbles smoothly between noons

    counts = np.empty((events, minutes), np.int32)
    violations = np.empty((events, minutes), np.int32)
    strings = np.empty((events, minutes), np.int32)
    rate_out = np.empty((events, minutes), np.float32) if keep_rate else None
    by_event: dict[int, list[Anomaly]] = {}
    for a in anomalies:
        by_event.setdefault(a.event, []).append(a)
    for lo in range(0, events, chunk):
        hi = min(lo + chunk, events)
        cycle = 1.0 + amplitude[lo:hi, None] * np.cos(2 * np.pi * (time_of_day[None, :] - peak[lo:hi, None]))
        wobble = np.exp([np.interp(np.arange(minutes), centres, np.log(level[e])) for e in range(lo, hi)])
        rate = (mean[lo:hi, None] / 60.0) * cycle * dip[lo:hi][:, day_of_minute] * wobble
        c = rng.poisson(rate)
        p_violation = np.repeat(base_violation[lo:hi, None], minutes, axis=1)
        p_string = np.repeat(base_string[lo:hi, None], minutes, axis=1)
        for e in range(lo, hi):
            _inject(rng, by_event.get(e, []), e - lo, c, rate, p_violation, p_string)
        counts[lo:hi] = c
        violations[lo:hi] = rng.binomial(c, p_violation)
        strings[lo:hi] = rng.binomial(c, p_string)
        if rate_out is not None:
            rate_out[lo:hi] = rate
    start = MONDAY + first_weekday * MINUTES_PER_DAY  # the weekend dip falls on Saturday and Sunday UTC
    return Traffic(counts, violations, strings, rate_out, mean, anomalies, start_minute=start)


def _inject(rng: np.random.Generator, anomalies: list[Anomaly], row: int, c: Any, rate: Any, p_violation: Any,
            p_string: Any) -> None:
    """Apply one event's anomalies to its row of a chunk (in place, drawing from ``rng`` in order)."""
    for a in anomalies:
        s, t = a.start, a.end
        if a.kind == "zero":
            c[row, s:t] = 0
        elif a.kind == "half":
            c[row, s:t] = rng.binomial(c[row, s:t], a.magnitude)
        elif a.kind == "spike":
            c[row, s:t] += rng.poisson((a.magnitude - 1.0) * rate[row, s:t])
        elif a.kind == "violations":
            p_violation[row, s:t] = a.magnitude
        else:
            p_string[row, s:t] = a.magnitude


def sample_events(n: int, *, seed: int = 0, null_share: float = 0.005) -> list[dict[str, object]]:
    """``n`` Segment-like ``Order Completed`` track calls for expectation suites."""
    rng = np.random.default_rng(seed)
    revenue = np.round(rng.gamma(2.0, 30.0, n), 2)
    currency = rng.choice(["USD", "EUR", "GBP", "JPY"], n, p=[0.55, 0.25, 0.15, 0.05])
    null_order = rng.random(n) < null_share
    return [
        {
            "type": "track",
            "event": "Order Completed",
            "userId": f"u{i % 5000}",
            "messageId": f"m{i}",
            "properties": {
                "order_id": None if null_order[i] else f"o-{i:07d}",
                "revenue": float(revenue[i]),
                "currency": str(currency[i]),
                "coupon": None,
            },
            "context": {"library": {"name": "analytics-python", "version": "2.3.0"}},
        }
        for i in range(n)
    ]
