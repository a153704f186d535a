"""REST: privacy regulations in Segment's vocabulary (``/api/v1/regulations``, admin only).

``POST`` suppresses, unsuppresses or deletes by user id and answers 201 with the regulation;
suppressions are in force on every web process within ``GOVERNANCE_PLAN_REFRESH_S`` of the answer,
deletions run in the worker. ``GET`` reports ``overallStatus`` and the receipt. Regulations carry
user ids, so every route needs the admin role.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from governance.api.deps import Admin, EngineDep, PageDep
from governance.api.schemas import ListOf, RequestModel
from governance.db import read_session
from governance.privacy.service import create_regulation
from governance.registry import regulations
from governance.registry.regulations import MAX_SUBJECTS, RegulationType, Status
from governance.registry.tables import RegulationRow

router = APIRouter(prefix="/api/v1/regulations", tags=["privacy"])


class RegulationCreate(RequestModel):
    """Segment's ``POST /regulations`` body, plus ``notify``."""

    regulationType: RegulationType = Field(description="SUPPRESS_ONLY, SUPPRESS_WITH_DELETE, DELETE_ONLY or "
                                                       "UNSUPPRESS")
    subjectType: Literal["USER_ID"] = Field("USER_ID", description="What subjectIds are (user or anonymous ids)")
    subjectIds: list[Annotated[str, Field(min_length=1, max_length=regulations.MAX_SUBJECT_LENGTH)]] = Field(
        min_length=1, max_length=MAX_SUBJECTS, description="The ids to match on userId, anonymousId and previousId")
    sourceIds: list[str] | None = Field(None, min_length=1, description="Source ids or names; left out: every source")
    notify: list[str] = Field(default_factory=list, description="Webhook channels (ids or names) that receive a "
                                                                "signed regulation.created")


class RegulationPublic(BaseModel):
    id: str
    regulationType: str
    subjectType: str
    subjectIds: list[str]
    sourceIds: list[str] | None = Field(description="null: every source")
    notify: list[str] = Field(description="Channel ids notified with regulation.created")
    overallStatus: Status
    receipt: dict[str, Any] = Field(description="steps (what was done, when) and deleted (rows per store)")
    actor: str
    createdAt: datetime
    startedAt: datetime | None
    finishedAt: datetime | None
    error: str | None

    @classmethod
    def of(cls, row: RegulationRow) -> RegulationPublic:
        return cls(id=row.id, regulationType=row.regulation_type, subjectType=row.subject_type,
                   subjectIds=orjson.loads(row.subject_ids),
                   sourceIds=orjson.loads(row.source_ids) if row.source_ids else None,
                   notify=orjson.loads(row.notify), overallStatus=Status(row.overall_status),
                   receipt=orjson.loads(row.receipt), actor=row.actor, createdAt=row.created_at,
                   startedAt=row.started_at, finishedAt=row.finished_at, error=row.error)


@router.post("", status_code=201, response_model=RegulationPublic,
             summary="Suppress, unsuppress or delete users' data (Segment's regulation types)")
def create(body: RegulationCreate, engine: EngineDep, actor: Admin) -> RegulationPublic:
    row = create_regulation(engine, regulation_type=body.regulationType, subject_ids=body.subjectIds,
                            source_refs=body.sourceIds, notify=body.notify, actor=actor.name)
    return RegulationPublic.of(row)


@router.get("", response_model=ListOf[RegulationPublic], summary="Regulations, newest first")
def list_all(engine: EngineDep, _actor: Admin, page: PageDep,
             status: Annotated[Status | None, Query(description="Only this overallStatus")] = None,
             ) -> ListOf[RegulationPublic]:
    with read_session(engine) as session:
        rows, count = regulations.list_regulations(session, limit=page.limit, offset=page.offset, status=status)
        return ListOf[RegulationPublic](data=[RegulationPublic.of(r) for r in rows], count=count)


@router.get("/{regulation_id}", response_model=RegulationPublic, summary="One regulation: status and receipt")
def get_one(regulation_id: str, engine: EngineDep, _actor: Admin) -> RegulationPublic:
    with read_session(engine) as session:
        return RegulationPublic.of(regulations.get(session, regulation_id))
