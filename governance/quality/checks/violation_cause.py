"""What a violation-rate alert says about its cause: which fields and types, a sample, the plan
version, the app versions and libraries of the violating events, and when it started.

Read over the judged window (the last ``window`` complete minutes):

- ``top_violations``: the (field, type) pairs counted by the proxy (``violation_counts``), most
  frequent first, with their share of the violations;
- ``sample``: the newest stored sample of the top pair (``violation_samples``: message and the plan
  version it was judged against);
- ``top_app_versions`` / ``top_libraries``: ``context.app.version`` and ``context.library``
  (``name version``) of the violating events found in the window: quarantined ones and the
  forwarded samples that carry ``context.protocols.violations``; an app version absent from the
  day before's samples is marked ``new`` ("started with app 4.2.0");
- ``onset``: the first minute of the trailing run of minutes whose violation share reached the
  threshold (the alert's ``since``).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import select

from governance.proxy.counters import EVENTS_WITH_VIOLATIONS, NOT_TRAFFIC
from governance.proxy.tables import EventCountRow, EventSampleRow, QuarantineRow, ViolationCountRow, ViolationSampleRow
from governance.quality.queries import SourceData

TOP = 3
MAX_EVENTS = 500  # violating events read per evaluation


def _dig(event: Any, *path: str) -> Any:
    for key in path:
        event = event.get(key) if isinstance(event, dict) else None
    return event


def _library(event: Any) -> str | None:
    name, version = _dig(event, "context", "library", "name"), _dig(event, "context", "library", "version")
    return " ".join(str(x) for x in (name, version) if x) or None


def top_violations(data: SourceData, event: str, window: int) -> list[dict[str, Any]]:
    t = ViolationCountRow.__table__  # type: ignore[attr-defined]
    query = select(t.c.field, t.c.type, t.c.count).where(
        t.c.source_id == data.source_id, t.c.minute >= data.minute - window, t.c.minute < data.minute,
        t.c.type != EVENTS_WITH_VIOLATIONS)
    if event:
        query = query.where(t.c.event == event)
    counts: Counter[tuple[str, str]] = Counter()
    with data.engine.connect() as conn:
        for field, vtype, n in conn.execute(query):
            counts[(field, vtype)] += int(n)
    total = sum(counts.values()) or 1
    return [{"field": f, "type": v, "count": n, "share": round(n / total, 3)} for (f, v), n in counts.most_common(TOP)]


def sample(data: SourceData, event: str, top: dict[str, Any]) -> dict[str, Any] | None:
    t = ViolationSampleRow.__table__  # type: ignore[attr-defined]
    query = select(t.c.message, t.c.plan_version, t.c.seen_at).where(
        t.c.source_id == data.source_id, t.c.field == top["field"], t.c.type == top["type"])
    if event:
        query = query.where(t.c.event == event)
    with data.engine.connect() as conn:
        row = conn.execute(query.order_by(t.c.seen_at.desc()).limit(1)).first()
    return {"message": row[0], "plan_version": row[1]} if row is not None else None


def violating_events(data: SourceData, event: str, window: int) -> list[Any]:
    """The violating events seen in the window (each once, by messageId): quarantined ones, violation
    samples stored in it, and forwarded samples marked as violating."""
    start = data.now - timedelta(minutes=window)
    q, s, v = QuarantineRow.__table__, EventSampleRow.__table__, ViolationSampleRow.__table__  # type: ignore[attr-defined]
    blocked = select(q.c.payload).where(q.c.source_id == data.source_id, q.c.received_at >= start,
                                        q.c.received_at < data.now, q.c.violations != "[]")
    sampled = select(s.c.payload).where(s.c.source_id == data.source_id, s.c.received_at >= start,
                                        s.c.received_at < data.now)
    kept = select(v.c.payload).where(v.c.source_id == data.source_id, v.c.seen_at >= start, v.c.seen_at < data.now)
    if event:
        blocked, sampled, kept = (blocked.where(q.c.event == event), sampled.where(s.c.event == event),
                                  kept.where(v.c.event == event))
    found: dict[Any, Any] = {}
    with data.engine.connect() as conn:
        for query, marked in ((blocked, False), (kept, False), (sampled, True)):
            for (payload,) in conn.execute(query.limit(MAX_EVENTS)):
                decoded = orjson.loads(payload)
                if not marked or _dig(decoded, "context", "protocols", "violations"):
                    found.setdefault(_dig(decoded, "messageId") or len(found), decoded)
    return list(found.values())[:MAX_EVENTS]


def _known_versions(data: SourceData, event: str, window: int) -> set[str]:
    s = EventSampleRow.__table__  # type: ignore[attr-defined]
    end = data.now - timedelta(minutes=window)
    query = select(s.c.payload).where(s.c.source_id == data.source_id, s.c.received_at >= end - timedelta(days=1),
                                      s.c.received_at < end)
    if event:
        query = query.where(s.c.event == event)
    with data.engine.connect() as conn:
        return {str(v) for (p,) in conn.execute(query.limit(5000)) if (v := _dig(orjson.loads(p), "context", "app",
                                                                                  "version")) is not None}


def _top(values: list[str | None]) -> list[dict[str, Any]]:
    counted = Counter(v for v in values if v)
    total = sum(counted.values())
    return [{"value": v, "count": n, "share": round(n / total, 3)} for v, n in counted.most_common(TOP)]


def onset_minute(data: SourceData, event: str, window: int, threshold: float) -> int | None:
    """The first epoch minute of the trailing run of minutes at or above ``threshold`` (empty ones pass)."""
    v, e = ViolationCountRow.__table__, EventCountRow.__table__  # type: ignore[attr-defined]
    span = (data.minute - window, data.minute)
    bad_q = select(v.c.minute, v.c.count).where(v.c.source_id == data.source_id, v.c.type == EVENTS_WITH_VIOLATIONS,
                                                v.c.minute >= span[0], v.c.minute < span[1])
    all_q = select(e.c.minute, e.c.count).where(e.c.source_id == data.source_id, e.c.outcome.not_in(NOT_TRAFFIC),
                                                e.c.minute >= span[0], e.c.minute < span[1])
    if event:
        bad_q, all_q = bad_q.where(v.c.event == event), all_q.where(e.c.event == event)
    bad: Counter[int] = Counter()
    seen: Counter[int] = Counter()
    with data.engine.connect() as conn:
        for minute, n in conn.execute(bad_q):
            bad[int(minute)] += int(n)
        for minute, n in conn.execute(all_q):
            seen[int(minute)] += int(n)
    onset = None
    for minute in range(span[1] - 1, span[0] - 1, -1):
        if seen[minute] == 0:
            continue
        if bad[minute] / seen[minute] < threshold:
            break
        onset = minute
    return onset


def cause(data: SourceData, event: str, window: int, threshold: float, plan_version: int | None) -> dict[str, Any]:
    """The details a violation-rate finding carries (see the module docstring)."""
    top = top_violations(data, event, window)
    events = violating_events(data, event, window)
    versions = _top([str(v) if (v := _dig(x, "context", "app", "version")) is not None else None for x in events])
    if versions:
        known = _known_versions(data, event, window)
        for entry in versions:
            entry["new"] = bool(known) and entry["value"] not in known
    details: dict[str, Any] = {"top_violations": top, "plan_version": plan_version, "top_app_versions": versions,
                               "top_libraries": _top([_library(x) for x in events])}
    if top and (found := sample(data, event, top[0])) is not None:
        details["sample"] = found
    minute = onset_minute(data, event, window, threshold)
    if minute is not None:
        this_minute = data.now.replace(second=0, microsecond=0)
        details["onset"] = (this_minute - timedelta(minutes=data.minute - minute)).isoformat()
    return details


def explain(details: dict[str, Any]) -> str:
    """The alert's reason: ``mostly properties.total type_mismatch (80%), e.g. ...; started with app 4.2.0``."""
    parts = []
    if details.get("top_violations"):
        top = details["top_violations"][0]
        parts.append(f"mostly {top['field'] or '(event)'} {top['type']} ({top['share']:.0%})")
    if details.get("sample"):
        parts.append(f"e.g. {details['sample']['message']}")
    versions = details.get("top_app_versions") or []
    if versions:
        lead = versions[0]
        verb = "started with" if lead.get("new") else "mostly from"
        parts.append(f"{verb} app {lead['value']} ({lead['share']:.0%})")
    if details.get("top_libraries"):
        parts.append(f"library {details['top_libraries'][0]['value']}")
    if details.get("plan_version") is not None:
        parts.append(f"plan v{details['plan_version']}")
    return "; ".join(parts)
