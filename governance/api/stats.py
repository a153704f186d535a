"""What the console's plan and source lists show beside each row (``?stats=true`` on the lists).

Plans: whether the draft differs from the latest version, the bound sources, the number of
events, and the violations of the last 24 h over the bound sources. Sources: events and
violations of the last 24 h (the same windows as ``/sources/{id}/events`` and ``/violations``),
the outbox depth and the age of its oldest row. A few grouped queries per page, not per row.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

import orjson
from pydantic import BaseModel
from sqlalchemy import func, or_, select
from sqlmodel import Session, col
from sqlmodel import select as select_rows

from governance.proxy.counters import EVENTS_WITH_VIOLATIONS
from governance.proxy.observe import WINDOWS
from governance.proxy.tables import EventCountRow, OutboxRow, ViolationCountRow
from governance.registry.tables import PlanRow, PlanVersionRow, SourceRow, utcnow


class PlanStats(BaseModel):
    draft_differs: bool
    events: int
    draft_events: int
    bound_sources: list[str]
    violations_24h: int


class SourceStats(BaseModel):
    plan_name: str | None
    events_24h: int
    violations_24h: int
    outbox_depth: int
    outbox_oldest_s: float | None


def _since() -> int:
    return int(time.time() // 60) - WINDOWS["24h"]


def _violations(session: Session, source_ids: list[str]) -> dict[str, int]:
    if not source_ids:
        return {}
    t = ViolationCountRow.__table__.c  # type: ignore[attr-defined]
    query = (select(t.source_id, func.sum(t.count))
             .where(t.source_id.in_(source_ids), t.minute > _since(), t.type != EVENTS_WITH_VIOLATIONS)
             .group_by(t.source_id))
    return {sid: int(n) for sid, n in session.execute(query)}


def plan_stats(session: Session, rows: list[PlanRow]) -> dict[str, PlanStats]:
    ids = [r.id for r in rows]
    wanted = [(col(PlanVersionRow.plan_id) == r.id) & (col(PlanVersionRow.version) == r.latest_version)
              for r in rows if r.latest_version]
    latest = {(r.plan_id, r.version): r for r in session.exec(select_rows(PlanVersionRow).where(or_(*wanted)))} \
        if wanted else {}
    bound: dict[str, list[SourceRow]] = defaultdict(list)
    for source in session.exec(select_rows(SourceRow).where(col(SourceRow.plan_id).in_(ids))) if ids else []:
        bound[source.plan_id or ""].append(source)
    violations = _violations(session, [s.id for group in bound.values() for s in group])
    out = {}
    for row in rows:
        version = latest.get((row.id, row.latest_version))
        draft_events = len(orjson.loads(row.draft_body).get("events") or {})
        events = len(orjson.loads(version.body).get("events") or {}) if version else draft_events
        out[row.id] = PlanStats(
            draft_differs=version is None or version.content_hash != row.draft_hash, events=events,
            draft_events=draft_events, bound_sources=sorted(s.name for s in bound[row.id]),
            violations_24h=sum(violations.get(s.id, 0) for s in bound[row.id]))
    return out


def source_stats(session: Session, rows: list[SourceRow]) -> dict[str, SourceStats]:
    ids = [r.id for r in rows]
    if not ids:
        return {}
    plans = PlanRow.__table__.c  # type: ignore[attr-defined]
    names: dict[str, str] = {pid: name for pid, name in session.execute(select(plans.id, plans.name).where(
        plans.id.in_([r.plan_id for r in rows if r.plan_id])))}
    t = EventCountRow.__table__.c  # type: ignore[attr-defined]
    events = {sid: int(n) for sid, n in session.execute(
        select(t.source_id, func.sum(t.count)).where(t.source_id.in_(ids), t.minute > _since())
        .group_by(t.source_id))}
    box = OutboxRow.__table__.c  # type: ignore[attr-defined]
    outbox = {sid: (int(n), oldest) for sid, n, oldest in session.execute(
        select(box.source_id, func.sum(box.events), func.min(box.created_at))  # events, not rows
        .where(box.source_id.in_(ids)).group_by(box.source_id))}
    violations = _violations(session, ids)
    now = utcnow()
    out = {}
    for row in rows:
        depth, oldest = outbox.get(row.id, (0, None))
        age = (now - _aware(oldest, now)).total_seconds() if oldest is not None else None
        out[row.id] = SourceStats(plan_name=names.get(row.plan_id or ""), events_24h=events.get(row.id, 0),
                                  violations_24h=violations.get(row.id, 0), outbox_depth=depth,
                                  outbox_oldest_s=age)
    return out


def _aware(value: Any, like: Any) -> Any:
    """SQLite hands back naive datetimes; they are UTC."""
    return value.replace(tzinfo=like.tzinfo) if value.tzinfo is None and like.tzinfo is not None else value
