"""Shared steps of the ingestion tests: a plan and sources through the REST API, messages, draining."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import select

from governance.proxy.forwarder import Forwarder
from governance.proxy.outbox_batch import split
from governance.proxy.tables import EventCountRow, OutboxRow, QuarantineRow

PLAN = {
    "name": "shop",
    "events": {
        "Order Completed": {"properties": {"order_id": {"type": "string", "required": True},
                                           "total": {"type": "number", "minimum": 0}}},
        "Product Viewed": {"properties": {"product_id": {"type": "string"}}},
    },
}
STRICT = {"track": {"allowUnplannedEvents": False, "allowEventOnViolations": False,
                    "allowUnplannedEventProperties": False, "allowPropertiesOnViolations": False,
                    "commonEventOnViolations": "BLOCK"}}


class Clock:
    """An injected clock for the forwarder (to the millisecond, as the wire's timestamps are)."""

    def __init__(self, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        self.now = now.replace(microsecond=now.microsecond // 1000 * 1000)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def publish_plan(client: Any) -> None:
    assert client.post("/api/v1/plans", json=PLAN).status_code == 201
    assert client.post("/api/v1/plans/shop/versions").status_code == 201


def add_source(client: Any, name: str, upstream_url: str | None, *, plan: str | None = "shop",
               settings: dict[str, Any] | None = None, upstream_key: str = "UP-KEY") -> tuple[str, str]:
    """(source id, write key) of a new source, loaded into the proxy."""
    body: dict[str, Any] = {"name": name, "plan": plan, "upstream_url": upstream_url,
                            "upstream_write_key": upstream_key}
    if settings is not None:
        body["settings"] = settings
    created = client.post("/api/v1/sources", json=body)
    assert created.status_code == 201, created.text
    client.app.state.proxy.runtime.reload()
    return str(created.json()["id"]), str(created.json()["write_key"])


def track(event: str, message_id: str, **properties: Any) -> dict[str, Any]:
    return {"type": "track", "event": event, "userId": "u1", "messageId": message_id, "properties": properties}


def drain(client: Any, clock: Clock | None = None, rounds: int = 20) -> None:
    forwarder = Forwarder(client.app.state.engine, client.app.state.settings, clock=clock)
    try:
        for _ in range(rounds):
            if not forwarder.run_once():
                break
    finally:
        forwarder.close()


def outbox(client: Any) -> list[dict[str, Any]]:
    with client.app.state.engine.connect() as conn:
        rows = conn.execute(select(OutboxRow.__table__).order_by(OutboxRow.id))  # type: ignore[attr-defined]
        return [{"source_id": r.source_id, **orjson.loads(p)} for r in rows for p in split(r.payload)]


def quarantine(client: Any) -> dict[str, tuple[str, str]]:
    """messageId -> (source id, reason)."""
    with client.app.state.engine.connect() as conn:
        rows = conn.execute(select(QuarantineRow.__table__))  # type: ignore[attr-defined]
        return {r.message_id: (r.source_id, r.reason) for r in rows}


def outcome_counts(client: Any, source_id: str) -> dict[str, int]:
    with client.app.state.engine.connect() as conn:
        rows = conn.execute(select(EventCountRow.__table__).where(EventCountRow.source_id == source_id))  # type: ignore[attr-defined]
        counts: dict[str, int] = {}
        for r in rows:
            counts[r.outcome] = counts.get(r.outcome, 0) + r.count
        return counts
