"""Ground truth shared by the bench's traffic generators: minute counters and the injected anomalies.

Both generators (``synthetic.py``, ``realistic.py``) return a ``Traffic``; the checks bench
scores alerts against its ``anomalies`` (and ``holidays``, which are not anomalies: traffic that
drops on an undeclared holiday is reported apart from false alerts).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

MINUTES_PER_DAY = 1440
MONDAY = 28_471_680  # epoch minute of Monday 2024-02-19 00:00 UTC: a Monday to hang synthetic weeks on


@dataclass(frozen=True)
class Anomaly:
    """One injected anomaly on ``event`` over minutes ``[start, end)``."""

    event: int
    kind: str
    start: int
    end: int
    magnitude: float  # drop/spike factor, violation share, string share, or the decline's final level


@dataclass
class Traffic:
    """Per-minute counters ``(events, minutes)`` from epoch minute ``start_minute``, and the ground truth."""

    counts: NDArray[np.int32]  # events received per minute (anomalies applied)
    violations: NDArray[np.int32]  # events with at least one violation
    strings: NDArray[np.int32]  # events whose ``quantity`` property arrived as a string
    rate: NDArray[np.float32] | None  # noise-free events per minute without anomalies
    mean_per_hour: NDArray[np.float64]
    anomalies: list[Anomaly] = field(default_factory=list)
    start_minute: int = MONDAY
    holidays: list[tuple[int, int, int]] = field(default_factory=list)  # (event, start, end) minutes
    holiday_days: list[tuple[int, int, int]] = field(default_factory=list)  # (event, start, end): the local day
    archetypes: list[str] = field(default_factory=list)  # per event, when the generator has them
    sources: list[int] = field(default_factory=list)  # per event, its source, when the generator has them
    tz_offsets: list[int] = field(default_factory=list)  # per event, its source's UTC offset (minutes)

    @property
    def minutes(self) -> int:
        return int(self.counts.shape[1])
