"""REST: data-quality checks (``/api/v1/checks``), their runs, and the scheduler's job runs.

Checks from the plan (``origin: plan``) and the defaults (``origin: default``) appear after the
worker's next cycle; over REST they may only be switched on and off. "Run now" asks the worker
(Great Expectations never loads in the web process): the run shows up in the run history
within ``GOVERNANCE_SCHEDULER_POLL_S``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session, col, func, select

from governance.api.deps import Editor, EngineDep, PageDep, Viewer
from governance.api.schemas import INT32_MAX, ListOf, RequestModel
from governance.db import read_session, write_session
from governance.errors import CheckNotFound, ManagedByPlan, NotFound, ValidationFailed
from governance.plan.check_spec import all_specs, parse_params, spec_of
from governance.quality.tables import CheckRow, CheckRunRow, CheckStateRow, delete_checks
from governance.registry.audit import record
from governance.registry.secrets import new_id
from governance.registry.sources import get_source
from governance.worker.tables import JobRunRow

router = APIRouter(prefix="/api/v1", tags=["checks"])
Severity = Literal["info", "warning", "critical"]




class CheckCreate(RequestModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    kind: str = Field(description="A registered check kind (GET /api/v1/checks/kinds)")
    source: str = Field(description="Source id or name")
    event: str = Field("", max_length=200, description='Event name; "" judges the whole source')
    params: dict[str, Any] = Field(default_factory=dict, description="The kind's parameters")
    severity: Severity = "warning"
    for_: int | None = Field(None, alias="for", ge=1, le=INT32_MAX,
                             description="Evaluations before firing (default: the kind's)")
    keep_firing_for: int | None = Field(None, ge=0, le=INT32_MAX, description="Clear evaluations before resolving")
    enabled: bool = True
    description: str | None = None


class CheckUpdate(RequestModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    event: str | None = Field(None, max_length=200)
    params: dict[str, Any] | None = None
    severity: Severity | None = None
    for_: int | None = Field(None, alias="for", ge=1, le=INT32_MAX)
    keep_firing_for: int | None = Field(None, ge=0, le=INT32_MAX)
    enabled: bool | None = None
    description: str | None = None


class CheckState(BaseModel):
    fingerprint: str
    event: str
    field: str
    state: dict[str, Any]
    finding: dict[str, Any] | None


class CheckPublic(BaseModel):
    id: str
    kind: str
    source_id: str
    event: str
    params: dict[str, Any]
    severity: str
    for_: int = Field(serialization_alias="for", description="Effective: the check's, else the kind's default")
    keep_firing_for: int
    enabled: bool
    origin: str
    description: str | None
    run_requested_at: datetime | None
    last_run_at: datetime | None
    last_outcome: str | None
    created_at: datetime
    updated_at: datetime
    states: list[CheckState] | None = None

    @classmethod
    def of(cls, row: CheckRow, states: list[CheckStateRow] | None = None) -> CheckPublic:
        kind = spec_of(row.kind)
        for_ = row.for_evaluations if row.for_evaluations is not None else (kind.default_for if kind else 1)
        keep = row.keep_firing_for if row.keep_firing_for is not None else (kind.default_keep_firing_for if kind else 0)
        return cls(
            id=row.id, kind=row.kind, source_id=row.source_id, event=row.event, params=orjson.loads(row.params),
            severity=row.severity, for_=for_, keep_firing_for=keep, enabled=row.enabled, origin=row.origin,
            description=row.description, run_requested_at=row.run_requested_at, last_run_at=row.last_run_at,
            last_outcome=row.last_outcome, created_at=row.created_at, updated_at=row.updated_at,
            states=None if states is None else [CheckState(
                fingerprint=s.fingerprint, event=s.event, field=s.field, state=orjson.loads(s.state),
                finding=orjson.loads(s.finding) if s.finding else None) for s in states],
        )


class CheckRunPublic(BaseModel):
    id: int
    check_id: str
    trigger: str
    started_at: datetime
    finished_at: datetime
    duration_ms: float
    outcome: str
    observations: list[dict[str, Any]]
    error: str | None
    result: Any = None

    @classmethod
    def of(cls, row: CheckRunRow, *, with_result: bool = False) -> CheckRunPublic:
        return cls(id=row.id or 0, check_id=row.check_id, trigger=row.trigger, started_at=row.started_at,
                   finished_at=row.finished_at, duration_ms=row.duration_ms, outcome=row.outcome,
                   observations=orjson.loads(row.observations), error=row.error,
                   result=orjson.loads(row.result) if with_result and row.result else None)


class JobRunPublic(BaseModel):
    job: str
    slot_time: datetime
    worker: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    error: str | None
    details: dict[str, Any]


def _now() -> datetime:
    return datetime.now(UTC)


def _get(session: Session, check_id: str) -> CheckRow:
    row = session.get(CheckRow, check_id)
    if row is None:
        raise CheckNotFound(f"check {check_id!r} not found")
    return row


def _validate(kind_name: str, event: str, params: dict[str, Any]) -> str:
    """Normalised params JSON, or 422 with the kind's complaint."""
    kind = spec_of(kind_name)
    if kind is None:
        raise ValidationFailed(f"kind: unknown check kind {kind_name!r}; known kinds: {sorted(all_specs())}",
                               details=[{"path": "kind"}])
    if kind.needs_event and not event:
        raise ValidationFailed(f"event: a {kind_name} check needs an event", details=[{"path": "event"}])
    if kind.whole_source and event:
        raise ValidationFailed(f'event: a {kind_name} check judges a whole source: give event ""',
                               details=[{"path": "event"}])
    try:
        parse_params(kind_name, params)
    except ValidationError as exc:
        details = [{"path": "params." + ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()]
        raise ValidationFailed(f"{details[0]['path']}: {details[0]['message']}", details=details) from None
    return orjson.dumps(params).decode()


@router.get("/checks/kinds", summary="The registered check kinds, with their parameters (JSON Schema)")
def kinds(_actor: Viewer) -> list[dict[str, Any]]:
    return [{"kind": k.name, "summary": k.summary, "scope": k.scope, "needs_event": k.needs_event,
             "default_for": k.default_for, "default_keep_firing_for": k.default_keep_firing_for,
             "params": k.params.model_json_schema()} for k in all_specs().values()]


@router.get("/checks", response_model=ListOf[CheckPublic], response_model_by_alias=True, summary="List checks")
def list_checks(engine: EngineDep, _actor: Viewer, page: PageDep, source: str | None = None, event: str | None = None,
                kind: str | None = None, origin: str | None = None) -> ListOf[CheckPublic]:
    with read_session(engine) as session:
        conditions: list[Any] = []
        if source:
            conditions.append(CheckRow.source_id == get_source(session, source).id)
        for column, value in ((CheckRow.event, event), (CheckRow.kind, kind), (CheckRow.origin, origin)):
            if value is not None:
                conditions.append(column == value)
        rows = session.exec(select(CheckRow).where(*conditions).order_by(col(CheckRow.source_id), col(CheckRow.event),
                            col(CheckRow.kind)).offset(page.offset).limit(page.limit)).all()
        count = session.exec(select(func.count()).select_from(CheckRow).where(*conditions)).one()
        return ListOf[CheckPublic](data=[CheckPublic.of(r) for r in rows], count=int(count))


@router.post("/checks", status_code=201, response_model=CheckPublic, response_model_by_alias=True,
             summary="Create a check")
def create_check(body: CheckCreate, engine: EngineDep, actor: Editor) -> CheckPublic:
    now = _now()
    with write_session(engine) as session:
        source = get_source(session, body.source)
        params = _validate(body.kind, body.event, body.params)
        row = CheckRow(id=new_id("chk"), kind=body.kind, source_id=source.id, event=body.event, params=params,
                       severity=body.severity, for_evaluations=body.for_, keep_firing_for=body.keep_firing_for,
                       enabled=body.enabled, origin="api", description=body.description, created_at=now,
                       updated_at=now)
        session.add(row)
        record(session, actor=actor.name, action="check.create", entity="check", entity_id=row.id,
               details={"kind": body.kind, "source_id": source.id, "event": body.event})
        return CheckPublic.of(row)


@router.get("/checks/{check_id}", response_model=CheckPublic, response_model_by_alias=True,
            summary="One check, with the hysteresis state of each of its fingerprints")
def get_check(check_id: str, engine: EngineDep, _actor: Viewer) -> CheckPublic:
    with read_session(engine) as session:
        row = _get(session, check_id)
        states = session.exec(select(CheckStateRow).where(CheckStateRow.check_id == row.id)).all()
        return CheckPublic.of(row, list(states))


@router.patch("/checks/{check_id}", response_model=CheckPublic, response_model_by_alias=True,
              summary="Change a check (plan and default checks: only 'enabled')")
def update_check(check_id: str, body: CheckUpdate, engine: EngineDep, actor: Editor) -> CheckPublic:
    fields = body.model_dump(exclude_unset=True)
    with write_session(engine) as session:
        row = _get(session, check_id)
        if row.origin != "api" and set(fields) - {"enabled"}:
            raise ManagedByPlan(f"check {check_id!r} comes from the {row.origin} checks: change the plan, or only "
                                "switch it on and off here")
        if "event" in fields or "params" in fields:
            event = row.event if fields.get("event") is None else fields["event"]
            params = orjson.loads(row.params) if fields.get("params") is None else fields["params"]
            row.params, row.event = _validate(row.kind, event, params), event
        for name, column in (("severity", "severity"), ("for_", "for_evaluations"),
                             ("keep_firing_for", "keep_firing_for"), ("enabled", "enabled"),
                             ("description", "description")):
            if name in fields and (fields[name] is not None or name in ("for_", "keep_firing_for", "description")):
                setattr(row, column, fields[name])  # for/keep_firing_for null: back to the kind's default
        row.updated_at = _now()
        session.add(row)
        record(session, actor=actor.name, action="check.update", entity="check", entity_id=row.id, details=fields)
        return CheckPublic.of(row)


@router.delete("/checks/{check_id}", status_code=204, summary="Delete a check made over REST")
def delete_check(check_id: str, engine: EngineDep, actor: Editor) -> Response:
    from governance.alerts.lifecycle import resolve_checks

    with write_session(engine) as session:
        row = _get(session, check_id)
        if row.origin != "api":
            raise ManagedByPlan(f"check {check_id!r} comes from the {row.origin} checks: remove it from the plan, "
                                "or disable it")
        resolve_checks(session, [row.id], _now(), "check deleted")
        delete_checks(session, [row.id])
        record(session, actor=actor.name, action="check.delete", entity="check", entity_id=row.id)
    return Response(status_code=204)


@router.post("/checks/{check_id}/run", status_code=202, summary="Ask the worker to run the check now")
def run_check(check_id: str, engine: EngineDep, actor: Editor) -> dict[str, Any]:
    now = _now()
    with write_session(engine) as session:
        row = _get(session, check_id)
        row.run_requested_at = now
        session.add(row)
        record(session, actor=actor.name, action="check.run", entity="check", entity_id=row.id)
    return {"check_id": check_id, "requested_at": now,
            "message": "the worker runs it shortly; see GET /api/v1/checks/{id}/runs"}


@router.get("/checks/{check_id}/runs", response_model=ListOf[CheckRunPublic], summary="Run history, newest first")
def list_runs(check_id: str, engine: EngineDep, _actor: Viewer, page: PageDep,
              trigger: Literal["schedule", "manual"] | None = None,
              results: Annotated[bool, Query(description="Each run with its stored result (a volume check's "
                                                         "observed count and expected band, a GX result)")] = False,
              ) -> ListOf[CheckRunPublic]:
    with read_session(engine) as session:
        _get(session, check_id)
        conditions: list[Any] = [CheckRunRow.check_id == check_id]
        if trigger:
            conditions.append(CheckRunRow.trigger == trigger)
        rows = session.exec(select(CheckRunRow).where(*conditions).order_by(col(CheckRunRow.id).desc())
                            .offset(page.offset).limit(page.limit)).all()
        count = session.exec(select(func.count()).select_from(CheckRunRow).where(*conditions)).one()
        return ListOf[CheckRunPublic](data=[CheckRunPublic.of(r, with_result=results) for r in rows], count=int(count))


@router.get("/checks/{check_id}/runs/{run_id}", response_model=CheckRunPublic,
            summary="One run, with its stored result (e.g. the Great Expectations result)")
def get_run(check_id: str, run_id: int, engine: EngineDep, _actor: Viewer) -> CheckRunPublic:
    with read_session(engine) as session:
        row = session.get(CheckRunRow, run_id)
        if row is None or row.check_id != check_id:
            raise NotFound(f"run {run_id} of check {check_id!r} not found")
        return CheckRunPublic.of(row, with_result=True)


@router.get("/scheduler/runs", response_model=ListOf[JobRunPublic], summary="Scheduler job runs, newest first")
def job_runs(engine: EngineDep, _actor: Viewer, page: PageDep, job: str | None = None) -> ListOf[JobRunPublic]:
    with read_session(engine) as session:
        conditions = [JobRunRow.job == job] if job else []
        rows = session.exec(select(JobRunRow).where(*conditions).order_by(col(JobRunRow.id).desc())
                            .offset(page.offset).limit(page.limit)).all()
        count = session.exec(select(func.count()).select_from(JobRunRow).where(*conditions)).one()
        data = [JobRunPublic(job=r.job, slot_time=r.slot_time, worker=r.worker, started_at=r.started_at,
                             finished_at=r.finished_at, outcome=r.outcome, error=r.error,
                             details=orjson.loads(r.details)) for r in rows]
        return ListOf[JobRunPublic](data=data, count=int(count))
