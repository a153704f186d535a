"""One check cycle: ``run_cycle(engine, settings, now)`` — a plain function of an injected time.

The APScheduler job calls it with the real clock; tests call it with synthetic times over
synthetic counters. A cycle (1) syncs the plan and default checks, (2) evaluates every enabled
check, reading only, (3) in one write transaction updates each fingerprint's ``Hysteresis``
(``for`` / ``keep_firing_for`` in evaluations, as Prometheus) and records one run per check. What
that means for alerts comes back as ``Transitions`` (see ``transitions``): the cycle never touches
an alert itself. A manual run ("run now") evaluates and records, and leaves the hysteresis alone.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from governance.clock import as_utc
from governance.db import read_session, write_session
from governance.quality.checks import CHECK_KINDS, CheckContext, Observation, SourceInfo, fingerprint
from governance.quality.detect import Finding, Hysteresis, State
from governance.quality.queries import SourceData
from governance.quality.sync import load_sources, sync_checks
from governance.quality.tables import CheckRow, CheckRunRow, CheckStateRow
from governance.quality.transitions import AlertInput, HandOff, Step, Transition, Transitions
from governance.settings import Settings

log = logging.getLogger("governance.quality")
ERROR_FIELD = "!check_error"  # the field of a check's own error fingerprint (never a property path)
ERROR_FOR, ERROR_KEEP = 1, 1  # a run-time error alerts at once; one clean run in between does not resolve it
TITLES = {"volume_drop": "Volume drop", "volume_spike": "Volume spike", "silence": "Silence",
          "source_drop": "Source drop",
          "violation_rate": "High violation rate", "drift": "Drift", "expectations": "Expectations failed"}


@dataclass
class CheckResult:
    check: CheckRow
    observations: list[Observation]
    duration_ms: float
    error: str | None = None


@dataclass
class CycleReport:
    now: datetime
    checks: int = 0
    errors: int = 0
    fired: list[str] = field(default_factory=list)  # fingerprints that started firing
    resolved: list[str] = field(default_factory=list)
    firing: int = 0
    transitions: Transitions | None = None  # what the cycle means for alerts (see ``transitions``)


def _dumps(value: Any) -> str:
    return orjson.dumps(value, default=str, option=orjson.OPT_SERIALIZE_NUMPY).decode()


def run_cycle(engine: Engine, settings: Settings, now: datetime, *, check_ids: list[str] | None = None,
              trigger: str = "schedule", hand_off: HandOff | None = None,
              fast: bool | None = None) -> CycleReport:
    """Evaluate the checks at ``now`` (all enabled ones, or ``check_ids``; ``fast``: only the kinds of
    that cadence) and apply the results.

    The report carries the cycle's ``transitions``; ``hand_off(session, transitions)`` is also
    called at the end of each write transaction with that transaction's share, inside it.
    """
    now = as_utc(now)
    transitions = Transitions(now=now)
    if trigger == "schedule":
        with write_session(engine) as session:
            gone = sync_checks(session, defaults=settings.default_checks, now=now)
            disabled = list(session.exec(select(CheckRow.id).where(col(CheckRow.enabled).is_(False))).all())
            retired = Transitions(now=now, retired=gone + disabled)
            if retired.retired and hand_off is not None:
                hand_off(session, retired)
            transitions.extend(retired)
    with read_session(engine) as session:
        sources = load_sources(session)
        query = select(CheckRow)
        query = query.where(col(CheckRow.id).in_(check_ids)) if check_ids is not None else \
            query.where(col(CheckRow.enabled).is_(True))
        checks = list(session.exec(query.order_by(col(CheckRow.source_id), col(CheckRow.id))).all())
        if fast is not None:
            checks = [c for c in checks if _is_fast(c.kind) is fast]
        ids = [c.id for c in checks]
        states = list(session.exec(select(CheckStateRow).where(col(CheckStateRow.check_id).in_(ids))).all())
    data: dict[str, SourceData] = {}
    results = [evaluate(engine, check, sources.get(check.source_id), data, now, reuse=fast is True)
               for check in checks]  # a fast cycle reuses the complete hours of the hour's last cycle
    report = CycleReport(now, checks=len(results), transitions=transitions)
    by_check: dict[str, dict[str, CheckStateRow]] = {}
    for state in states:
        by_check.setdefault(state.check_id, {})[state.fingerprint] = state
    with write_session(engine) as session:
        stepped = Transitions(now=now)
        for result in results:
            source = sources.get(result.check.source_id) or SourceInfo(result.check.source_id, "?")
            apply(session, result, source, by_check.get(result.check.id, {}), now, trigger, report, stepped)
        if stepped.steps and hand_off is not None:
            hand_off(session, stepped)
        transitions.extend(stepped)
    return report


def _is_fast(kind_name: str) -> bool:
    kind = CHECK_KINDS.get(kind_name)
    return kind is not None and kind.fast


def evaluate(engine: Engine, check: CheckRow, source: SourceInfo | None, data: dict[str, SourceData],
             now: datetime, *, reuse: bool = False) -> CheckResult:
    """Run one check's ``evaluate``; an exception becomes the run's error, never the cycle's."""
    started = time.perf_counter()
    try:
        kind = CHECK_KINDS.get(check.kind)
        if kind is None:
            raise ValueError(f"unknown check kind {check.kind!r}; known kinds: {sorted(CHECK_KINDS)}")
        if source is None:
            raise ValueError(f"source {check.source_id!r} no longer exists")
        if kind.needs_event and not check.event:
            raise ValueError(f"a {kind.name} check needs an event")
        params = kind.parse(orjson.loads(check.params))
        source_data = data.setdefault(source.id, SourceData(engine, source.id, now, reuse=reuse))
        observations = kind.evaluate(CheckContext(now, check, params, source, source_data))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return CheckResult(check, [], _ms(started), f"invalid params: {problems}")
    except Exception as exc:
        log.warning("check %s (%s) failed: %s", check.id, check.kind, exc)
        return CheckResult(check, [], _ms(started), f"{type(exc).__name__}: {exc}")
    return CheckResult(check, observations, _ms(started))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def apply(session: Session, result: CheckResult, source: SourceInfo, states: dict[str, CheckStateRow],
          now: datetime, trigger: str, report: CycleReport, transitions: Transitions) -> CheckRunRow:
    """Update hysteresis (scheduled runs only), noting its ``transitions``, and record the run."""
    check = result.check
    kind = CHECK_KINDS.get(check.kind)
    judged: dict[str, Observation] = {}
    for obs in result.observations:
        judged[fingerprint(check.id, check.source_id, obs.event, obs.field)] = obs
    entries: list[dict[str, Any]] = []
    seen_states: set[State] = set()
    error_fp = fingerprint(check.id, check.source_id, check.event, ERROR_FIELD)
    if trigger == "schedule":
        error_state = states.pop(error_fp, None)
        if result.error is not None or error_state is not None:
            _error_step(session, result, source, error_fp, error_state, now, report, transitions)
    if trigger == "schedule" and result.error is None and kind is not None:
        for fp, state in states.items():
            judged.setdefault(fp, Observation(state.event, state.field))
        for_ = check.for_evaluations if check.for_evaluations is not None else kind.default_for
        keep = check.keep_firing_for if check.keep_firing_for is not None else kind.default_keep_firing_for
        for fp, obs in judged.items():
            after = _step(session, check, source, obs, fp, states.get(fp), for_, keep, now, report, transitions)
            seen_states.add(after)
            report.firing += after is State.FIRING
            if obs.finding is not None or after is not State.INACTIVE:
                entries.append(_entry(obs, after.value))
    else:
        entries = [_entry(obs, None) for obs in result.observations if obs.finding is not None]
    outcome = _outcome(result, seen_states, trigger)
    report.errors += outcome == "error"
    results = [obs.result for obs in result.observations if obs.result is not None]
    run = CheckRunRow(check_id=check.id, trigger=trigger, started_at=now,
                      finished_at=now + timedelta(milliseconds=result.duration_ms), duration_ms=result.duration_ms,
                      outcome=outcome, observations=_dumps(entries), error=result.error,
                      result=_dumps(results[0] if len(results) == 1 else results) if results else None)
    session.add(run)
    row = session.get(CheckRow, check.id)
    if row is not None:
        row.last_run_at, row.last_outcome = now, outcome
        if trigger == "manual":
            row.run_requested_at = None
        session.add(row)
    return run


def _entry(obs: Observation, state: str | None) -> dict[str, Any]:
    return {"event": obs.event, "field": obs.field, "condition": obs.finding is not None, "state": state,
            "finding": obs.finding.to_dict() if obs.finding is not None else None}


def _outcome(result: CheckResult, states: set[State], trigger: str) -> str:
    if result.error is not None:
        return "error"
    if any(obs.result and "skipped" in obs.result for obs in result.observations):
        return "skipped"
    # not enough history to judge: never "ok" (the run's result says what each fingerprint waits for)
    waiting = bool(result.observations) and all(o.result and "learning" in o.result for o in result.observations)
    if trigger != "schedule":
        return "holds" if any(obs.finding is not None for obs in result.observations) else \
            "learning" if waiting else "ok"
    for state, outcome in ((State.FIRING, "firing"), (State.RESOLVED, "resolved"), (State.PENDING, "pending")):
        if state in states:
            return outcome
    return "learning" if waiting else "ok"


def _step(session: Session, check: CheckRow, source: SourceInfo, obs: Observation, fp: str,
          state: CheckStateRow | None, for_: int, keep: int, now: datetime, report: CycleReport,
          transitions: Transitions) -> State:
    """One hysteresis step of one fingerprint; its consequence for the alert goes to ``transitions``."""
    h = Hysteresis.from_dict(orjson.loads(state.state)) if state is not None else Hysteresis(for_, keep)
    h.for_, h.keep_firing_for = for_, keep
    before = h.state
    after = h.update(obs.finding is not None)
    if after is State.FIRING:
        if obs.finding is not None:
            transitions.steps.append(Transition(step=Step.FIRED, fingerprint=fp,
                                                alert=alert_input(check, source, obs, fp)))
        else:
            transitions.steps.append(Transition(step=Step.KEPT, fingerprint=fp))
        if before is not State.FIRING:
            report.fired.append(fp)
    elif after is State.RESOLVED:
        transitions.steps.append(Transition(step=Step.RESOLVED, fingerprint=fp))
        report.resolved.append(fp)
    if after is State.INACTIVE:
        if state is not None:
            session.delete(state)
        return after
    row = state or CheckStateRow(fingerprint=fp, check_id=check.id, event=obs.event, field=obs.field, state="{}")
    row.state, row.updated_at = _dumps(h.to_dict()), now
    if obs.finding is not None:
        row.finding = _dumps(obs.finding.to_dict())
    session.add(row)
    return after


def _error_step(session: Session, result: CheckResult, source: SourceInfo, fp: str, state: CheckStateRow | None,
                now: datetime, report: CycleReport, transitions: Transitions) -> None:
    """A check that errors raises a ``check_error`` alert to its owner, through the same hysteresis and
    transitions as any finding; it resolves once the check runs cleanly again."""
    check = result.check
    finding = None
    if result.error is not None:
        what = f"{check.kind} check{' of ' + repr(check.event) if check.event else ''}"
        finding = Finding("check_error", f"the {what} failed: {result.error}", 1.0, 0.0, 1.0,
                          {"error": result.error, "kind": check.kind, "origin": check.origin})
    obs = Observation(check.event, ERROR_FIELD, finding)
    after = _step(session, check, source, obs, fp, state, ERROR_FOR, ERROR_KEEP, now, report, transitions)
    report.firing += after is State.FIRING


def alert_input(check: CheckRow, source: SourceInfo, obs: Observation, fp: str) -> AlertInput:
    """The alert a firing observation raises: title, owner and labels from the bound plan."""
    assert obs.finding is not None
    finding = obs.finding
    suggestion = finding.details.get("suggestion")
    if finding.kind == "check_error":
        subject = f"{check.kind} check{' of ' + repr(obs.event) if obs.event else ''}"
        return AlertInput(
            fingerprint=fp, check_id=check.id, check_kind="check_error", source_id=source.id,
            source_name=source.name, event=obs.event, field="", severity=check.severity,
            title=f"Check error: the {subject} on {source.name} cannot run", summary=finding.message,
            details=dict(finding.details), owner=source.owner_of(obs.event), labels=source.labels_of(obs.event),
        )
    if finding.kind == "unplanned_event":
        title = f"Unplanned event '{obs.event}' on {source.name}"
        about = suggestion or ""
    elif finding.kind == "unplanned_property":
        title = f"Unplanned property '{obs.field}' of '{obs.event}' on {source.name}"
        about = obs.event
    else:
        subject = obs.event or "all events"
        title = f"{TITLES.get(finding.kind, finding.kind)}: {subject}{' ' + obs.field if obs.field else ''} " \
                f"on {source.name}"
        about = obs.event
    details = {"observed": finding.observed, "expected": finding.expected, "score": round(finding.score, 3),
               **finding.details}
    return AlertInput(
        fingerprint=fp, check_id=check.id, check_kind=check.kind, source_id=source.id, source_name=source.name,
        event=obs.event, field=obs.field, severity=check.severity, title=title, summary=finding.message,
        details=details, owner=source.owner_of(about), labels=source.labels_of(about),
    )


def run_requested(engine: Engine, settings: Settings, now: datetime) -> CycleReport | None:
    """Run the checks someone asked to run now (``POST /checks/{id}/run``), if any."""
    with read_session(engine) as session:
        ids = list(session.exec(select(CheckRow.id).where(col(CheckRow.run_requested_at).is_not(None))).all())
    return run_cycle(engine, settings, now, check_ids=ids, trigger="manual") if ids else None
