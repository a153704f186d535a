"""REST: a source's counts over time (for charts) and what enforce would do to a shadow source."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from governance.api.deps import EngineDep, Viewer
from governance.db import read_session
from governance.proxy import insights
from governance.registry.sources import get_source

router = APIRouter(prefix="/api/v1/sources/{source}", tags=["observability"])
Window = Annotated[Literal["1h", "24h", "7d"], Query(description="Time window (the current minute included)")]


@router.get("/series", summary="Events by outcome, events with violations and violations per minute or hour")
def series(source: str, engine: EngineDep, _actor: Viewer, window: Window = "24h",
           step: Annotated[Literal["minute", "hour"] | None,
                           Query(description="Bucket size (default: minute for 1h, hour otherwise)")] = None,
           event: Annotated[str | None, Query(max_length=200, description="Only this event name")] = None,
           ) -> dict[str, Any]:
    """``t`` holds each bucket's start (epoch seconds); every other list is aligned with it.
    Summed over the buckets, the series equal ``/events`` and ``/violations`` for the same window."""
    with read_session(engine) as session:
        row = get_source(session, source)
    data = insights.series(engine, row.id, window, step or insights.default_step(window), event)
    return {"source_id": row.id, "window": window, "event": event, **data}


@router.get("/shadow-impact", summary="What enforce would have blocked or omitted, per event and reason")
def shadow_impact(source: str, engine: EngineDep, _actor: Viewer, window: Window = "24h") -> dict[str, Any]:
    """Counts the ``shadow_blocked`` and ``shadow_omitted`` outcomes per event, with the violations
    behind them. A source in enforce mode has none: its outcomes are ``blocked`` and ``omitted``."""
    with read_session(engine) as session:
        row = get_source(session, source)
    return {"source_id": row.id, "mode": row.mode, "window": window,
            **insights.shadow_impact(engine, row.id, window)}
