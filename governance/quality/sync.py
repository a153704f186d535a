"""Which checks exist: the plan's ``checks:``/``expectations:`` and the defaults, as ``CheckRow``s.

For every source, from the plan version bound to it (latest or pinned):

1. **event level** — each entry of an event's ``checks:`` is a check of that event; an event with
   ``expectations:`` gets an ``expectations`` check (an explicit ``expectations`` entry in its
   ``checks:`` takes the suite as its default ``params.expectations``);
2. **plan level** — each entry of the plan's ``checks:`` fans out to every planned event (or, with
   ``params.scope: source`` and for ``new_unplanned``, to the source as a whole: event ``""``)
   except events that declare the same kind themselves;
3. **defaults** (``GOVERNANCE_DEFAULT_CHECKS``) — ``volume``, ``silence`` and ``violation_rate``
   for every planned event, ``new_unplanned`` for every source, unless the plan or the event
   declares that kind.

``params: {enabled: false}`` declares a kind (so it replaces the levels below) without making a
check: the way to turn a default off for one event or one plan. Rows from the plan and the
defaults have stable ids; the REST API may only switch them on and off (``enabled`` survives
the next sync). Checks whose source is gone are deleted with their states.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlmodel import Session, select

from governance.plan.check_spec import entry_problems, with_suite
from governance.plan.model import CheckSpec, Plan
from governance.quality.checks import CHECK_KINDS, DEFAULT_KINDS, SOURCE_DEFAULT_KINDS, SourceInfo
from governance.quality.tables import CheckRow, delete_checks
from governance.registry.tables import PlanRow, PlanVersionRow, SourceRow

log = logging.getLogger("governance.quality")
_PLANS: dict[str, Plan] = {}  # content hash -> parsed plan (versions are immutable)


@dataclass(frozen=True)
class Desired:
    """A check the plan or the defaults ask for."""

    origin: str
    kind: str
    event: str
    params: dict[str, Any] = field(default_factory=dict)
    severity: str = "warning"
    for_: int | None = None
    keep_firing_for: int | None = None
    index: int = 0

    def id_for(self, source_id: str) -> str:
        raw = f"{self.origin}|{source_id}|{self.kind}|{self.event}|{self.index}"
        return "chk_" + hashlib.sha256(raw.encode()).hexdigest()[:16]


def load_sources(session: Session) -> dict[str, SourceInfo]:
    """Every source with the plan version bound to it."""
    plans = {p.id: p for p in session.exec(select(PlanRow)).all()}
    out: dict[str, SourceInfo] = {}
    for row in session.exec(select(SourceRow)).all():
        info = SourceInfo(row.id, row.name)
        plan_row = plans.get(row.plan_id) if row.plan_id else None
        if plan_row is not None and plan_row.deleted_at is None and plan_row.latest_version:
            number = row.plan_version or plan_row.latest_version
            version = session.exec(select(PlanVersionRow).where(
                PlanVersionRow.plan_id == plan_row.id, PlanVersionRow.version == number)).first()
            if version is not None:
                if version.content_hash not in _PLANS:
                    _PLANS[version.content_hash] = Plan.model_validate(orjson.loads(version.body))
                info.plan, info.plan_version = _PLANS[version.content_hash], number
        out[row.id] = info
    return out


def _from_spec(origin: str, spec: CheckSpec, event: str, index: int) -> Desired:
    severity = spec.severity or _default_severity(spec.kind)
    return Desired(origin, spec.kind, event, dict(spec.params), severity, spec.for_, spec.keep_firing_for, index)


def _default_severity(kind: str) -> str:
    known = CHECK_KINDS.get(kind)
    return known.default_severity if known is not None else "warning"


def _default(kind: str, event: str) -> Desired:
    return Desired("default", kind, event, severity=_default_severity(kind))


def _valid(entry: CheckSpec, *, plan_level: bool, suite: list[dict[str, Any]] | None = None) -> bool:
    """Whether a stored plan's check entry is valid today (publish refuses invalid ones; a version
    published before that may hold one). An invalid entry is skipped, so it never replaces the
    working default of its kind."""
    params = with_suite(entry.kind, entry.params, suite or [])
    problems = list(entry_problems(entry.kind, params, (), plan_level=plan_level))
    if problems and entry.kind in CHECK_KINDS:
        log.warning("plan check %s skipped: %s", entry.kind, "; ".join(f"{'.'.join(map(str, loc))}: {m}"
                                                                      for loc, m in problems))
    return not problems and entry.kind in CHECK_KINDS


def _enabled(params: dict[str, Any]) -> bool:
    return params.get("enabled", True) is not False


def desired_checks(plan: Plan | None, *, defaults: bool) -> list[Desired]:
    """The plan-declared and default checks of a source bound to ``plan``."""
    out: list[Desired] = []
    events = plan.events if plan is not None else {}
    plan_specs = [(n, e) for n, e in enumerate(plan.checks if plan is not None else []) if _valid(e, plan_level=True)]
    plan_kinds = {e.kind for _, e in plan_specs}
    for name, spec in events.items():
        counts: dict[str, int] = {}
        for entry in spec.checks:
            if not _valid(entry, plan_level=False, suite=spec.expectations):
                continue
            n = counts[entry.kind] = counts.get(entry.kind, -1) + 1
            desired = _from_spec("plan", entry, name, n)
            if entry.kind == "expectations" and spec.expectations and "expectations" not in desired.params:
                desired.params["expectations"] = list(spec.expectations)
            out.append(desired)
        own = set(counts)
        if spec.expectations and "expectations" not in own:
            out.append(Desired("plan", "expectations", name, {"expectations": list(spec.expectations)}))
            own.add("expectations")
        for n, entry in plan_specs:
            kind = CHECK_KINDS.get(entry.kind)
            scope = entry.params.get("scope") or (kind.scope if kind else "event")
            if scope == "event" and entry.kind not in own:
                out.append(_from_spec("plan", entry, name, n))
        if defaults:
            out += [_default(k, name) for k in DEFAULT_KINDS if k not in own and k not in plan_kinds]
    for n, entry in plan_specs:
        kind = CHECK_KINDS.get(entry.kind)
        if (entry.params.get("scope") or (kind.scope if kind else "event")) == "source":
            out.append(_from_spec("plan", entry, "", n))
    if defaults:
        out += [_default(k, "") for k in SOURCE_DEFAULT_KINDS if k not in plan_kinds]
    return [d for d in out if _enabled(d.params)]


def sync_checks(session: Session, *, defaults: bool, now: datetime) -> list[str]:
    """Make the plan and default ``CheckRow``s match the plans; returns the ids deleted."""
    sources = load_sources(session)
    wanted: dict[str, tuple[str, Desired]] = {}
    for source in sources.values():
        for desired in desired_checks(source.plan, defaults=defaults):
            wanted[desired.id_for(source.id)] = (source.id, desired)
    rows = session.exec(select(CheckRow)).all()
    existing = {r.id: r for r in rows if r.origin in ("plan", "default")}
    gone = [r.id for r in rows if r.id not in wanted and (r.origin != "api" or r.source_id not in sources)]
    for check_id, (source_id, d) in wanted.items():
        params = orjson.dumps({k: v for k, v in d.params.items() if k != "enabled"}).decode()
        row = existing.get(check_id)
        if row is None:
            session.add(CheckRow(id=check_id, kind=d.kind, source_id=source_id, event=d.event, params=params,
                                 severity=d.severity, for_evaluations=d.for_, keep_firing_for=d.keep_firing_for,
                                 origin=d.origin, created_at=now, updated_at=now))
        elif (row.params, row.severity, row.for_evaluations, row.keep_firing_for) != (
                params, d.severity, d.for_, d.keep_firing_for):
            row.params, row.severity, row.for_evaluations = params, d.severity, d.for_
            row.keep_firing_for, row.updated_at = d.keep_firing_for, now
            session.add(row)
    if gone:
        delete_checks(session, gone)
    return gone
