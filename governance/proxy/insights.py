"""Observability over time: count series for charts, shadow impact, first/last seen, last seen.

The windows and their boundaries are those of ``observe``: a window of ``W`` minutes covers the
minutes ``(now - W, now]``, the current (incomplete) minute included, so a series summed over its
buckets equals what ``observe.events_seen`` and ``observe.violations_grouped`` count. Buckets
are epoch minutes or epoch hours; a bucket is reported by the epoch second it starts at.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select

from governance.proxy.counters import EVENTS_WITH_VIOLATIONS
from governance.proxy.observe import WINDOWS
from governance.proxy.tables import EventCountRow, ViolationCountRow

STEPS = {"minute": 1, "hour": 60}
SHADOW = {"shadow_blocked": "would_block", "shadow_omitted": "would_omit"}


def _now_minute() -> int:
    return int(time.time() // 60)


def minute_iso(minute: int | None) -> str | None:
    return None if minute is None else datetime.fromtimestamp(minute * 60, UTC).isoformat()


def default_step(window: str) -> str:
    return "minute" if window == "1h" else "hour"


def buckets(window: str, step: str, now_minute: int | None = None) -> tuple[int, list[int]]:
    """``(since, starts)``: the window's exclusive lower minute and its bucket starts, in minutes."""
    now = _now_minute() if now_minute is None else now_minute
    since, size = now - WINDOWS[window], STEPS[step]
    first, last = (since + 1) // size, now // size
    return since, [b * size for b in range(first, last + 1)]


def series(engine: Engine, source_id: str, window: str, step: str, event: str | None = None) -> dict[str, Any]:
    """Events by outcome, events with violations and violations per bucket over the window."""
    since, starts = buckets(window, step)
    size, index = STEPS[step], {start: i for i, start in enumerate(starts)}
    counts = EventCountRow.__table__.c  # type: ignore[attr-defined]
    query = (select((counts.minute // size).label("b"), counts.outcome, func.sum(counts.count))
             .where(counts.source_id == source_id, counts.minute > since)
             .group_by("b", counts.outcome))
    if event is not None:
        query = query.where(counts.event == event)
    outcomes: dict[str, list[int]] = {}
    flagged, violations = [0] * len(starts), [0] * len(starts)
    with engine.connect() as conn:
        for bucket, outcome, n in conn.execute(query):
            slot = index.get(int(bucket) * size)
            if slot is not None:
                outcomes.setdefault(outcome, [0] * len(starts))[slot] += int(n)
        vio = ViolationCountRow.__table__.c  # type: ignore[attr-defined]
        query = (select((vio.minute // size).label("b"), vio.type, func.sum(vio.count))
                 .where(vio.source_id == source_id, vio.minute > since).group_by("b", vio.type))
        if event is not None:
            query = query.where(vio.event == event)
        for bucket, type_, n in conn.execute(query):
            slot = index.get(int(bucket) * size)
            if slot is not None:
                (flagged if type_ == EVENTS_WITH_VIOLATIONS else violations)[slot] += int(n)
    return {"step": step, "step_s": size * 60, "start": minute_iso(starts[0]), "t": [s * 60 for s in starts],
            "outcomes": dict(sorted(outcomes.items())), "events_with_violations": flagged,
            "violations": violations}


def last_seen(engine: Engine, source_id: str, window: str) -> dict[tuple[str, str], str | None]:
    """``(kind, event) -> `` the start of the last minute it arrived in, within the window."""
    since = _now_minute() - WINDOWS[window]
    t = EventCountRow.__table__.c  # type: ignore[attr-defined]
    query = (select(t.kind, t.event, func.max(t.minute))
             .where(t.source_id == source_id, t.minute > since, t.count > 0).group_by(t.kind, t.event))
    with engine.connect() as conn:
        return {(kind, event): minute_iso(int(m)) for kind, event, m in conn.execute(query)}


def violation_timelines(engine: Engine, source_id: str, window: str, groups: list[dict[str, Any]]) -> None:
    """Add ``first_seen``/``last_seen`` (over every retained minute) and a ``series`` per bucket of
    the window (minutes for 1h, hours otherwise) to each violation group, in place."""
    step = default_step(window)
    since, starts = buckets(window, step)
    size, index = STEPS[step], {start: i for i, start in enumerate(starts)}
    t = ViolationCountRow.__table__.c  # type: ignore[attr-defined]
    key = (t.event, t.field, t.type)
    seen_q = select(*key, func.min(t.minute), func.max(t.minute)).where(
        t.source_id == source_id, t.type != EVENTS_WITH_VIOLATIONS, t.count > 0).group_by(*key)
    series_q = (select(*key, (t.minute // size).label("b"), func.sum(t.count))
                .where(t.source_id == source_id, t.minute > since, t.type != EVENTS_WITH_VIOLATIONS)
                .group_by(*key, "b"))
    with engine.connect() as conn:
        seen = {(e, f, ty): (lo, hi) for e, f, ty, lo, hi in conn.execute(seen_q)}
        lines: dict[tuple[str, str, str], list[int]] = {}
        for e, f, ty, bucket, n in conn.execute(series_q):
            slot = index.get(int(bucket) * size)
            if slot is not None:
                lines.setdefault((e, f, ty), [0] * len(starts))[slot] += int(n)
    for group in groups:
        k = (group["event"], group["field"], group["type"])
        lo, hi = seen.get(k, (None, None))
        group["first_seen"], group["last_seen"] = minute_iso(lo), minute_iso(hi)
        group["series"] = lines.get(k, [0] * len(starts))
    return None


def shadow_impact(engine: Engine, source_id: str, window: str) -> dict[str, Any]:
    """Per (kind, event): what enforce would have blocked or omitted, with the violations behind it.

    The counts of would-be blocked and omitted events are the proxy's own verdicts; the reasons
    are the violations counted for that event over the window (``unplanned_event`` for an event
    the plan does not have), which is what enforce acts on.
    """
    since = _now_minute() - WINDOWS[window]
    c = EventCountRow.__table__.c  # type: ignore[attr-defined]
    v = ViolationCountRow.__table__.c  # type: ignore[attr-defined]
    counts_q = (select(c.kind, c.event, c.planned, c.outcome, func.sum(c.count))
                .where(c.source_id == source_id, c.minute > since).group_by(c.kind, c.event, c.planned, c.outcome))
    reasons_q = (select(v.event, v.type, v.field, func.sum(v.count))
                 .where(v.source_id == source_id, v.minute > since, v.type != EVENTS_WITH_VIOLATIONS)
                 .group_by(v.event, v.type, v.field))
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    with engine.connect() as conn:
        for kind, event, planned, outcome, n in conn.execute(counts_q):
            row = rows.setdefault((kind, event), {"kind": kind, "event": event, "planned": True, "total": 0,
                                                  "would_block": 0, "would_omit": 0, "reasons": []})
            row["planned"] = row["planned"] and bool(planned)
            row["total"] += int(n)
            if outcome in SHADOW:
                row[SHADOW[outcome]] += int(n)
        reasons: dict[str, list[dict[str, Any]]] = {}
        for event, type_, field, n in conn.execute(reasons_q):
            reasons.setdefault(event, []).append({"reason": type_, "field": field, "count": int(n)})
    impact = [r for r in rows.values() if r["would_block"] or r["would_omit"]]
    for row in impact:
        row["reasons"] = sorted(reasons.get(row["event"], []), key=lambda r: (-r["count"], r["reason"], r["field"]))
        if not row["planned"] and not any(r["reason"] == "unplanned_event" for r in row["reasons"]):
            row["reasons"].insert(0, {"reason": "unplanned_event", "field": "", "count": row["would_block"]})
    impact.sort(key=lambda r: (-(r["would_block"] + r["would_omit"]), r["kind"], r["event"]))
    totals = {"events": sum(r["total"] for r in rows.values()),
              "would_block": sum(r["would_block"] for r in impact), "would_omit": sum(r["would_omit"] for r in impact)}
    return {"totals": totals, "data": impact}
