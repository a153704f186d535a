"""What every check kind is: its plan spec (params, scope, defaults) and an ``evaluate`` function.

The spec lives in ``governance/plan/check_spec.py`` (the plan validates declared checks against
it). A kind's ``evaluate(ctx)`` reads counters and samples through ``ctx.data`` and returns
``Observation``s, one per fingerprint it judged: ``(event, field, finding)`` where ``finding``
is a ``detect.Finding`` when the condition holds and ``None`` when it does not; ``learning``
says what a fingerprint without enough history waits for (never ``ok`` while it waits).
Fingerprints the check tracked before but does not report now count as "condition false".
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from governance.plan.check_spec import CHECK_SPECS, KindSpec, Params, Scope, Severity, parse_params
from governance.quality.detect import Finding

if TYPE_CHECKING:
    from governance.plan.model import EventSpec, Plan
    from governance.quality.queries import SourceData
    from governance.quality.tables import CheckRow

@dataclass(frozen=True)
class Observation:
    """One judged fingerprint of a check; ``result`` is stored with the run (e.g. a GX result)."""

    event: str
    field: str = ""
    finding: Finding | None = None
    result: dict[str, Any] | None = None

    @classmethod
    def waiting(cls, event: str, reason: str, **details: Any) -> Observation:
        """A fingerprint that cannot be judged yet: the run records ``learning`` and what it waits for."""
        return cls(event, "", None, {"learning": reason, **details})


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
    """A registered check kind (see ``CHECK_KINDS``): the plan's spec of it and its evaluation."""

    spec: KindSpec
    evaluate: Callable[[CheckContext], list[Observation]]

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def summary(self) -> str:
        return self.spec.summary

    @property
    def params(self) -> type[Params]:
        return self.spec.params

    @property
    def scope(self) -> Scope:
        return self.spec.scope

    @property
    def needs_event(self) -> bool:
        return self.spec.needs_event

    @property
    def default_for(self) -> int:
        return self.spec.default_for

    @property
    def default_keep_firing_for(self) -> int:
        return self.spec.default_keep_firing_for

    @property
    def default_severity(self) -> Severity:
        return self.spec.default_severity

    def parse(self, params: dict[str, Any]) -> Params:
        """Validated params (``ValidationError`` on a bad value)."""
        return parse_params(self.name, params)


def kind(name: str, evaluate: Callable[[CheckContext], list[Observation]]) -> CheckKind:
    """The ``CheckKind`` of the plan spec ``name`` with its ``evaluate``."""
    return CheckKind(CHECK_SPECS[name], evaluate)


def fingerprint(check_id: str, source_id: str, event: str, field: str) -> str:
    """The identity of an alert: (check, source, event, field)."""
    raw = f"{check_id}\x1f{source_id}\x1f{event}\x1f{field}"
    return hashlib.sha256(raw.encode()).hexdigest()[:40]
