"""The first-alert goals, end to end with the defaults (issue 13).

A real app (the proxy and the REST API in-process), the worker's own jobs (``check_cycle_job`` every
15 s and ``dispatch_job`` every 2 s, on their clock-aligned ticks) driven by an injected clock, a
real SMTP server (aiosmtpd) and a real webhook receiver on 127.0.0.1 whose Standard Webhooks
signatures are verified with the official package. Every setting is the default except where the
servers are. Two weeks of history and the traffic the proxy would have counted over the next 40
minutes are stored as its counters; the unplanned event and the Great Expectations traffic go
through the proxy itself.

    goal                                      measured from                    to
    unplanned event: first notice <= 60 s     the POST that sent it            the webhook
    violation burst (30 % of 600/h) <= 5 min  the burst's first minute         the webhook
    silence of a 120/h event <= 20 min        the first minute without it      the webhook
    resolve notices <= 10 min                 the recovery                     the resolved webhook
"""

from __future__ import annotations

import base64
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlmodel import Session, select
from standardwebhooks.webhooks import Webhook

from governance.alerts import config
from governance.app import create_app
from governance.clock import ManualClock, epoch_minute
from governance.db import write_session, writer
from governance.proxy.tables import EventSampleRow, ViolationCountRow
from governance.worker import jobs
from tests.alerts.conftest import StoringHandler, free_port, start_receiver, stop_receiver
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.quality.test_checks_db import insert_counts

pytest.importorskip("aiosmtpd")
from aiosmtpd.controller import Controller

PLAN: dict[str, Any] = {
    "name": "shop", "owner": "data@example.com",
    "events": {
        "Order Completed": {"owner": "checkout@example.com",
                            "properties": {"order_id": {"type": "string", "required": True}}},
        "Product Viewed": {"owner": "catalog@example.com", "properties": {}},
        "Checkout Started": {"owner": "payments@example.com", "properties": {"currency": {"type": "string"}},
                             "expectations": [{"type": "expect_column_values_to_be_in_set",
                                               "column": "properties.currency", "value_set": ["USD", "EUR"],
                                               "mostly": 0.95}]},
    },
}
BURST, BURST_END = 5, 15  # minutes after the start: 30 % of Order Completed violate
SAMPLER_SEED = 20261201
QUIET, BACK = 10, 35  # Product Viewed (120/h) stops, and comes back


@dataclass
class World:
    client: TestClient
    engine: Any
    settings: Any
    clock: ManualClock
    start: datetime  # the minute the stored traffic's "now" begins
    secret: str
    receiver: Any
    smtp: StoringHandler
    seen: list[tuple[datetime, dict[str, Any]]] = field(default_factory=list)  # (clock time, webhook body)

    def run_until(self, until: datetime, stop: Any = None) -> None:
        """Tick the worker's jobs second by second on their aligned slots, as APScheduler would."""
        while self.clock.now() < until:
            self.clock.advance(1)
            second = int(self.clock.now().timestamp())
            if second % self.settings.fast_interval_s == 0:
                jobs.check_cycle_job(self.engine, self.settings, "e2e", self.clock)
            if second % int(self.settings.scheduler_poll_s) == 0:
                jobs.dispatch_job(self.engine, self.settings, "e2e", self.clock)
                for request in self.receiver.requests[len(self.seen):]:
                    body = Webhook(self.secret).verify(request.body, request.headers)  # the official package
                    self.seen.append((self.clock.now(), body["data"]))  # {"type", "timestamp", "data"}
            if stop is not None and stop():
                return

    def after(self, kind: str, status: str, minutes: int, event: str | None) -> float:
        """Minutes from ``minutes`` after the start to the first such webhook (inf: none)."""
        at = self.first(kind, status, event)
        return float("inf") if at is None else (at - self.start).total_seconds() / 60 - minutes

    def first(self, kind: str, status: str = "firing", event: str | None = None) -> datetime | None:
        for at, body in self.seen:
            if body["check_kind"] == kind and body["status"] == status and event in (None, body["event"]):
                return at
        return None


def _history(engine: Any, source_id: str, start: int) -> None:
    """Two weeks before ``start`` and 45 minutes after it, as the proxy counts them."""
    rng = np.random.default_rng(13)
    before, after = 14 * 1440, 45
    rates = np.array([10.0, 2.0, 1.0])[:, None]  # 600/h, 120/h, 60/h
    counts = rng.poisson(rates, (3, before + after)).astype(np.int64)
    counts[1, before + QUIET : before + BACK] = 0
    names = ["Order Completed", "Product Viewed", "Checkout Started"]
    insert_counts(engine, source_id, names, counts, base=start - before)
    bad = rng.binomial(counts[0, before + BURST : before + BURST_END], 0.3)
    with writer(engine).begin() as conn:
        conn.execute(insert(ViolationCountRow.__table__), [  # type: ignore[attr-defined]
            {"minute": start + BURST + i, "source_id": source_id, "event": "Order Completed", "field": field,
             "type": vtype, "count": int(n)} for i, n in enumerate(bad) if n
            for field, vtype in (("", "*"), ("properties.order_id", "required_missing"))])


@pytest.fixture
def world(sqlite_url: str) -> Iterator[World]:
    handler = StoringHandler()
    smtp = Controller(handler, hostname="127.0.0.1", port=free_port())
    smtp.start()
    receiver, thread = start_receiver()
    settings = make_settings(sqlite_url, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_starttls=False,
                             smtp_from="governance@example.com", webhook_allowed_networks=["127.0.0.0/8"])
    app = create_app(settings)
    with TestClient(app, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as client:
        assert client.post("/api/v1/plans", json=PLAN).status_code == 201
        assert client.post("/api/v1/plans/shop/versions", json={}).status_code == 201
        source = client.post("/api/v1/sources", json={"name": "web", "plan": "shop"}).json()
        client.app.state.proxy.runtime.reload()
        # the sampler keeps each event with chance per_minute / n: a fixed seed makes the run repeatable
        client.app.state.proxy.store.samples._random = random.Random(SAMPLER_SEED).random
        engine = client.app.state.engine
        now = datetime.now(UTC)
        with write_session(engine) as session:
            hook, secret = config.create_channel(session, name="hook", kind="webhook", config={"url": receiver.url},
                                                 enabled=True, actor="test", now=now)
            mail, _ = config.create_channel(session, name="owners", kind="email", config={"to": ["owner"]},
                                            enabled=True, actor="test", now=now)
            config.create_rule(session, name="all", matchers={}, channels=[hook.id, mail.id], enabled=True,
                               actor="test", now=now)
        assert secret is not None
        start = epoch_minute(now)
        _history(engine, source["id"], start)
        client.headers["Authorization"] = "Basic " + base64.b64encode(f"{source['write_key']}:".encode()).decode()
        yield World(client, engine, settings, ManualClock(now), datetime.fromtimestamp(start * 60, UTC), secret,
                    receiver, handler)
    smtp.stop()
    stop_receiver(receiver, thread)


def _send(client: TestClient, events: list[dict[str, Any]]) -> None:
    response = client.post("/v1/batch", json={"batch": events})
    assert response.status_code == 200, response.text


def test_first_alerts_with_the_defaults(world: World) -> None:
    started = time.perf_counter()
    # the unplanned event and Checkout Started's minute: 40 good events, then 20 with an unknown currency
    sent = world.clock.now()
    _send(world.client, [{"type": "track", "event": "Completed Ordr", "userId": "u1", "messageId": "typo-1"}])
    good = [{"type": "track", "event": "Checkout Started", "userId": f"u{i}", "messageId": f"good-{i}",
             "properties": {"currency": "USD"}} for i in range(40)]
    bad = [{"type": "track", "event": "Checkout Started", "userId": f"v{i}", "messageId": f"bad-{i}",
            "properties": {"currency": "XXX"}} for i in range(20)]
    for chunk in range(0, 60, 10):
        _send(world.client, (good + bad)[chunk : chunk + 10])
    world.run_until(sent + timedelta(minutes=2), stop=lambda: world.first("new_unplanned"))
    unplanned = world.first("new_unplanned")
    assert unplanned is not None and (unplanned - sent).total_seconds() <= 60, world.seen
    assert any(m["Subject"].endswith("Unplanned event 'Completed Ordr' on web") for _, _, m in world.smtp.messages)

    world.run_until(world.start + timedelta(minutes=BACK + 10))
    took = {what: world.after(kind, status, at, event) for what, (kind, status, at, event) in {
        "burst": ("violation_rate", "firing", BURST, None), "burst resolved": ("violation_rate", "resolved", BURST_END,
        None), "silence": ("silence", "firing", QUIET, "Product Viewed"),
        "silence resolved": ("silence", "resolved", BACK, "Product Viewed")}.items()}
    assert took["burst"] <= 5 and took["silence"] <= 20, took  # minutes
    assert took["burst resolved"] <= 10 and took["silence resolved"] <= 10, took
    unplanned_resolved = world.first("new_unplanned", "resolved")
    assert unplanned_resolved is not None and unplanned_resolved - sent <= timedelta(minutes=1 + 10)

    # Great Expectations saw the bad events that came after the good ones in their minute
    with Session(world.engine) as session:
        sampled = [orjson.loads(r.payload)["messageId"] for r in session.exec(
            select(EventSampleRow).where(EventSampleRow.event == "Checkout Started")).all()]
    assert any(m.startswith("bad-") for m in sampled) and len(sampled) < 60
    gx = world.first("expectations", event="Checkout Started")
    assert gx is not None
    [body] = [b for _, b in world.seen if b["check_kind"] == "expectations" and b["status"] == "firing"]
    assert "properties.currency" in body["summary"]
    owners = {tuple(rcpt) for _, rcpt, _ in world.smtp.messages}
    assert {("checkout@example.com",), ("catalog@example.com",), ("payments@example.com",)} <= owners
    print(f"\nfirst alerts: unplanned {(unplanned - sent).total_seconds():.0f} s; minutes: {took}; "
          f"{time.perf_counter() - started:.0f} s")
