"""REST: the conservation ledger of a source (``GET /api/v1/sources/{source}/ledger``).

What each term counts, and from where, is in ``proxy.ledger``; docs/operations/durability.md
explains how to read it.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from governance.api.deps import EngineDep, Viewer
from governance.clock import as_utc, epoch_minute, utcnow
from governance.db import read_session
from governance.errors import ValidationFailed
from governance.proxy.ledger import ledger_of
from governance.registry.sources import get_source

router = APIRouter(prefix="/api/v1", tags=["observability"])
From = Annotated[datetime | None, Query(alias="from", description="Start (ISO 8601), rounded down to the minute")]
To = Annotated[datetime | None, Query(description="End (ISO 8601, exclusive), rounded up to the minute; default now")]


@router.get("/sources/{source}/ledger", summary="Conservation ledger: received = where every event is now")
def ledger(source: str, engine: EngineDep, _actor: Viewer, from_: From = None, to: To = None) -> dict[str, Any]:
    """Events received in ``[from, to)`` (whole minutes: ``from`` rounded down, ``to`` up; default:
    everything up to now) by where they are now; ``difference`` is 0 when nothing was lost."""
    with read_session(engine) as session:
        row = get_source(session, source)
        source_id, name = row.id, row.name
    first = epoch_minute(as_utc(from_)) if from_ is not None else 0
    until = as_utc(to) if to is not None else utcnow()
    last = math.ceil(until.timestamp() / 60) if to is not None else epoch_minute(until) + 1
    if last <= first:
        raise ValidationFailed("to: must be after from", details=[{"path": "to", "message": "must be after from"}])
    return {"source": name, **ledger_of(engine, source_id, first, last).to_dict()}
