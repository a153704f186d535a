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


# anomalies that change what an event normally runs at for days (a campaign, a decline): the rate another
# anomaly of those days is judged at (``running_rate``)
CONTEXT_KINDS = ("campaign", "decline")


def context_factor(anomalies: list[Anomaly], start: int, end: int) -> NDArray[np.float64]:
    """Per minute of ``[start, end)``: the factor the campaigns and declines among ``anomalies`` (one
    event's) put on its rate; ``realistic._apply`` generates the traffic with it (a campaign ramps up and down over an
    hour at each end; a decline loses ``1 - magnitude`` linearly over its span, then stays there)."""
    t = np.arange(start, end)
    factor = np.ones(t.size)
    for a in anomalies:
        if a.kind == "campaign":
            ramp = np.clip(np.minimum(t - a.start, a.end - t) / 60.0, 0.0, 1.0)
            factor *= 1.0 + (a.magnitude - 1.0) * ramp
        elif a.kind == "decline":
            progress = np.clip((t - a.start) / (a.end - a.start), 0.0, 1.0)
            factor *= 1.0 - (1.0 - a.magnitude) * progress
    return factor


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

    def running_rate(self, anomaly: Anomaly, context: list[Anomaly] | None = None) -> float:
        """Noise-free events per hour the event ran at during ``anomaly`` but for the anomaly itself: the
        rate (a holiday included) times the campaigns and declines of that event around it. A half drop
        on an event that a decline took from 125/h to 75/h is a drop of a 75/h event. ``context``: the
        event's campaigns and declines (default: looked up among ``anomalies``)."""
        assert self.rate is not None, "needs the noise-free rate"
        pool = self.anomalies if context is None else context
        context = [a for a in pool if a.event == anomaly.event and a.kind in CONTEXT_KINDS
                   and a is not anomaly and a.start < anomaly.end]
        rate = self.rate[anomaly.event, anomaly.start : anomaly.end]
        if not context:
            return float(rate.mean()) * 60
        return float((rate * context_factor(context, anomaly.start, anomaly.end)).mean()) * 60
