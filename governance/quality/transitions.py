"""What a check cycle means for alerts: its transitions, returned to the caller, never applied here.

``quality/`` never drives ``alerts/``: ``cycle.run_cycle`` returns ``Transitions`` (and hands
each write transaction's share to an optional ``hand_off`` in that same transaction, so a
resolution is never lost between two commits); the worker passes ``alerts.lifecycle.apply``.

    retired      checks deleted or disabled: their firing alerts resolve
    FIRED        a fingerprint fires with its condition holding: open its alert, or refresh it
    KEPT         a fingerprint fires on ``keep_firing_for`` alone: the alert is still firing
    RESOLVED     a fingerprint resolved
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session


@dataclass(frozen=True, kw_only=True)
class AlertInput:
    """What a check raises for one fingerprint: the alert's title, summary, owner and labels."""

    fingerprint: str
    check_id: str
    check_kind: str
    source_id: str
    source_name: str
    event: str
    field: str
    severity: str
    title: str
    summary: str
    details: dict[str, Any] = dc_field(default_factory=dict)
    owner: str | None = None
    labels: dict[str, str] = dc_field(default_factory=dict)


class Step(StrEnum):
    FIRED = "fired"
    KEPT = "kept"
    RESOLVED = "resolved"


@dataclass(frozen=True, kw_only=True)
class Transition:
    step: Step
    fingerprint: str
    alert: AlertInput | None = None  # FIRED: what the alert says now


@dataclass(kw_only=True)
class Transitions:
    """One cycle's (or one transaction's) transitions at ``now``, in the order they happened."""

    now: datetime
    retired: list[str] = dc_field(default_factory=list)  # check ids
    steps: list[Transition] = dc_field(default_factory=list)

    def of(self, step: Step) -> list[Transition]:
        return [t for t in self.steps if t.step is step]

    def extend(self, other: Transitions) -> None:
        self.retired += other.retired
        self.steps += other.steps


HandOff = Callable[[Session, Transitions], None]
