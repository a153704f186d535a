"""End to end with the defaults and a plan-level ``source_drop`` (opt-in): most events of a source
stopping together is one notification, its per-event alerts recorded as inhibited; one event
stopping on a healthy source still alerts on its own.

Everything is real but the clock: a SQLite file, the app's REST API, the worker's own jobs
(``check_cycle_job`` and ``dispatch_job``) driven by a ``ManualClock`` over two weeks of seeded
minute counters, an aiosmtpd server for the owners' email and a webhook receiver on 127.0.0.1
whose every body is verified with the ``standardwebhooks`` library. The plan declares
``source_drop`` with its default parameters; every other check is a default.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from standardwebhooks.webhooks import Webhook

from governance.alerts.tables import AlertHistoryRow, AlertRow
from governance.bench.synthetic import generate_traffic
from governance.clock import ManualClock, epoch_minute
from governance.worker.jobs import check_cycle_job, dispatch_job
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.quality.test_checks_db import SHOP, insert_counts

from .conftest import Receiver

DAY = 1440
ALONE = 13 * DAY + 480  # day 13, 08:00: one event stops for an hour on an otherwise healthy source
TOGETHER = ALONE + 150  # 10:30: four of the source's five events stop for an hour
EVENTS = ["Order Completed", "Product Viewed", "Cart Viewed", "Signed Up", "Checkout Started"]
STOPPED = ("Order Completed", "Product Viewed", "Checkout Started", "Signed Up")  # four of five
PLAN = {**SHOP, "checks": [{"kind": "source_drop"}],
        "events": {**SHOP["events"], "Signed Up": {}, "Checkout Started": {}}}


def _at(base: int, minute: int, second: int = 5) -> datetime:
    return datetime.fromtimestamp((base + minute) * 60 + second, UTC)


@pytest.mark.slow
def test_most_events_stopping_together_is_one_notification_and_one_event_alone_still_alerts(
        sqlite_url: str, receiver: Receiver, smtp_factory: Callable[..., Any]) -> None:
    from governance.app import create_app

    base = epoch_minute(datetime.now(UTC).replace(second=0, microsecond=0)) - 12 * DAY
    smtp, mailbox = smtp_factory()
    settings = make_settings(sqlite_url, webhook_allowed_networks=["127.0.0.0/8"], smtp_host="127.0.0.1",
                             smtp_port=smtp.port, smtp_starttls=False)
    with TestClient(create_app(settings), headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as client:
        engine = client.app.state.engine
        assert client.post("/api/v1/plans", json=PLAN).status_code == 201
        assert client.post("/api/v1/plans/shop/versions").status_code == 201
        source = client.post("/api/v1/sources", json={"name": "web", "plan": "shop"}).json()
        hook = client.post("/api/v1/alert-channels", json={"name": "ops", "kind": "webhook",
                                                           "config": {"url": receiver.url}}).json()
        client.post("/api/v1/alert-rules", json={"name": "ops", "channels": ["ops"]})
        owners = {"name": "owners", "kind": "email", "config": {"to": "owner"}}
        assert client.post("/api/v1/alert-channels", json=owners).status_code == 201
        refused = client.post("/api/v1/checks", json={"kind": "source_drop", "source": "web", "event": "Cart Viewed"})
        assert refused.status_code == 422 and "whole source" in refused.text

    traffic = generate_traffic(events=5, days=14, seed=7, min_rate=3000, max_rate=6000, anomaly_rates={},
                               keep_rate=False)
    for name in STOPPED:
        traffic.counts[EVENTS.index(name), TOGETHER : TOGETHER + 60] = 0
    traffic.counts[EVENTS.index("Cart Viewed"), ALONE : ALONE + 60] = 0
    insert_counts(engine, source["id"], EVENTS, traffic.counts, base=base)
    clock = ManualClock(_at(base, ALONE - 5))
    verify = Webhook(hook["secret"])
    seen: list[tuple[int, dict[str, Any]]] = []
    minutes = [*range(ALONE - 5, ALONE + 30), *range(ALONE + 30, TOGETHER - 5, 5), *range(TOGETHER - 5, TOGETHER + 30)]
    for minute in minutes:
        clock.set(_at(base, minute))
        check_cycle_job(engine, settings, "e2e", clock)
        dispatch_job(engine, settings, "e2e", clock)
        for request in receiver.requests[len(seen):]:
            seen.append((minute, verify.verify(request.body, request.headers)))

    firing = [(m, b["data"]) for m, b in seen if b["type"] == "alert.firing"]
    together = [(m, d) for m, d in firing if m >= TOGETHER]
    assert len(together) == 1, [(m, d["title"]) for m, d in firing]  # one notification for the source
    minute, data = together[0]
    assert TOGETHER + 5 <= minute <= TOGETHER + 18 and data["source"] == "web"  # before the events' silences
    assert [a["check_kind"] for a in data["alerts"]] == ["source_drop"], data["alerts"]
    with Session(engine) as session:
        alerts = list(session.exec(select(AlertRow)).all())
        during = [a for a in alerts if a.started_at >= _at(base, TOGETHER)]
        [broad] = [a for a in during if a.check_kind == "source_drop"]
        assert broad.event == "" and sorted(orjson.loads(broad.details)["low_events"]) == sorted(STOPPED)
        symptoms = [a for a in during if a is not broad]
        assert {a.event for a in symptoms} == set(STOPPED) and {"silence", "volume"} <= {a.check_kind for a in symptoms}
        rows = list(session.exec(select(AlertHistoryRow).where(AlertHistoryRow.action == "inhibited")).all())
        by = {h.alert_id: orjson.loads(h.details)["by"] for h in rows}
        for a in symptoms:  # recorded, firing or resolved, and inhibited by the source's alert: nothing dropped
            assert {"alert_id": broad.id, "rule": "source drop"} in by[a.id], (a.check_kind, a.event)
        alone = [a for a in alerts if a.started_at < _at(base, TOGETHER)]
        assert alone and {a.event for a in alone} == {"Cart Viewed"}  # no source_drop for one event of five
    lone = [(m, d) for m, d in firing if m < TOGETHER]
    assert len(lone) == 1 and lone[0][0] <= ALONE + 25, [(m, d["title"]) for m, d in lone]  # it still alerts
    assert {a["event"] for a in lone[0][1]["alerts"]} == {"Cart Viewed"}

    subjects = [msg["Subject"] for _, _, msg in mailbox.messages if not msg["Subject"].startswith("[governance] RES")]
    assert len(subjects) == 2 and "Source drop" in subjects[1], subjects  # the plan's owner: the event, then the source
