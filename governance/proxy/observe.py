"""Observability queries: events seen, violations, outbox depth (REST and /metrics read these)."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, func, select

from governance.clock import utcnow
from governance.proxy.counters import EVENTS_WITH_VIOLATIONS
from governance.proxy.tables import (
    DeadLetterRow,
    EventCountRow,
    ForwardStatRow,
    OutboxRow,
    QuarantineRow,
    ViolationCountRow,
)

LATENCY_WINDOW_MIN = 5
WINDOWS = {"1h": 60, "24h": 24 * 60, "7d": 7 * 24 * 60}


def outbox_gauges(engine: Engine) -> dict[str, tuple[str, float]]:
    with engine.connect() as conn:
        depth = conn.execute(select(func.coalesce(func.sum(OutboxRow.events), 0))).scalar_one()  # events
        oldest = conn.execute(select(func.min(OutboxRow.created_at))).scalar_one()
        quarantined = conn.execute(select(func.count()).select_from(QuarantineRow)).scalar_one()
        dead = conn.execute(select(func.count()).select_from(DeadLetterRow)).scalar_one()
        stats = ForwardStatRow.__table__.c  # type: ignore[attr-defined]
        delivered, latency_sum, latency_max = conn.execute(
            select(func.sum(stats.delivered), func.sum(stats.latency_sum_s), func.max(stats.latency_max_s))
            .where(stats.minute >= int(time.time() // 60) - LATENCY_WINDOW_MIN)).one()
    age = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
    return {
        "governance_outbox_depth": ("Events waiting to be forwarded", float(depth)),
        "governance_outbox_oldest_seconds": ("Age of the oldest event waiting to be forwarded", age),
        "governance_quarantine_size": ("Events in the quarantine", float(quarantined)),
        "governance_dead_letter_size": ("Events in the dead letter", float(dead)),
        "governance_forwarded_events_5m": ("Events upstreams accepted in the last 5 minutes", float(delivered or 0)),
        "governance_forward_latency_seconds_avg_5m": (
            "Mean time from commit to upstream acceptance over the last 5 minutes",
            float(latency_sum or 0) / delivered if delivered else 0.0),
        "governance_forward_latency_seconds_max_5m": (
            "Longest time from commit to upstream acceptance over the last 5 minutes", float(latency_max or 0)),
    }


def events_seen(engine: Engine, source_id: str, window: str) -> list[dict[str, Any]]:
    """Per (kind, event): counts by outcome and whether the event is planned, over the window."""
    since = int(time.time() // 60) - WINDOWS[window]
    table = EventCountRow.__table__.c  # type: ignore[attr-defined]
    query = (
        select(table.kind, table.event, table.planned, table.outcome, func.sum(table.count))
        .where(table.source_id == source_id, table.minute > since)
        .group_by(table.kind, table.event, table.planned, table.outcome)
    )
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    with engine.connect() as conn:
        for kind, event, planned, outcome, count in conn.execute(query):
            entry = rows.setdefault((kind, event), {"kind": kind, "event": event, "planned": bool(planned),
                                                    "total": 0, "outcomes": {}})
            entry["planned"] = entry["planned"] and bool(planned)
            entry["outcomes"][outcome] = entry["outcomes"].get(outcome, 0) + int(count)
            entry["total"] += int(count)
    return sorted(rows.values(), key=lambda r: (-r["total"], r["kind"], r["event"]))


def violations_grouped(engine: Engine, source_id: str, window: str) -> list[dict[str, Any]]:
    since = int(time.time() // 60) - WINDOWS[window]
    table = ViolationCountRow.__table__.c  # type: ignore[attr-defined]
    query = (
        select(table.event, table.field, table.type, func.sum(table.count))
        .where(table.source_id == source_id, table.minute > since, table.type != EVENTS_WITH_VIOLATIONS)
        .group_by(table.event, table.field, table.type)
    )
    with engine.connect() as conn:
        rows = [{"event": e, "field": f, "type": t, "count": int(n)} for e, f, t, n in conn.execute(query)]
    return sorted(rows, key=lambda r: (-r["count"], r["event"], r["field"]))
