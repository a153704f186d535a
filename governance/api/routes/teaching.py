"""REST: teaching the baselines. A fired alert marked expected (a campaign, a launch) leaves its
period out of the history the checks read (``governance.quality.teaching``).

    POST   /api/v1/alerts/{id}/expected    editor   mark the alert's period expected
    GET    /api/v1/expected-periods         viewer   the marked periods, newest first
    DELETE /api/v1/expected-periods/{id}    editor   forget one (its hours count again)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
from fastapi import APIRouter, Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from governance.alerts.tables import AlertHistoryRow, AlertRow
from governance.api.deps import Editor, EngineDep, PageDep, Viewer
from governance.api.schemas import ListOf, RequestModel
from governance.db import read_session, write_session
from governance.errors import AlertNotFound, ExpectedPeriodNotFound, ValidationFailed
from governance.quality.tables import ExpectedPeriodRow
from governance.quality.teaching import TEACHABLE, delete_period, list_periods, mark_expected
from governance.registry.sources import get_source

router = APIRouter(prefix="/api/v1", tags=["alerts"])
ONSET_MARGIN = timedelta(hours=1)  # the alert fires after its windows saw the change: the period starts before


class ExpectedRequest(RequestModel):
    note: str = Field("", max_length=1000, description="Why it was expected, e.g. 'spring campaign'")
    starts_at: datetime | None = Field(None, description="Start (default: an hour before the alert fired)")
    ends_at: datetime | None = Field(None, description="End (default: when the alert resolved; while it fires, "
                                     "until it resolves)")


class ExpectedPeriodPublic(BaseModel):
    id: int
    alert_id: int | None
    source_id: str
    event: str
    starts_at: datetime
    ends_at: datetime | None
    note: str
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, row: ExpectedPeriodRow) -> ExpectedPeriodPublic:
        return cls(id=row.id or 0, alert_id=row.alert_id, source_id=row.source_id, event=row.event,
                   starts_at=row.starts_at, ends_at=row.ends_at, note=row.note, created_by=row.created_by,
                   created_at=row.created_at)


def teach(engine: Engine, alert_id: int, body: ExpectedRequest, *, actor: str, now: datetime) -> ExpectedPeriodRow:
    """Mark ``alert_id`` expected (REST and CLI): the period, its alert's history entry, the audit record."""
    with write_session(engine) as session:
        alert = session.get(AlertRow, alert_id)
        if alert is None:
            raise AlertNotFound(f"alert {alert_id} not found")
        if alert.check_kind not in TEACHABLE:
            raise ValidationFailed(f"alert: a {alert.check_kind} alert does not judge against the history; only "
                                   f"{', '.join(TEACHABLE)} alerts can be marked expected",
                                   details=[{"path": "alert"}])
        starts = body.starts_at or alert.started_at - ONSET_MARGIN
        ends = body.ends_at if body.ends_at is not None else alert.resolved_at
        row = mark_expected(session, source_id=alert.source_id, event=alert.event,
                            starts_at=starts if starts.tzinfo else starts.replace(tzinfo=UTC),
                            ends_at=ends if ends is None or ends.tzinfo else ends.replace(tzinfo=UTC),
                            alert_id=alert_id, note=body.note, actor=actor, now=now)
        session.add(AlertHistoryRow(alert_id=alert_id, at=now, action="expected", actor=actor,
                                    details=orjson.dumps({"period": row.id, "note": body.note}).decode()))
        session.flush()
        session.expunge(row)
        return row


@router.post("/alerts/{alert_id}/expected", status_code=201, response_model=ExpectedPeriodPublic,
             summary="Mark an alert expected (a campaign): its period is left out of the baselines")
def mark(alert_id: int, engine: EngineDep, actor: Editor, body: ExpectedRequest | None = None) -> ExpectedPeriodPublic:
    row = teach(engine, alert_id, body or ExpectedRequest(), actor=actor.name, now=datetime.now(UTC))
    return ExpectedPeriodPublic.of(row)


@router.get("/expected-periods", response_model=ListOf[ExpectedPeriodPublic],
            summary="Periods marked expected, newest first")
def periods(engine: EngineDep, _actor: Viewer, page: PageDep, source: str | None = None,
            alert_id: int | None = None) -> ListOf[ExpectedPeriodPublic]:
    with read_session(engine) as session:
        source_id = get_source(session, source).id if source else None
        rows, count = list_periods(session, source_id=source_id, alert_id=alert_id, limit=page.limit,
                                   offset=page.offset)
        return ListOf[ExpectedPeriodPublic](data=[ExpectedPeriodPublic.of(r) for r in rows], count=count)


@router.delete("/expected-periods/{period_id}", status_code=204,
               summary="Forget an expected period: its hours count in the baselines again")
def forget(period_id: int, engine: EngineDep, actor: Editor) -> Response:
    with write_session(engine) as session:
        if not delete_period(session, period_id, actor=actor.name):
            raise ExpectedPeriodNotFound(f"expected period {period_id} not found")
    return Response(status_code=204)
