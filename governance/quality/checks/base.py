"""What every check kind is: a params model, an ``evaluate`` function, and hysteresis defaults.

A kind's ``evaluate(ctx)`` reads counters and samples through ``ctx.data`` and returns
``Observation``s, one per fingerprint it judged: ``(event, field, finding)`` where ``finding``
is a ``detect.Finding`` when the condition holds and ``None`` when it does not. Fingerprints the
check tracked before but does not report now count as "condition false" (they resolve).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from governance.quality.detect import Finding

if TYPE_CHECKING:
    from governance.plan.model import EventSpec, Plan
    from governance.quality.queries import SourceData
    from governance.quality.tables import CheckRow

Scope = Literal["event", "source"]


@dataclass(frozen=True)
class Defaults:
    """Defaults of the built-in kinds, named as the bench's ``BenchConfig`` names them.

    The bench (``governance/bench/checks.py``) takes its ``BenchConfig`` defaults from here, so
    it measures recall and false alerts of exactly these settings.
    """

    level_hours: int = 12
    min_error: float = 0.1
    silence_after: float = 15.0
    silence_min_expected: float = 20.0
    violation_window: int = 30
    violation_threshold: float = 0.05
    violation_min_events: int = 50
    violation_z: float = 3.0
    drift_window: int = 60
    drift_reference: int = 1440
    drift_min_count: int = 100
    drift_shift: float = 0.1
    keep_firing_for: int = 2
    for_: tuple[tuple[str, int], ...] = (("drop", 3), ("spike", 3), ("silence", 1), ("violations", 3),
                                         ("drift", 3))  # fmt: skip

    def for_of(self, name: str) -> int:
        return dict(self.for_)[name]


DEFAULTS = Defaults()
RESERVED_PARAMS = ("enabled", "scope")  # read by the plan sync, never passed to a kind


class Params(BaseModel):
    """Base of every kind's params: unknown keys are an error, never silently ignored."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Observation:
    """One judged fingerprint of a check; ``result`` is stored with the run (e.g. a GX result)."""

    event: str
    field: str = ""
    finding: Finding | None = None
    result: dict[str, Any] | None = None


@dataclass
class SourceInfo:
    """A source as the checks see it: its name and the plan version bound to it (if any)."""

    id: str
    name: str
    plan: Plan | None = None
    plan_version: int | None = None
    _index: Any = field(default=None, repr=False)

    def event_spec(self, event: str) -> EventSpec | None:
        return self.plan.events.get(event) if self.plan is not None else None

    def closest_event(self, name: str) -> str | None:
        """The planned event ``name`` most likely meant ("did you mean"), or ``None``."""
        if self.plan is None:
            return None
        if self._index is None:
            from governance.plan.names import NameIndex

            self._index = NameIndex(sorted(self.plan.events))
        found = self._index.closest(name)
        return found if found != name else None

    def owner_of(self, event: str) -> str | None:
        """The event's owner, else the plan's owner."""
        spec = self.event_spec(event)
        if spec is not None and spec.owner:
            return spec.owner
        return self.plan.owner if self.plan is not None else None

    def labels_of(self, event: str) -> dict[str, str]:
        spec = self.event_spec(event)
        return dict(spec.labels) if spec is not None else {}


@dataclass
class CheckContext:
    """Everything ``evaluate`` may read; ``now`` is the evaluation time (injected in tests)."""

    now: datetime
    check: CheckRow
    params: Any  # the kind's validated ``Params``
    source: SourceInfo
    data: SourceData


@dataclass(frozen=True)
class CheckKind:
    """A registered check kind (see ``CHECK_KINDS``)."""

    name: str
    summary: str
    params: type[Params]
    evaluate: Callable[[CheckContext], list[Observation]]
    default_for: int = 3
    default_keep_firing_for: int = 2
    scope: Scope = "event"  # what a plan-level declaration fans out to
    needs_event: bool = False  # False: event "" (the whole source) is allowed

    def parse(self, params: dict[str, Any]) -> Params:
        """Validated params (``ValueError``/``ValidationError`` on a bad value)."""
        return self.params.model_validate({k: v for k, v in params.items() if k not in RESERVED_PARAMS})


def fingerprint(check_id: str, source_id: str, event: str, field: str) -> str:
    """The identity of an alert: (check, source, event, field)."""
    raw = f"{check_id}\x1f{source_id}\x1f{event}\x1f{field}"
    return hashlib.sha256(raw.encode()).hexdigest()[:40]
