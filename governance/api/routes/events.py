"""REST: what the proxy saw — events, violations with samples, quarantine and dead letter."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request
from pydantic import Field
from sqlmodel import select

from governance.api.deps import Editor, EngineDep, PageDep, Viewer
from governance.api.schemas import RequestModel
from governance.db import read_session
from governance.proxy import insights, observe
from governance.proxy.quarantine import (
    QuarantineFilter,
    list_dead_letter,
    list_quarantine,
    replay_dead_letter,
    replay_quarantine,
)
from governance.proxy.tables import ViolationSampleRow
from governance.proxy.violations import Violation, fingerprint
from governance.registry.sources import get_source

router = APIRouter(prefix="/api/v1", tags=["observability"])
Window = Annotated[Literal["1h", "24h", "7d"], Query(description="Time window")]


def _source_id(engine: Any, ref: str) -> str:
    with read_session(engine) as session:
        return get_source(session, ref).id


@router.get("/sources/{source}/events", summary="Events seen, with counts by outcome and planned status")
def events_seen(source: str, request: Request, engine: EngineDep, _actor: Viewer,
                window: Window = "24h") -> dict[str, Any]:  # fmt: skip
    """Each entry: counts by outcome, ``planned``, ``last_seen``, and for an unplanned track event the
    planned event it most likely meant (``suggestion``, the proxy's "did you mean")."""
    source_id = _source_id(engine, source)
    data = observe.events_seen(engine, source_id, window)
    seen = insights.last_seen(engine, source_id, window)
    state = request.app.state.proxy.runtime.by_id.get(source_id)
    names = getattr(state, "names", None)
    for entry in data:
        entry["last_seen"] = seen.get((entry["kind"], entry["event"]))
        unplanned = entry["kind"] == "track" and not entry["planned"]
        suggestion = names.closest(entry["event"]) if unplanned and names is not None else None
        entry["suggestion"] = suggestion if suggestion != entry["event"] else None
    return {"source_id": source_id, "window": window, "data": data, "total": sum(e["total"] for e in data)}


@router.get("/sources/{source}/violations", summary="Violations grouped by event, field and type, with samples")
def violations(source: str, engine: EngineDep, _actor: Viewer, window: Window = "24h",
               samples: Annotated[int, Query(ge=0, le=3)] = 1) -> dict[str, Any]:  # fmt: skip
    """Each group has ``first_seen``/``last_seen`` and a ``series`` (per minute for 1h, per hour otherwise)."""
    source_id = _source_id(engine, source)
    groups = observe.violations_grouped(engine, source_id, window)
    insights.violation_timelines(engine, source_id, window, groups)
    if samples:
        with read_session(engine) as session:
            for group in groups:
                fp = fingerprint(source_id, group["event"], Violation(group["type"], group["field"], ""))
                rows = session.exec(select(ViolationSampleRow).where(ViolationSampleRow.fingerprint == fp)
                                    .limit(samples)).all()  # fmt: skip
                group["fingerprint"] = fp
                group["samples"] = [{"message": r.message, "plan_version": r.plan_version, "seen_at": r.seen_at,
                                     "payload": orjson.loads(r.payload)} for r in rows]  # fmt: skip
    return {"source_id": source_id, "window": window, "data": groups}


@router.get("/quarantine", summary="Quarantined events (blocked, rejected, dropped), newest first")
def quarantine(engine: EngineDep, _actor: Viewer, page: PageDep, source: str | None = None,
               reason: str | None = None, event: str | None = None, include_replayed: bool = False,
               ) -> dict[str, Any]:  # fmt: skip
    flt = QuarantineFilter(source_id=_source_id(engine, source) if source else None, reason=reason, event=event,
                           include_replayed=include_replayed)  # fmt: skip
    data, count = list_quarantine(engine, flt, limit=page.limit, offset=page.offset)
    return {"data": data, "count": count}


class ReplayRequest(RequestModel):
    source: str | None = Field(None, description="Source id or name")
    reason: str | None = None
    event: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    ids: list[int] | None = None
    limit: int = Field(1000, ge=1, le=10_000)


@router.post("/quarantine/replay", summary="Re-judge quarantined events with the current plan; forward passes once")
def replay(body: ReplayRequest, request: Request, engine: EngineDep, _actor: Editor) -> dict[str, Any]:
    runtime = request.app.state.proxy.runtime
    runtime.reload()
    settings = request.app.state.settings
    flt = QuarantineFilter(source_id=_source_id(engine, body.source) if body.source else None, reason=body.reason,
                           event=body.event, since=body.since, until=body.until, ids=body.ids)  # fmt: skip
    return replay_quarantine(engine, runtime.by_id, flt, limit=body.limit,
                             salt=settings.hash_salt.get_secret_value().encode(),
                             max_depth=settings.max_json_depth, suppressions=runtime.suppressions.current)  # fmt: skip


@router.get("/dead-letter", summary="Events the upstream refused or never took, newest first")
def dead_letter(engine: EngineDep, _actor: Viewer, page: PageDep, source: str | None = None) -> dict[str, Any]:
    data, count = list_dead_letter(engine, source_id=_source_id(engine, source) if source else None,
                                   limit=page.limit, offset=page.offset)  # fmt: skip
    return {"data": data, "count": count}


class DeadLetterReplay(RequestModel):
    source: str | None = None
    ids: list[int] | None = None
    limit: int = Field(1000, ge=1, le=10_000)


@router.post("/dead-letter/replay", summary="Send dead-lettered events back to the outbox")
def replay_dead(body: DeadLetterReplay, request: Request, engine: EngineDep, _actor: Editor) -> dict[str, int]:
    moved = replay_dead_letter(engine, source_id=_source_id(engine, body.source) if body.source else None,
                               ids=body.ids, limit=body.limit,
                               suppressions=request.app.state.proxy.runtime.suppressions.current)  # fmt: skip
    return {"requeued": moved}
