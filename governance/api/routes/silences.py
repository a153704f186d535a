"""REST: silences and maintenance windows (``/api/v1/silences``), as Alertmanager's silences.

Create one ahead of time with matchers and a time range, or a recurrence (an RFC 5545 RRULE with a
duration and a time zone); list them by state (``active``, ``pending``, ``expired``); expire one.
Creating and expiring need the editor role and are audited. See docs/alerts/silences.md.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from governance.alerts import silences
from governance.api.deps import Editor, EngineDep, PageDep, Viewer
from governance.api.schemas import ListOf, RequestModel
from governance.db import read_session, write_session
from governance.matchers import Matcher, parse_text

router = APIRouter(prefix="/api/v1", tags=["silences"])


class RecurrenceIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    rrule: str = Field(min_length=1, max_length=2000, description="RFC 5545 rule lines, e.g. FREQ=WEEKLY;BYDAY=SU "
                       "(RRULE, RDATE and EXDATE lines; DTSTART is starts_at)")
    duration_minutes: float = Field(gt=0, le=31 * 24 * 60, description="Length of each occurrence")
    timezone: str = Field("UTC", max_length=64, description="IANA zone the rule counts wall-clock time in")


class SilenceCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    matchers: list[Matcher] = Field(min_length=1, max_length=50, description='{"name", "op", "value"} objects, or '
                                    'text such as event=~"Order.*"')
    comment: str = Field(min_length=1, max_length=2000, description="Why (shown in the alerts it silences)")
    starts_at: datetime | None = Field(None, description="Start (default now); a recurrence's first occurrence")
    ends_at: datetime | None = Field(None, description="End of a one-off silence; end of a recurrence's series")
    duration_minutes: float | None = Field(None, gt=0, le=366 * 24 * 60, description="One-off: instead of ends_at")
    recurrence: RecurrenceIn | None = None

    @field_validator("matchers", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [parse_text(v) if isinstance(v, str) else v for v in value]
        return value

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


class Window(BaseModel):
    start: datetime
    end: datetime


class SilencePublic(BaseModel):
    id: str
    state: Literal["active", "pending", "expired"]
    matchers: list[Matcher]
    comment: str
    created_by: str
    starts_at: datetime
    ends_at: datetime | None
    recurrence: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    expired_at: datetime | None
    expired_by: str | None
    current: Window | None = Field(None, description="The window in force now (active)")
    next: Window | None = Field(None, description="The next window to start (pending, or a recurrence)")


def _now() -> datetime:
    return datetime.now(UTC)


@router.post("/silences", status_code=201, response_model=SilencePublic, summary="Create a silence")
def create_silence(body: SilenceCreate, engine: EngineDep, actor: Editor, response: Response) -> SilencePublic:
    now = _now()
    ends_at = body.ends_at
    if body.duration_minutes is not None and body.recurrence is None:
        ends_at = (body.starts_at or now) + timedelta(minutes=body.duration_minutes)
    recurrence = None
    if body.recurrence is not None:
        r = body.recurrence
        recurrence = silences.Recurrence(r.rrule, timedelta(minutes=r.duration_minutes), r.timezone)
    with write_session(engine) as session:
        row = silences.create(session, matchers=body.matchers, comment=body.comment, starts_at=body.starts_at,
                              ends_at=ends_at, recurrence=recurrence, actor=actor.name, now=now)
        response.headers["Location"] = f"/api/v1/silences/{row.id}"
        return SilencePublic.model_validate(silences.public(row, now))


@router.get("/silences", response_model=ListOf[SilencePublic], summary="Silences, newest first")
def list_silences(engine: EngineDep, _actor: Viewer, page: PageDep,
                  state: Literal["active", "pending", "expired"] | None = None) -> ListOf[SilencePublic]:
    now = _now()
    with read_session(engine) as session:
        rows, count = silences.list_silences(session, now=now, state=state, limit=page.limit, offset=page.offset)
        return ListOf[SilencePublic](data=[SilencePublic.model_validate(silences.public(r, now)) for r in rows],
                                     count=count)


@router.get("/silences/{silence_id}", response_model=SilencePublic, summary="One silence")
def get_silence(silence_id: str, engine: EngineDep, _actor: Viewer) -> SilencePublic:
    now = _now()
    with read_session(engine) as session:
        return SilencePublic.model_validate(silences.public(silences.get(session, silence_id), now))


@router.post("/silences/{silence_id}/expire", response_model=SilencePublic,
             summary="Expire a silence now (kept as history)")
def expire_silence(silence_id: str, engine: EngineDep, actor: Editor) -> SilencePublic:
    now = _now()
    with write_session(engine) as session:
        row = silences.expire(session, silence_id, actor=actor.name, now=now)
        return SilencePublic.model_validate(silences.public(row, now))
