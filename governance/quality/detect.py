"""Pure detection logic of the data-quality checks: numpy in, findings out; no database, no clock.

The scheduler feeds these functions with counters and persists the ``Hysteresis`` state; see
``docs/quality/detection.md`` for the algorithms and why the defaults are what they are. Every
condition has a vectorised ``*_flags`` form (arrays of events x evaluations, used by the bench)
and a scalar form returning a ``Finding`` or ``None``; both share one implementation.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from governance.quality.baseline import (
    Baseline,
    FloatArray,
    adjust,
    level_baselines,
    recent_level,
    seasonal_baseline,
    weekday_consistent,
    weekday_factor,
    window_baseline,
)

__all__ = [
    "Baseline", "BoolArray", "Direction", "Finding", "FloatArray", "Hysteresis", "Profile", "State",
    "VolumeParams", "adjust", "describe_mix", "drift", "firing_spans", "json_type", "level_baselines",
    "mix_shift", "profile_values", "recent_level", "seasonal_baseline", "silence", "silence_flags",
    "violation_flags", "violation_rate", "volume_anomaly", "volume_check", "volume_flags",
    "weekday_consistent", "weekday_factor", "wilson_lower", "window_baseline",
]
BoolArray = NDArray[np.bool_]
Direction = Literal["drop", "spike", "both"]


@dataclass(frozen=True)
class Finding:
    """One check that holds: what was seen, what was expected, how strong (``score``)."""

    kind: str  # volume_drop | volume_spike | silence | violation_rate | drift
    message: str
    observed: float
    expected: float
    score: float
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- volume --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VolumeParams:
    """Volume anomaly thresholds; both a z-score and a relative change must hold."""

    direction: Direction = "both"
    sensitivity: float = 3.0  # z threshold (the spread includes the baseline's own error)
    min_volume: float = 100.0  # expected events/hour below which nothing fires
    min_drop: float = 0.4  # drop fires when observed <= (1 - min_drop) * expected
    min_spike: float = 1.0  # spike fires when observed >= (1 + min_spike) * expected
    min_count: float = 50.0  # a window is judged only when it should hold this many events
    windows: tuple[int, ...] = (10, 20, 30, 60)  # trailing windows (minutes) tried by volume_check


def volume_flags(
    observed: ArrayLike, expected: ArrayLike, spread: ArrayLike, *, window_minutes: int, params: VolumeParams
) -> tuple[BoolArray, BoolArray, FloatArray]:
    """Vectorised volume condition: ``(drop, spike, z)`` for window counts."""
    obs = np.asarray(observed, dtype=np.float64)
    exp = np.asarray(expected, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (obs - exp) / np.asarray(spread, dtype=np.float64)
        known = np.nan_to_num(exp, nan=0.0)
        loud = (known * (60.0 / window_minutes) >= params.min_volume) & (known >= params.min_count)
        drop = loud & (z <= -params.sensitivity) & (obs <= (1 - params.min_drop) * exp)
        spike = loud & (z >= params.sensitivity) & (obs >= (1 + params.min_spike) * exp)
    if params.direction == "drop":
        spike = np.zeros_like(spike)
    elif params.direction == "spike":
        drop = np.zeros_like(drop)
    return drop, spike, np.nan_to_num(z)


def volume_anomaly(
    observed: float,
    expected: float,
    spread: float,
    *,
    window_minutes: int = 60,
    direction: Direction = VolumeParams.direction,
    sensitivity: float = VolumeParams.sensitivity,
    min_volume: float = VolumeParams.min_volume,
    min_drop: float = VolumeParams.min_drop,
    min_spike: float = VolumeParams.min_spike,
    min_count: float = VolumeParams.min_count,
) -> Finding | None:
    """A drop or spike of one window's count against its expected count and spread, or ``None``.

    Fires when the hourly rate is at least ``min_volume``, the window should hold ``min_count``
    events, ``|z| >= sensitivity`` and the change is large enough (``min_drop``/``min_spike``).
    """
    params = VolumeParams(direction, sensitivity, min_volume, min_drop, min_spike, min_count)
    drop, spike, z = volume_flags(observed, expected, spread, window_minutes=window_minutes, params=params)
    if not (drop or spike):
        return None
    change = (observed - expected) / expected
    word = "dropped" if drop else "rose"
    return Finding(
        kind="volume_drop" if drop else "volume_spike",
        message=f"volume {word} {abs(change):.0%} in the last {window_minutes} min: "
        f"{observed:.0f} events vs {expected:.0f} expected (z={float(z):.1f})",
        observed=float(observed),
        expected=float(expected),
        score=abs(float(z)),
        details={"window_minutes": window_minutes, "change": round(change, 4), "spread": float(spread)},
    )


def volume_check(
    recent: ArrayLike, now: Baseline, previous: Baseline, *, minute_of_hour: int, params: VolumeParams
) -> Finding | None:
    """Strongest volume finding over ``params.windows`` for one event.

    ``recent`` holds the event's last complete minute counts (newest last, >= max window long);
    ``now``/``previous`` are the baselines of the current and the previous hour.
    """
    counts = np.asarray(recent, dtype=np.float64)
    best: Finding | None = None
    for window in params.windows:
        expected, spread = window_baseline(now, previous, window=window, minute_of_hour=minute_of_hour)
        finding = volume_anomaly(
            float(counts[-window:].sum()), float(expected), float(spread), window_minutes=window,
            direction=params.direction, sensitivity=params.sensitivity, min_volume=params.min_volume,
            min_drop=params.min_drop, min_spike=params.min_spike, min_count=params.min_count,
        )
        if finding is not None and (best is None or finding.score > best.score):
            best = finding
    return best


# -- silence and violation rate ------------------------------------------------------------------


def silence_flags(
    minutes_ago: ArrayLike, expected_per_hour: ArrayLike, *, after_minutes: float, min_expected: float
) -> BoolArray:
    """Vectorised silence: quiet for ``after_minutes`` while ``min_expected`` events were due."""
    gap = np.asarray(minutes_ago, dtype=np.float64)
    due = np.nan_to_num(np.asarray(expected_per_hour, dtype=np.float64)) * gap / 60.0
    return np.asarray((gap >= after_minutes) & (due >= min_expected))


def silence(
    last_seen_minutes_ago: float | None,
    expected_per_hour: float,
    *,
    after_minutes: float = 15.0,
    min_expected: float = 20.0,
) -> Finding | None:
    """No event for ``after_minutes`` although the baseline expected >= ``min_expected`` of them.

    Under Poisson arrivals a gap holding ``n`` expected events has probability ``exp(-n)``;
    ``min_expected=20`` keeps low-volume events from flapping (they need a longer gap) even when
    the baseline runs 25 % high. ``None`` for ``last_seen_minutes_ago``: never seen.
    """
    gap = math.inf if last_seen_minutes_ago is None else float(last_seen_minutes_ago)
    if not silence_flags(gap, expected_per_hour, after_minutes=after_minutes, min_expected=min_expected):
        return None
    due = expected_per_hour * gap / 60.0
    since = "no events yet" if math.isinf(gap) else f"no events for {gap:.0f} min"
    return Finding(
        kind="silence",
        message=f"{since}; about {due:.0f} were expected ({expected_per_hour:.0f}/h)",
        observed=0.0,
        expected=float(due),
        score=float(due),
        details={"last_seen_minutes_ago": None if math.isinf(gap) else gap},
    )


def wilson_lower(successes: ArrayLike, trials: ArrayLike, z: float) -> FloatArray:
    """Lower bound of the Wilson score interval (0 where there are no trials)."""
    k = np.asarray(successes, dtype=np.float64)
    n = np.maximum(np.asarray(trials, dtype=np.float64), 1e-12)
    p = k / n
    centre = p + z * z / (2 * n)
    margin = z * np.sqrt(np.maximum(p * (1 - p) / n + z * z / (4 * n * n), 0.0))
    return np.asarray(np.where(np.asarray(trials) > 0, (centre - margin) / (1 + z * z / n), 0.0))


def violation_flags(
    violations: ArrayLike, events: ArrayLike, *, threshold: float, min_events: int, confidence_z: float
) -> BoolArray:
    """Vectorised violation rate: enough events and Wilson lower bound of the rate >= threshold."""
    n = np.asarray(events, dtype=np.float64)
    return np.asarray((n >= min_events) & (wilson_lower(violations, n, confidence_z) >= threshold))


def violation_rate(
    violations: int, events: int, *, threshold: float = 0.05, min_events: int = 50, confidence_z: float = 3.0
) -> Finding | None:
    """Share of events with violations is above ``threshold`` with confidence (``confidence_z=0``: raw)."""
    if not violation_flags(violations, events, threshold=threshold, min_events=min_events, confidence_z=confidence_z):
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


# -- drift ---------------------------------------------------------------------------------------


@dataclass
class Profile:
    """Counts describing one property's values over a time window (JSON-serialisable)."""

    count: int = 0
    nulls: int = 0
    types: dict[str, int] = field(default_factory=dict)
    values: dict[str, int] = field(default_factory=dict)  # JSON-encoded value -> count
    overflow: bool = False  # more distinct values than tracked: no enum analysis

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Profile:
        return cls(**{k: data[k] for k in ("count", "nulls", "types", "values", "overflow") if k in data})


def json_type(value: Any) -> str:
    """JSON type name of a decoded value: bool, int, float, string, array, object, null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list | tuple) else "object"


def profile_values(values: Iterable[Any], *, max_values: int = 50) -> Profile:
    """Profile of decoded JSON values: null count, type mix, value shares (up to ``max_values``)."""
    prof = Profile()
    for value in values:
        prof.count += 1
        kind = json_type(value)
        if kind == "null":
            prof.nulls += 1
            continue
        prof.types[kind] = prof.types.get(kind, 0) + 1
        if prof.overflow or kind in ("array", "object", "float"):
            continue
        key = json.dumps(value)
        prof.values[key] = prof.values.get(key, 0) + 1
        if len(prof.values) > max_values:
            prof.overflow, prof.values = True, {}
    return prof


def mix_shift(previous: ArrayLike, current: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Total variation distance and chi-square z (Wilson-Hilferty) of two count vectors ``(..., k)``."""
    a = np.asarray(previous, dtype=np.float64)
    b = np.asarray(current, dtype=np.float64)
    na, nb = a.sum(-1, keepdims=True), b.sum(-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        tvd = 0.5 * np.abs(a / na - b / nb).sum(-1)
        col = a + b
        n = na + nb
        ea, eb = na * col / n, nb * col / n
        chi = np.where(col > 0, (a - ea) ** 2 / ea + (b - eb) ** 2 / eb, 0.0).sum(-1)
        df = np.maximum((col > 0).sum(-1) - 1, 1)
        c = 2.0 / (9.0 * df)
        z = (np.cbrt(chi / df) - (1 - c)) / np.sqrt(c)
    return np.nan_to_num(tvd), np.where((col > 0).sum(-1) > 1, np.nan_to_num(z), 0.0)


def describe_mix(counts: Mapping[str, int], *, limit: int = 4) -> str:
    """``"int 84% / string 16%"``: shares, largest first."""
    total = sum(counts.values()) or 1
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return " / ".join(f"{k} {v / total:.0%}" for k, v in items) or "none"


def _aligned(a: Mapping[str, int], b: Mapping[str, int]) -> tuple[list[str], FloatArray, FloatArray]:
    keys = sorted(set(a) | set(b))
    return keys, np.array([a.get(k, 0) for k in keys], float), np.array([b.get(k, 0) for k in keys], float)


def drift(
    previous: Profile,
    current: Profile,
    *,
    min_count: int = 100,
    sensitivity: float = 4.0,
    null_rise: float = 0.05,
    type_shift: float = 0.1,
    value_shift: float = 0.1,
) -> Finding | None:
    """Null-rate rise, type-mix change or value-share shift that is both large and significant.

    Large: an absolute null-rate rise >= ``null_rise``, a total variation distance between the
    type (or value) shares >= ``type_shift`` (``value_shift``). Significant: a two-proportion z,
    or a chi-square test as a z, >= ``sensitivity``. ``observed``/``expected`` of the finding are
    the current and previous share that moved most.
    """
    if previous.count < min_count or current.count < min_count:
        return None
    reasons: list[str] = []
    details: dict[str, Any] = {}
    strongest = (0.0, 0.0, 0.0)  # score, current share, previous share
    p0, p1 = previous.nulls / previous.count, current.nulls / current.count
    pooled = (previous.nulls + current.nulls) / (previous.count + current.count)
    se = math.sqrt(max(pooled * (1 - pooled), 1e-12) * (1 / previous.count + 1 / current.count))
    if p1 - p0 >= null_rise and (p1 - p0) / se >= sensitivity:
        reasons.append(f"null rate rose from {p0:.0%} to {p1:.0%}")
        details["null_rate"] = {"previous": p0, "current": p1}
        strongest = max(strongest, ((p1 - p0) / se, p1, p0))
    for aspect, old, new, shift in (("types", previous.types, current.types, type_shift),
                                    ("values", previous.values, current.values, value_shift)):
        if aspect == "values" and (previous.overflow or current.overflow):
            continue
        keys, a, b = _aligned(old, new)
        if a.sum() < min_count or b.sum() < min_count:
            continue
        tvd, z = mix_shift(a, b)
        if tvd < shift or z < sensitivity:
            continue
        pa, pb = a / a.sum(), b / b.sum()
        moved = np.lexsort((pa - pb, -np.abs(pb - pa).round(9)))  # largest change first; a rise wins ties
        if aspect == "types":
            reasons.append(f"type mix changed: {describe_mix(old)} -> {describe_mix(new)}")
        else:
            reasons.append("value shares shifted: " + ", ".join(
                f"{keys[i]} {pa[i]:.0%} -> {pb[i]:.0%}" for i in moved[:3]))
        details[aspect] = {"previous": dict(old), "current": dict(new), "tvd": float(tvd), "psi": _psi(a, b)}
        strongest = max(strongest, (float(z), float(pb[moved[0]]), float(pa[moved[0]])))
    if not reasons:
        return None
    return Finding("drift", "; ".join(reasons), strongest[1], strongest[2], strongest[0], details)


def _psi(a: FloatArray, b: FloatArray, eps: float = 1e-4) -> float:
    """Population stability index (reported alongside TVD; common rule of thumb: > 0.25 is big)."""
    pa, pb = np.maximum(a / a.sum(), eps), np.maximum(b / b.sum(), eps)
    return float(((pb - pa) * np.log(pb / pa)).sum())


# -- hysteresis ----------------------------------------------------------------------------------


class State(StrEnum):
    INACTIVE = "inactive"
    PENDING = "pending"
    FIRING = "firing"
    RESOLVED = "resolved"


@dataclass
class Hysteresis:
    """Prometheus-style ``for`` / ``keep_firing_for`` counted in evaluations.

    Fires on the ``for_``-th consecutive true evaluation (``for_ <= 1``: at once); once firing,
    keeps firing through ``keep_firing_for`` false evaluations and resolves on the next one.
    ``resolved`` lasts one evaluation, then becomes ``inactive`` (or ``pending`` when true again).
    """

    for_: int = 3
    keep_firing_for: int = 0
    state: State = State.INACTIVE
    active: int = 0  # consecutive true evaluations
    cleared: int = 0  # consecutive false evaluations while firing

    def __post_init__(self) -> None:
        if self.for_ < 0 or self.keep_firing_for < 0:
            raise ValueError("for_ and keep_firing_for must be >= 0")
        self.state = State(self.state)

    def update(self, condition: bool) -> State:
        if condition:
            self.active, self.cleared = self.active + 1, 0
            if self.state is State.FIRING or self.active >= max(self.for_, 1):
                self.state = State.FIRING
            else:
                self.state = State.PENDING
        elif self.state is State.FIRING:
            self.active, self.cleared = 0, self.cleared + 1
            if self.cleared > self.keep_firing_for:
                self.state, self.cleared = State.RESOLVED, 0
        else:
            self.active, self.cleared, self.state = 0, 0, State.INACTIVE
        return self.state

    def to_dict(self) -> dict[str, Any]:
        return {"for": self.for_, "keep_firing_for": self.keep_firing_for, "state": self.state.value,
                "active": self.active, "cleared": self.cleared}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Hysteresis:
        return cls(int(data["for"]), int(data["keep_firing_for"]), State(data["state"]),
                   int(data.get("active", 0)), int(data.get("cleared", 0)))


def firing_spans(conditions: Sequence[bool] | BoolArray, *, for_: int, keep_firing_for: int) -> list[tuple[int, int]]:
    """``[first, last]`` evaluation indexes of each firing period of a fresh ``Hysteresis``."""
    h = Hysteresis(for_, keep_firing_for)
    spans: list[tuple[int, int]] = []
    for i, cond in enumerate(conditions):
        before = h.state
        if h.update(bool(cond)) is State.FIRING:
            if before is State.FIRING:
                spans[-1] = (spans[-1][0], i)
            else:
                spans.append((i, i))
    return spans
