"""REST: the quarantine and the dead letter — browse with filters, replay, and the outcome of each replay.

A replay re-judges quarantined events with the source's current plan (``proxy.quarantine``); the
answer counts the outcomes and lists each replayed event's own (``results``), and an audit entry
records who replayed what. A dead letter is shown with the upstream's HTTP status and our reason
only, never the upstream's response body.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import Field
from sqlalchemy import select

from governance.api.deps import Editor, EngineDep, PageDep, Viewer
from governance.api.schemas import RequestModel
from governance.clock import as_utc
from governance.db import read_session, write_session
from governance.proxy.quarantine import (
    QuarantineFilter,
    list_dead_letter,
    list_quarantine,
    replay_dead_letter,
    replay_quarantine,
)
from governance.proxy.tables import QuarantineRow
from governance.registry.audit import record
from governance.registry.sources import get_source

router = APIRouter(prefix="/api/v1", tags=["observability"])
Since = Annotated[datetime | None, Query(description="Received (dead letter: dead-lettered) at or after this time")]
Until = Annotated[datetime | None, Query(description="... and before this time")]
MAX_IDS = 10_000
_UPSTREAM_BODY = re.compile(r"^HTTP (\d{3}):.*$", re.DOTALL)
_STATUS = re.compile(r"\bHTTP (\d{3})\b")


def _source_id(engine: Any, ref: str | None) -> str | None:
    if not ref:
        return None
    with read_session(engine) as session:
        return get_source(session, ref).id


def column_time(moment: datetime | None) -> datetime | None:
    """A time filter as the columns compare it: aware UTC (a time given without an offset is UTC)."""
    return None if moment is None else as_utc(moment)


def our_reason(reason: str | None) -> str | None:
    """A forward error in our words: an upstream's response body (older rows kept it) is cut off."""
    if reason is None:
        return None
    return _UPSTREAM_BODY.sub(r"upstream answered HTTP \1", reason)[:300]


def upstream_status(reason: str | None) -> int | None:
    found = _STATUS.search(reason or "")
    return int(found.group(1)) if found else None


@router.get("/quarantine", summary="Quarantined events (blocked, rejected, dropped), newest first")
def quarantine(engine: EngineDep, _actor: Viewer, page: PageDep, source: str | None = None,
               reason: str | None = None, event: str | None = None, since: Since = None, until: Until = None,
               include_replayed: Annotated[bool, Query(description="Also the events a replay forwarded")] = False,
               ) -> dict[str, Any]:
    """Each event has its ``violations``; ``replayed_at`` is set once a replay forwarded it, and
    ``replay_outcome`` says what the last replay did (``forwarded``, ``still_blocked:<reason>``, ...)."""
    flt = QuarantineFilter(source_id=_source_id(engine, source), reason=reason, event=event,
                           since=column_time(since), until=column_time(until),
                           include_replayed=include_replayed)
    data, count = list_quarantine(engine, flt, limit=page.limit, offset=page.offset)
    return {"data": data, "count": count}


class ReplayRequest(RequestModel):
    source: str | None = Field(None, description="Source id or name")
    reason: str | None = None
    event: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    ids: list[int] | None = Field(None, min_length=1, max_length=MAX_IDS, description="Only these events")
    limit: int = Field(1000, ge=1, le=MAX_IDS)


def _matching(engine: Any, flt: QuarantineFilter, limit: int) -> list[int]:
    """The ids a replay with this filter takes, oldest first (as the replay does)."""
    table = QuarantineRow.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return [r.id for r in conn.execute(flt.apply(select(table.c.id), table).order_by(table.c.id).limit(limit))]


def _outcomes(engine: Any, ids: list[int]) -> list[dict[str, Any]]:
    table = QuarantineRow.__table__  # type: ignore[attr-defined]
    query = select(table.c.id, table.c.event, table.c.replayed_at, table.c.replay_outcome).where(table.c.id.in_(ids))
    with engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(query)}
    return [{"id": i, "event": rows[i].event, "outcome": rows[i].replay_outcome or "no_source",
             "forwarded": rows[i].replayed_at is not None} for i in ids if i in rows]


@router.post("/quarantine/replay", summary="Re-judge quarantined events with the current plan; forward passes once")
def replay(body: ReplayRequest, request: Request, engine: EngineDep, actor: Editor) -> dict[str, Any]:
    """Counts (``matched``, ``forwarded``, ``still_blocked``, ``already_forwarded``, ``no_source``)
    and ``results``: each replayed event's id, event and outcome, oldest first."""
    runtime = request.app.state.proxy.runtime
    runtime.reload()
    settings = request.app.state.settings
    flt = QuarantineFilter(source_id=_source_id(engine, body.source), reason=body.reason, event=body.event,
                           since=column_time(body.since), until=column_time(body.until),
                           ids=body.ids)
    ids = _matching(engine, flt, body.limit)
    summary: dict[str, Any] = {"matched": 0, "forwarded": 0, "still_blocked": 0, "already_forwarded": 0,
                               "no_source": 0}
    if ids:
        flt.ids = ids
        summary = replay_quarantine(engine, runtime.by_id, flt, limit=body.limit,
                                    salt=settings.hash_salt.get_secret_value().encode(),
                                    max_depth=settings.max_json_depth,
                                    suppressions=runtime.suppressions.current)
    summary["results"] = _outcomes(engine, ids) if ids else []
    with write_session(engine) as session:
        record(session, actor=actor.name, action="quarantine.replay", entity="quarantine",
               entity_id=flt.source_id or "*", details={
                   "filter": body.model_dump(mode="json", exclude_none=True, exclude={"ids"}),
                   "ids": ids[:100], **{k: v for k, v in summary.items() if k != "results"}})
    return summary


@router.get("/dead-letter", summary="Events the upstream refused or never took, newest first")
def dead_letter(engine: EngineDep, _actor: Viewer, page: PageDep, source: str | None = None, since: Since = None,
                until: Until = None) -> dict[str, Any]:
    """Each event has ``status`` (the upstream's last HTTP status, when it answered) and ``reason``,
    ours: an upstream's response body is never shown."""
    data, count = list_dead_letter(engine, source_id=_source_id(engine, source), limit=page.limit,
                                   offset=page.offset, since=column_time(since),
                                   until=column_time(until))
    for row in data:
        row["status"], row["reason"] = upstream_status(row["reason"]), our_reason(row["reason"])
    return {"data": data, "count": count}


class DeadLetterReplay(RequestModel):
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    ids: list[int] | None = Field(None, min_length=1, max_length=MAX_IDS, description="Only these events")
    limit: int = Field(1000, ge=1, le=MAX_IDS)


@router.post("/dead-letter/replay", summary="Send dead-lettered events back to the outbox")
def replay_dead(body: DeadLetterReplay, request: Request, engine: EngineDep, actor: Editor) -> dict[str, int]:
    source_id = _source_id(engine, body.source)
    moved = replay_dead_letter(engine, source_id=source_id, ids=body.ids, limit=body.limit,
                               since=column_time(body.since), until=column_time(body.until),
                               suppressions=request.app.state.proxy.runtime.suppressions.current)
    with write_session(engine) as session:
        record(session, actor=actor.name, action="dead_letter.replay", entity="dead_letter",
               entity_id=source_id or "*", details={
                   "filter": body.model_dump(mode="json", exclude_none=True), "requeued": moved})
    return {"requeued": moved}
