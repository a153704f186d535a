"""REST: how forwarding goes, per source — the outbox's depth and age, retries, the last error, dead letters.

What the console's overview shows beside each source's traffic. The outbox and the dead letter are
read where the events are (no second copy of the counts). Errors are ours: an upstream's response
body is never shown (``routes.quarantine.our_reason``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import case, func, select
from sqlmodel import col
from sqlmodel import select as select_rows

from governance.api.deps import EngineDep, PageDep, Viewer
from governance.api.routes.quarantine import our_reason, upstream_status
from governance.api.schemas import ListOf
from governance.clock import as_utc, utcnow
from governance.db import read_session
from governance.proxy.tables import DeadLetterRow, OutboxRow
from governance.registry.sources import get_source
from governance.registry.tables import SourceRow

router = APIRouter(prefix="/api/v1", tags=["observability"])


class ForwardError(BaseModel):
    where: str = Field(description="retrying (an outbox event waiting for its next try) or dead_letter")
    message: str
    status: int | None = Field(description="The upstream's HTTP status, when it answered")
    at: datetime | None = Field(description="dead_letter: when it was dead-lettered; retrying: its next try")


class Forwarding(BaseModel):
    source_id: str
    source: str
    upstream_configured: bool
    outbox_depth: int = Field(description="Events waiting to be forwarded")
    outbox_oldest_s: float | None = Field(description="Age of the oldest of them, seconds")
    retrying: int = Field(description="Outbox events that failed at least once")
    dead_letters: int = Field(description="Dead letters not replayed")
    last_error: ForwardError | None = Field(description="A retrying event's error, else the newest dead letter's")


def _outbox(conn: Any, ids: list[str]) -> dict[str, tuple[int, Any, int]]:
    box = OutboxRow.__table__.c  # type: ignore[attr-defined]
    failing = func.sum(case((box.last_error.is_not(None), box.events), else_=0))  # events, not rows
    query = (select(box.source_id, func.sum(box.events), func.min(box.created_at), failing)
             .where(box.source_id.in_(ids)).group_by(box.source_id))
    return {sid: (int(n), oldest, int(failing)) for sid, n, oldest, failing in conn.execute(query)}


def _retry_error(conn: Any, source_id: str) -> ForwardError | None:
    box = OutboxRow.__table__.c  # type: ignore[attr-defined]
    row = conn.execute(select(box.last_error, box.next_attempt_at)
                       .where(box.source_id == source_id, box.last_error.is_not(None))
                       .order_by(box.next_attempt_at.desc()).limit(1)).first()
    if row is None:
        return None
    return ForwardError(where="retrying", message=our_reason(row.last_error) or "",
                        status=upstream_status(row.last_error), at=row.next_attempt_at)


def _dead_letters(conn: Any, ids: list[str]) -> dict[str, int]:
    dead = DeadLetterRow.__table__.c  # type: ignore[attr-defined]
    query = (select(dead.source_id, func.count()).where(dead.source_id.in_(ids), dead.replayed_at.is_(None))
             .group_by(dead.source_id))
    return {sid: int(n) for sid, n in conn.execute(query)}


def _newest_dead_letter(conn: Any, source_id: str) -> ForwardError | None:
    dead = DeadLetterRow.__table__.c  # type: ignore[attr-defined]
    row = conn.execute(select(dead.reason, dead.created_at)
                       .where(dead.source_id == source_id, dead.replayed_at.is_(None))
                       .order_by(dead.id.desc()).limit(1)).first()
    if row is None:
        return None
    return ForwardError(where="dead_letter", message=our_reason(row.reason) or "",
                        status=upstream_status(row.reason), at=row.created_at)


@router.get("/forwarding", response_model=ListOf[Forwarding], summary="Forwarding per source: outbox, retries, "
            "the last error, dead letters")
def forwarding(engine: EngineDep, _actor: Viewer, page: PageDep, source: str | None = None) -> ListOf[Forwarding]:
    """Sources by name; ``?source=`` for one. ``last_error`` is the error of the outbox event tried
    most recently while any is being retried (the current problem), else the newest dead letter's."""
    with read_session(engine) as session:
        if source:
            rows = [get_source(session, source)]
            count = 1
        else:
            rows = list(session.exec(select_rows(SourceRow).order_by(col(SourceRow.name))
                                     .offset(page.offset).limit(page.limit)).all())
            count = int(session.exec(select_rows(func.count()).select_from(SourceRow)).one())
    ids, now, out = [r.id for r in rows], utcnow(), []
    with engine.connect() as conn:
        outbox, dead = _outbox(conn, ids), _dead_letters(conn, ids)
        for row in rows:
            depth, oldest, failing = outbox.get(row.id, (0, None, 0))
            error = (_retry_error(conn, row.id) if failing else None) or (
                _newest_dead_letter(conn, row.id) if dead.get(row.id) else None)
            out.append(Forwarding(
                source_id=row.id, source=row.name, upstream_configured=bool(row.upstream_url), outbox_depth=depth,
                outbox_oldest_s=(now - as_utc(oldest)).total_seconds() if oldest is not None else None,
                retrying=failing, dead_letters=dead.get(row.id, 0), last_error=error))
    return ListOf[Forwarding](data=out, count=count)
