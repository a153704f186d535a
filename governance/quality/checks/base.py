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

from governance.plan.check_spec import CHECK_SPECS, RESERVED_PARAMS, KindSpec, Params, Scope, Severity
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
    """A registered check kind (see ``CHECK_KINDS``): what the plan knows of it, and its evaluation.

    A plug-in builds one like this; its ``spec`` is what ``plan/check_spec.py`` validates a
    declared check against (the plan finds plug-in specs through the same entry point).
    """

    name: str
    summary: str
    params: type[Params]
    evaluate: Callable[[CheckContext], list[Observation]]
    default_for: int = 3
    default_keep_firing_for: int = 2
    scope: Scope = "event"  # what a plan-level declaration fans out to
    needs_event: bool = False  # False: event "" (the whole source) is allowed
    whole_source: bool = False  # only event "" (the whole source)
    default_severity: Severity = "warning"
    fast: bool = False  # evaluated at the scheduler's fast cadence

    @property
    def spec(self) -> KindSpec:
        return KindSpec(self.name, self.summary, self.params, scope=self.scope, needs_event=self.needs_event,
                        whole_source=self.whole_source,
                        default_for=self.default_for, default_keep_firing_for=self.default_keep_firing_for,
                        default_severity=self.default_severity, fast=self.fast)

    def parse(self, params: dict[str, Any]) -> Params:
        """Validated params (``ValidationError`` on a bad value)."""
        return self.params.model_validate({k: v for k, v in params.items() if k not in RESERVED_PARAMS})


def kind(name: str, evaluate: Callable[[CheckContext], list[Observation]]) -> CheckKind:
    """The ``CheckKind`` of the built-in spec ``name`` (``plan/check_spec.py``) with its ``evaluate``."""
    spec = CHECK_SPECS[name]
    return CheckKind(spec.name, spec.summary, spec.params, evaluate, default_for=spec.default_for,
                     default_keep_firing_for=spec.default_keep_firing_for, scope=spec.scope,
                     needs_event=spec.needs_event, whole_source=spec.whole_source,
                     default_severity=spec.default_severity, fast=spec.fast)


def fingerprint(check_id: str, source_id: str, event: str, field: str) -> str:
    """The identity of an alert: (check, source, event, field)."""
    raw = f"{check_id}\x1f{source_id}\x1f{event}\x1f{field}"
    return hashlib.sha256(raw.encode()).hexdigest()[:40]
