"""Prometheus-style ``for`` / ``keep_firing_for``, counted in evaluations, for every fingerprint."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray


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


def firing_spans(conditions: Sequence[bool] | NDArray[np.bool_], *, for_: int, keep_firing_for: int
                 ) -> list[tuple[int, int]]:
    """``[first, last]`` evaluation indexes of each firing period of a fresh ``Hysteresis``.

    Computed from runs of true evaluations rather than by stepping (the bench calls it on series
    of 10,000 evaluations): a run of ``for_`` trues starts a period at its ``for_``-th; later runs
    separated by at most ``keep_firing_for`` falses extend it; it lasts ``keep_firing_for``
    evaluations past its last true. ``tests/quality/test_detect.py`` holds it equal to stepping.
    """
    cond = np.asarray(conditions, dtype=bool)
    n = cond.size
    if not cond.any():
        return []
    edges = np.diff(np.concatenate([[0], cond.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1  # runs of true, inclusive
    need = max(for_, 1)
    spans: list[tuple[int, int]] = []
    firing_until = -1  # last index of the current period (before extension), -1: not firing
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        if spans and start <= firing_until + 1:  # within keep_firing_for of the period: it goes on
            spans[-1] = (spans[-1][0], min(end + keep_firing_for, n - 1))
            firing_until = end + keep_firing_for
        elif end - start + 1 >= need:
            spans.append((start + need - 1, min(end + keep_firing_for, n - 1)))
            firing_until = end + keep_firing_for
    return spans
