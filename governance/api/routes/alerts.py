"""REST: alerts (list, get, acknowledge, snooze) and the daily digest settings.

Channels and routing rules are in ``routes/channels.py``. Acknowledging stops the repeats of an
alert; snoozing silences all its notifications until a time; both are kept in its history.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import orjson
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlmodel import col, select

from governance.alerts import digest, lifecycle, silences
from governance.alerts.muting import ids_of
from governance.alerts.tables import AlertRouteRow, AlertRow, NotificationRow, SilenceRow
from governance.api.deps import Editor, EngineDep, PageDep, Viewer
from governance.api.schemas import ListOf, RequestModel
from governance.db import read_session, write_session
from governance.registry.sources import get_source

router = APIRouter(prefix="/api/v1", tags=["alerts"])


class AlertPublic(BaseModel):
    id: int
    fingerprint: str
    status: str
    severity: str
    title: str
    summary: str
    check_id: str
    check_kind: str
    source_id: str
    source: str
    event: str
    field: str
    owner: str | None
    labels: dict[str, str]
    details: dict[str, Any]
    started_at: datetime
    last_firing_at: datetime
    resolved_at: datetime | None
    acked_at: datetime | None
    acked_by: str | None
    snoozed_until: datetime | None
    snoozed_by: str | None
    since: datetime = Field(description="The estimated onset (else when it fired)")
    silenced_by: list[dict[str, Any]] = Field(default_factory=list, description="Silences muting it: id, comment")
    inhibited_by: list[int] = Field(default_factory=list, description="Firing alerts inhibiting it")
    correlated_with: int | None = Field(None, description="The alert of the same root it was notified with")
    history: list[dict[str, Any]] | None = None
    notifications: list[dict[str, Any]] | None = None

    @classmethod
    def of(cls, row: AlertRow) -> AlertPublic:
        return cls(id=row.id or 0, fingerprint=row.fingerprint, status=row.status, severity=row.severity,
                   title=row.title, summary=row.summary, check_id=row.check_id, check_kind=row.check_kind,
                   source_id=row.source_id, source=row.source_name, event=row.event, field=row.field,
                   owner=row.owner, labels=orjson.loads(row.labels), details=orjson.loads(row.details),
                   started_at=row.started_at, last_firing_at=row.last_firing_at, resolved_at=row.resolved_at,
                   acked_at=row.acked_at, acked_by=row.acked_by, snoozed_until=row.snoozed_until,
                   snoozed_by=row.snoozed_by, since=row.onset_at or row.started_at,
                   silenced_by=[{"id": i} for i in ids_of(row.silenced_by)], inhibited_by=ids_of(row.inhibited_by),
                   correlated_with=row.root_id)


class AckRequest(RequestModel):
    model_config = ConfigDict(extra="forbid")
    comment: str | None = Field(None, max_length=1000)


class SnoozeRequest(RequestModel):
    model_config = ConfigDict(extra="forbid")
    until: datetime | None = Field(None, description="End of the snooze (give this or minutes)")
    minutes: int | None = Field(None, ge=1, le=60 * 24 * 90, description="Snooze length from now")
    comment: str | None = Field(None, max_length=1000)

    @model_validator(mode="after")
    def _one(self) -> SnoozeRequest:
        if (self.until is None) == (self.minutes is None):
            raise ValueError("give either 'until' or 'minutes'")
        return self


class DigestSettings(RequestModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = False
    hour: int = Field(8, ge=0, le=23, description="UTC hour the digest is sent at")
    recipients: list[str] = Field(default_factory=list, description="Email addresses")


def _now() -> datetime:
    return datetime.now(UTC)


@router.get("/alerts", response_model=ListOf[AlertPublic], summary="Alerts, newest first")
def list_alerts(engine: EngineDep, _actor: Viewer, page: PageDep, status: Literal["firing", "resolved"] | None = None,
                source: str | None = None, check_kind: str | None = None, check_id: str | None = None,
                event: str | None = None, acked: bool | None = None) -> ListOf[AlertPublic]:
    with read_session(engine) as session:
        source_id = get_source(session, source).id if source else None
        rows, count = lifecycle.list_alerts(session, status=status, source_id=source_id, check_kind=check_kind,
                                            check_id=check_id, event=event, acked=acked, limit=page.limit,
                                            offset=page.offset)
        return ListOf[AlertPublic](data=[AlertPublic.of(r) for r in rows], count=count)


@router.get("/alerts/{alert_id}", response_model=AlertPublic, summary="One alert, with its history and notifications")
def get_alert(alert_id: int, engine: EngineDep, _actor: Viewer) -> AlertPublic:
    with read_session(engine) as session:
        out = AlertPublic.of(lifecycle.get_alert(session, alert_id))
        now = _now()
        for entry in out.silenced_by:  # what the console shows: "silenced by <comment> until <end>"
            row = session.get(SilenceRow, entry["id"])
            if row is not None:
                st = silences.status(row, now)
                entry.update(comment=row.comment, state=st.state, ends_at=st.current.end if st.current else row.ends_at)
        out.history = [{"at": h.at, "action": h.action, "actor": h.actor, "details": orjson.loads(h.details)}
                       for h in lifecycle.history_of(session, alert_id)]
        routes = session.exec(select(AlertRouteRow).where(AlertRouteRow.alert_id == alert_id)).all()
        sent = session.exec(select(NotificationRow).where(col(NotificationRow.alert_ids).contains(str(alert_id)))
                            .order_by(col(NotificationRow.id))).all()
        out.notifications = [
            {"id": n.id, "channel_id": n.channel_id, "status": n.status, "state": n.state, "attempts": n.attempts,
             "last_error": n.last_error, "created_at": n.created_at, "sent_at": n.sent_at}
            for n in sent if alert_id in orjson.loads(n.alert_ids)
        ] + [{"channel_id": r.channel_id, "route": True, "recipient": r.recipient, "notified": r.notified_status}
             for r in routes]
        return out


@router.post("/alerts/{alert_id}/ack", response_model=AlertPublic, summary="Acknowledge: no more repeats")
def ack(alert_id: int, engine: EngineDep, actor: Editor, body: AckRequest | None = None) -> AlertPublic:
    with write_session(engine) as session:
        row = lifecycle.ack(session, alert_id, actor=actor.name, now=_now(), comment=body.comment if body else None)
        return AlertPublic.of(row)


@router.delete("/alerts/{alert_id}/ack", response_model=AlertPublic, summary="Withdraw an acknowledgement")
def unack(alert_id: int, engine: EngineDep, actor: Editor) -> AlertPublic:
    with write_session(engine) as session:
        return AlertPublic.of(lifecycle.unack(session, alert_id, actor=actor.name, now=_now()))


@router.post("/alerts/{alert_id}/snooze", response_model=AlertPublic, summary="Silence an alert until a time")
def snooze(alert_id: int, body: SnoozeRequest, engine: EngineDep, actor: Editor) -> AlertPublic:
    now = _now()
    until = body.until if body.until is not None else now + timedelta(minutes=body.minutes or 0)
    until = until if until.tzinfo else until.replace(tzinfo=UTC)
    with write_session(engine) as session:
        row = lifecycle.snooze(session, alert_id, until=until, actor=actor.name, now=now, comment=body.comment)
        return AlertPublic.of(row)


@router.delete("/alerts/{alert_id}/snooze", response_model=AlertPublic, summary="End a snooze")
def unsnooze(alert_id: int, engine: EngineDep, actor: Editor) -> AlertPublic:
    with write_session(engine) as session:
        return AlertPublic.of(lifecycle.unsnooze(session, alert_id, actor=actor.name, now=_now()))


# -- digest ------------------------------------------------------------------------------------


def _digest_public(row: Any) -> DigestSettings:
    return DigestSettings(enabled=row.enabled, hour=row.hour, recipients=digest.recipients(row))


@router.get("/digest", response_model=DigestSettings, summary="Daily digest settings")
def get_digest(request: Request, engine: EngineDep, _actor: Viewer) -> DigestSettings:
    with read_session(engine) as session:
        return _digest_public(digest.get_digest_settings(session, request.app.state.settings))


@router.put("/digest", response_model=DigestSettings, summary="Change the daily digest settings")
def put_digest(body: DigestSettings, engine: EngineDep, actor: Editor) -> DigestSettings:
    with write_session(engine) as session:
        row = digest.put_digest_settings(session, enabled=body.enabled, hour=body.hour, recipients=body.recipients,
                                         actor=actor.name, now=_now())
        return _digest_public(row)


@router.get("/digest/preview", summary="What the digest would say now (same numbers as /sources/{id}/violations)")
def preview_digest(engine: EngineDep, _actor: Viewer) -> dict[str, Any]:
    return digest.build_digest(engine)


@router.post("/digest/send", summary="Send the digest now to its recipients (or to ?to=)")
def send_digest(request: Request, engine: EngineDep, _actor: Editor, to: str | None = None) -> dict[str, Any]:
    settings = request.app.state.settings
    with read_session(engine) as session:
        recipients = [to] if to else digest.recipients(digest.get_digest_settings(session, settings))
    return digest.send_digest(engine, settings, recipients)
