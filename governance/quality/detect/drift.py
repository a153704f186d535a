"""Drift: a property's null rate, type mix or value shares change between two windows.

``profile_values`` summarises one property over a window (count, nulls, JSON Schema type counts,
and the counts of up to 50 distinct scalar values); ``drift`` reports a change that is both large
(an absolute null-rate rise, a total variation distance of the type or value shares) and
significant (a two-proportion z, or a chi-square test as a z through Wilson-Hilferty).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from governance.plan.jsontype import json_type
from governance.quality.detect.finding import Finding

FloatArray = NDArray[np.float64]


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
        if prof.overflow or kind in ("array", "object", "number"):
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
