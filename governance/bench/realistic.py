"""Traffic shaped like real businesses: the checks bench's second generator, independent of ``synthetic.py``.

Events belong to sources; a source has a time zone (UTC-8 to UTC+9) and, usually, a Monday
holiday in its third or fourth week. Each event is one of four archetypes, with local-time shapes:

- ``consumer``: two peaks (lunch and evening), a night floor of 5-15 % of the mean, weekends at
  50-100 % of a weekday and later in the day (one day turns into the next over three hours around
  local midnight);
- ``business``: business hours with a morning and an afternoon peak and a lunch dip, a night floor
  of 2-6 %, weekends at 0-50 % (a quarter of them exactly 0: weekdays only);
- ``batch``: flat from 09:00 (give or take two minutes) to 17:00 local on weekdays, nothing else;
- ``low``: a consumer or business shape at 2-40 events an hour.

Volumes are log-uniform (30 to 15,000 an hour for the first three), the daily level follows an
AR(1) walk (7 % innovations) with a weekly trend of -2 % to +4 %, and counts are Poisson with
gamma overdispersion (18 % per minute). Injected anomalies never overlap on one event (two hours
apart), per event-week: ``zero`` outages (30-240 min; ``night_zero`` when they start between
00:00 and 06:00 local), ``half`` drops (30-180 min), ``spike`` (3x, 30-120 min), ``campaign``
(2.5x for 1-3 days, one-hour ramps), ``decline`` (40 % lost over three days, then the new
level stays), ``violations`` bursts (15-60 % of events, 30-180 min). Holidays are not anomalies:
the day behaves like a Sunday (``Traffic.holidays``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from governance.bench.truth import MINUTES_PER_DAY, MONDAY, Anomaly, Traffic, context_factor

ARCHETYPES = {"consumer": 0.35, "business": 0.35, "batch": 0.12, "low": 0.18}
TIMEZONES_H = (-8.0, -5.0, -3.0, 0.0, 1.0, 2.0, 5.5, 8.0, 9.0)
EVENTS_PER_SOURCE = 10
RATES = {"zero": 0.3, "half": 0.3, "spike": 0.15, "campaign": 0.06, "decline": 0.04, "violations": 0.3}
DURATIONS = {"zero": (30, 240), "half": (30, 180), "spike": (30, 120), "campaign": (1440, 4320),
             "decline": (4320, 4320), "violations": (30, 180)}
GAP = 120
RAMP = 180  # minutes over which one day turns into the next around local midnight
Float = NDArray[np.float64]


def _bump(hour: Float, centre: float, width: float) -> Float:
    """A peak at ``centre`` o'clock, wrapping around midnight (no cliff at 00:00)."""
    distance = (hour - centre + 12.0) % 24.0 - 12.0
    return np.asarray(np.exp(-0.5 * (distance / width) ** 2))


def _shapes(kind: str, rng: np.random.Generator, hour: Float) -> tuple[Float, Float]:
    """Weekday and weekend rate multipliers over local hours-of-day ``hour`` (weekday mean 1)."""
    if kind == "low":
        kind = "consumer" if rng.random() < 0.5 else "business"
    if kind == "consumer":
        floor, evening = rng.uniform(0.05, 0.15), rng.uniform(1.0, 1.6)
        weekday = floor + _bump(hour, 12.5, 1.6) + evening * _bump(hour, 20.5, 2.0)
        weekend = floor + 0.8 * _bump(hour, 13.5, 2.5) + evening * _bump(hour, 20.5, 2.2)
        share = rng.uniform(0.5, 1.0)
    elif kind == "business":
        floor = rng.uniform(0.02, 0.06)
        weekday = floor + _bump(hour, 10.5, 1.3) + 0.9 * _bump(hour, 15.0, 1.6)
        weekend = floor + 0.5 * _bump(hour, 13.0, 3.0)
        share = 0.0 if rng.random() < 0.25 else rng.uniform(0.05, 0.5)
    else:  # batch: the edges are drawn per day by the caller
        weekday = ((hour >= 9) & (hour < 17)).astype(np.float64)
        weekend, share = np.zeros_like(hour), 0.0
    mean = weekday.mean()
    weekend = weekend / max(weekend.mean(), 1e-9) * share if share else np.zeros_like(hour)
    return weekday / mean, weekend


def _smooth(step: Float, width: int) -> Float:
    """A 0/1 series with its steps turned into linear ramps ``width`` minutes wide."""
    kernel = np.ones(width) / width
    padded = np.concatenate([np.full(width // 2, step[0]), step, np.full(width - width // 2 - 1, step[-1])])
    return np.asarray(np.convolve(padded, kernel, mode="valid"))


def _place(rng: np.random.Generator, event: int, minutes: int, weeks: float) -> list[Anomaly]:
    placed: list[Anomaly] = []
    for kind, rate in RATES.items():
        for _ in range(int(rng.poisson(rate * weeks))):
            lo, hi = DURATIONS[kind]
            duration = int(rng.integers(lo, hi + 1))
            earliest = 10 * MINUTES_PER_DAY if kind == "decline" else 0
            if minutes - duration <= earliest:
                continue
            for _try in range(30):
                start = int(rng.integers(earliest, minutes - duration))
                end = start + duration
                if all(end + GAP <= a.start or a.end + GAP <= start for a in placed):
                    magnitude = {"zero": 0.0, "half": 0.5, "spike": 3.0, "campaign": 2.5, "decline": 0.6}.get(kind)
                    placed.append(Anomaly(event, kind, start, end,
                                          magnitude if magnitude is not None else float(rng.uniform(0.15, 0.6))))
                    break
    return placed


def _level(rng: np.random.Generator, days: int, minutes: int, local: Float) -> Float:
    """The daily level (AR(1) walk times a weekly trend), interpolated between local noons."""
    walk = np.zeros(days + 2)
    for d in range(1, days + 2):
        walk[d] = 0.5 * walk[d - 1] + rng.normal(0.0, 0.07)
    trend = rng.uniform(-0.02, 0.04) * np.arange(days + 2) / 7
    noons = (np.arange(-1, days + 1) + 0.5) * MINUTES_PER_DAY
    return np.asarray(np.exp(np.interp(local, noons, walk + trend)))


def _batch_rate(rng: np.random.Generator, days: int, local: Float, weekday_local: NDArray[np.int64]) -> Float:
    """1 between 09:00 and 17:00 local (each edge moved by up to two minutes a day) on weekdays."""
    day = np.floor(local / MINUTES_PER_DAY).astype(np.int64)
    start = 540 + rng.integers(-2, 3, days + 2)
    end = 1020 + rng.integers(-2, 3, days + 2)
    minute_of_day = local - day * MINUTES_PER_DAY
    k = np.clip(day + 1, 0, days + 1)
    on = (minute_of_day >= start[k]) & (minute_of_day < end[k]) & (weekday_local < 5)
    return on.astype(np.float64) / (8 / 24)


def _apply(rate: Float, anomalies: list[Anomaly], minutes: int) -> tuple[Float, Float, Float]:
    """Rate with campaigns and declines, the keep-probability of drops and the spike extra rate."""
    factor = context_factor(anomalies, 0, minutes)
    keep, extra = np.ones(minutes), np.zeros(minutes)
    for a in anomalies:
        if a.kind in ("zero", "night_zero", "half"):
            keep[a.start : a.end] = a.magnitude
        elif a.kind == "spike":
            extra[a.start : a.end] = a.magnitude - 1.0
    return rate * factor, keep, extra


def _weekend(local: Float, holiday: int | None) -> NDArray[np.bool_]:
    day_local = np.floor(local / MINUTES_PER_DAY).astype(np.int64)
    return np.asarray((day_local % 7 >= 5) | ((day_local == holiday) if holiday is not None else False))


def _event(rng: np.random.Generator, kind: str, days: int, offset: int, holiday: int | None,
           start_minute: int) -> tuple[Float, Float, float]:
    """Noise-free rate per minute of one event (without anomalies), the rate as the generator drew it
    before its ends were fixed (``_draw``), and its mean per hour."""
    minutes = days * MINUTES_PER_DAY
    local = np.arange(minutes, dtype=np.float64) + offset + (start_minute - MONDAY)
    weekday_local = np.floor(local / MINUTES_PER_DAY).astype(np.int64) % 7
    hour = (local % MINUTES_PER_DAY) / 60.0
    weekday_shape, weekend_shape = _shapes(kind, rng, hour)
    weekend = _weekend(local, holiday)
    if kind == "batch":
        shape = old = np.where(weekend, 0.0, _batch_rate(rng, days, local, weekday_local))
    else:  # a day turns into the next over the three hours around local midnight, as people go to bed
        # the ramp near the series' ends comes from the calendar beyond them: it was padded with the first
        # and the last minute's day (``old``), so a series that ends at Sunday 24:00 UTC never ramped
        # into Monday on its last Sunday evening (a false silence of weekdays-only events, two on seed 2)
        pad = np.arange(1, RAMP // 2 + 1, dtype=np.float64)
        around = np.concatenate([local[0] - pad[::-1], local, local[-1] + pad])
        share = np.convolve(_weekend(around, holiday).astype(np.float64), np.ones(RAMP) / RAMP,
                            mode="valid")[:minutes]
        shape = share * weekend_shape + (1.0 - share) * weekday_shape
        padded = _smooth(weekend.astype(np.float64), RAMP)
        old = padded * weekend_shape + (1.0 - padded) * weekday_shape
    per_hour = float(np.exp(rng.uniform(np.log(2), np.log(40)) if kind == "low"
                            else rng.uniform(np.log(30), np.log(15_000))))
    level = per_hour / 60.0 * _level(rng, days, minutes, local)
    return level * shape, level * old, per_hour


def _draw(rng: np.random.Generator, side: np.random.Generator, rate: Float, old: Float,
          placed: list[Anomaly]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Counts and events with violations of one event. Every draw of ``rng`` is made as from the rate
    before the fix of the ends (``old``), so the rest of the seed's traffic stays what it was; the
    minutes whose rate the fix moved (the ramps at the series' ends) are drawn again by ``side``."""
    minutes = rate.size
    actual, keep, extra = _apply(old, placed, minutes)
    noise = rng.gamma(30.0, 1 / 30.0, minutes)
    c = rng.binomial(rng.poisson(actual * noise), keep) + rng.poisson(extra * old)
    share = np.full(minutes, rng.uniform(0.0, 0.03) if rng.random() < 0.3 else 0.0)
    for a in placed:
        if a.kind == "violations":
            share[a.start : a.end] = a.magnitude
    bad = rng.binomial(c, share)
    moved = np.flatnonzero(rate != old)
    if moved.size:
        fixed, _, _ = _apply(rate, placed, minutes)
        c[moved] = (side.binomial(side.poisson(fixed[moved] * noise[moved]), keep[moved])
                    + side.poisson(extra[moved] * rate[moved]))
        bad[moved] = side.binomial(c[moved], share[moved])
    return np.asarray(c), np.asarray(bad)


def generate_realistic(*, events: int = 200, days: int = 35, seed: int = 0, keep_rate: bool = True) -> Traffic:
    """``events`` series of ``days`` x 1440 minute counts starting on a Monday 00:00 UTC, seeded."""
    rng = np.random.default_rng([seed, 0x5EA])
    minutes = days * MINUTES_PER_DAY
    start_minute = MONDAY
    kinds = list(ARCHETYPES)
    archetypes = [str(k) for k in rng.choice(kinds, events, p=list(ARCHETYPES.values()))]
    n_sources = -(-events // EVENTS_PER_SOURCE)
    offsets = [int(rng.choice(TIMEZONES_H) * 60) for _ in range(n_sources)]
    holidays = [int(rng.choice([14, 21])) if rng.random() < 0.8 and days > 21 else None for _ in range(n_sources)]
    counts = np.empty((events, minutes), np.int32)
    violations = np.empty_like(counts)
    rates = np.empty((events, minutes), np.float32) if keep_rate else None
    means = np.empty(events)
    anomalies: list[Anomaly] = []
    holiday_spans: list[tuple[int, int, int]] = []
    holiday_days: list[tuple[int, int, int]] = []
    for e in range(events):
        src = e // EVENTS_PER_SOURCE
        rate, old, means[e] = _event(rng, archetypes[e], days, offsets[src], holidays[src], start_minute)
        placed = [_night(a, offsets[src]) for a in _place(rng, e, minutes, days / 7)]
        anomalies += placed
        holiday = holidays[src]
        if holiday is not None:
            first = holiday * MINUTES_PER_DAY - offsets[src] - RAMP // 2  # the day blends in over RAMP minutes
            holiday_spans.append((e, max(first, 0), min(first + MINUTES_PER_DAY + RAMP, minutes)))
            day = holiday * MINUTES_PER_DAY - offsets[src]  # what a user declares: the local calendar day
            holiday_days.append((e, max(day, 0), min(day + MINUTES_PER_DAY, minutes)))
        counts[e], violations[e] = _draw(rng, np.random.default_rng([seed, 0x5EA, 1, e]), rate, old, placed)
        if rates is not None:
            rates[e] = rate
    return Traffic(counts, violations, np.zeros_like(counts), rates, means, anomalies, start_minute=start_minute,
                   holidays=holiday_spans, holiday_days=holiday_days, archetypes=archetypes,
                   sources=[e // EVENTS_PER_SOURCE for e in range(events)],
                   tz_offsets=[offsets[e // EVENTS_PER_SOURCE] for e in range(events)])


def _night(a: Anomaly, offset: int) -> Anomaly:
    """An outage starting between 00:00 and 06:00 local is a ``night_zero``."""
    local_hour = ((a.start + offset) % MINUTES_PER_DAY) / 60
    if a.kind == "zero" and local_hour < 6:
        return Anomaly(a.event, "night_zero", a.start, a.end, a.magnitude)
    return a
