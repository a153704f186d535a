"""REST: what the proxy saw — events and violations with samples (the quarantine: ``routes/quarantine.py``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request
from sqlmodel import select

from governance.api.deps import EngineDep, Viewer
from governance.db import read_session
from governance.proxy import insights, observe
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
                window: Window = "24h") -> dict[str, Any]:
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
               samples: Annotated[int, Query(ge=0, le=3)] = 1) -> dict[str, Any]:
    """Each group has ``first_seen``/``last_seen`` and a ``series`` (per minute for 1h, per hour otherwise)."""
    source_id = _source_id(engine, source)
    groups = observe.violations_grouped(engine, source_id, window)
    insights.violation_timelines(engine, source_id, window, groups)
    if samples:
        with read_session(engine) as session:
            for group in groups:
                fp = fingerprint(source_id, group["event"], Violation(group["type"], group["field"], ""))
                rows = session.exec(select(ViolationSampleRow).where(ViolationSampleRow.fingerprint == fp)
                                    .limit(samples)).all()
                group["fingerprint"] = fp
                group["samples"] = [{"message": r.message, "plan_version": r.plan_version, "seen_at": r.seen_at,
                                     "payload": orjson.loads(r.payload)} for r in rows]
    return {"source_id": source_id, "window": window, "data": groups}
