"""Offline validation for a user's CI: judge a JSONL file of events with the proxy's own code.

Streaming: one line at a time, constant memory (counts per event and at most
``max_violations`` violations kept for the report).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from governance.plan.compile import compile_validators
from governance.plan.model import Plan
from governance.proxy.counters import QUARANTINED, Outcome
from governance.proxy.pipeline import SourceState, judge
from governance.proxy.spec import now_iso
from governance.registry.source_settings import STRICT, SourceSettings


@dataclass
class Report:
    events: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    by_event: dict[str, Counter[str]] = field(default_factory=dict)
    violation_types: Counter[str] = field(default_factory=Counter)
    violations: list[dict[str, Any]] = field(default_factory=list)
    violation_count: int = 0
    invalid_lines: int = 0

    @property
    def blocked(self) -> int:
        return sum(self.outcomes[o] for o in QUARANTINED)

    def to_dict(self) -> dict[str, Any]:
        return {
            "events": self.events, "blocked": self.blocked, "outcomes": _plain(self.outcomes),
            "by_event": {k: _plain(v) for k, v in sorted(self.by_event.items())},
            "violation_types": dict(self.violation_types), "violation_count": self.violation_count,
            "violations": self.violations, "violations_truncated": self.violation_count > len(self.violations),
            "invalid_lines": self.invalid_lines,
        }


def _plain(counts: Counter[str]) -> dict[str, int]:
    """Counts keyed by plain strings (an ``Outcome`` key would not serialise everywhere)."""
    return {str(k): v for k, v in counts.items()}


def state_for(plan: Plan, settings: SourceSettings | None = None) -> SourceState:
    from governance.plan.names import NameIndex

    return SourceState(id="offline", name="offline", mode="enforce", settings=settings or STRICT,
                       compiled=compile_validators(plan), plan_name=plan.name, plan_version=None,
                       names=NameIndex(sorted(plan.events)))


def read_lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    for number, line in enumerate(stream, start=1):
        line = line.strip()
        if line:
            yield number, line


def validate_stream(lines: Iterable[tuple[int, bytes]], state: SourceState, *, max_violations: int = 1000,
                    max_depth: int = 32, on_event: Callable[[], None] | None = None) -> Report:
    report = Report()
    received_at = now_iso()
    for number, line in lines:
        report.events += 1
        try:
            message = orjson.loads(line)
        except orjson.JSONDecodeError:
            report.invalid_lines += 1
            report.outcomes[Outcome.REJECTED] += 1
            _keep(report, max_violations, {"line": number, "type": "invalid_json", "field": "",
                                           "message": "Invalid JSON"})
            continue
        verdict = judge(message, state, kind=None, received_at=received_at, max_depth=max_depth, salt=b"offline")
        report.outcomes[verdict.outcome] += 1
        name = verdict.event or verdict.kind or "?"
        report.by_event.setdefault(name, Counter())[verdict.outcome] += 1
        if verdict.error is not None:
            _keep(report, max_violations, {"line": number, "messageId": verdict.message_id, "event": name,
                                           "type": verdict.error.code, "field": "",
                                           "message": verdict.error.message})
        for violation in verdict.violations:
            report.violation_types[violation.type] += 1
            _keep(report, max_violations, {"line": number, "messageId": verdict.message_id, "event": name,
                                           "outcome": verdict.outcome, **violation.to_dict()})
        if on_event is not None:
            on_event()
    return report


def _keep(report: Report, limit: int, item: dict[str, Any]) -> None:
    report.violation_count += 1
    if len(report.violations) < limit:
        report.violations.append(item)
