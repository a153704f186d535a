"""End to end with the defaults: one outage is one notification, and a maintenance window silences.

Everything is real but the clock: a SQLite file, the app's REST API (channels, a source-level
silence check and a maintenance window declared ahead of time), the worker's own jobs
(``check_cycle_job`` and ``dispatch_job``) driven by a ``ManualClock`` over two weeks of seeded
minute counters, an aiosmtpd server for the owner's email and a webhook receiver on 127.0.0.1
whose every body is verified with the ``standardwebhooks`` library.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
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
from tests.quality.test_checks_db import EVENTS, SHOP, insert_counts

from .conftest import Receiver

DAY = 1440
OUTAGE = 13 * DAY + 600  # day 13, 10:00: every event of the source stops for an hour
WINDOW = OUTAGE + 180  # a maintenance window declared ahead of time, 13:00-14:00
STOPS = (OUTAGE, OUTAGE + 60), (WINDOW + 5, WINDOW + 70)  # the second stop outlasts the window by 10 min


def _base() -> int:
    """Synthetic minute 0, five weeks ahead, so the window is in the future when the API is told of it."""
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=35)
    return epoch_minute(start) - 12 * DAY


@pytest.mark.slow
def test_one_outage_one_notification_and_a_maintenance_window_silences(sqlite_url: str, receiver: Receiver,
                                                                       smtp_factory: Callable[..., Any]) -> None:
    """Long by nature: four hours of worker cycles, one a minute, over two weeks of counters."""
    from governance.app import create_app

    base = _base()
    smtp, mailbox = smtp_factory()
    settings = make_settings(sqlite_url, webhook_allowed_networks=["127.0.0.0/8"], smtp_host="127.0.0.1",
                             smtp_port=smtp.port, smtp_starttls=False)
    with TestClient(create_app(settings), headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as client:
        engine = client.app.state.engine
        assert client.post("/api/v1/plans", json=SHOP).status_code == 201
        assert client.post("/api/v1/plans/shop/versions").status_code == 201
        source = client.post("/api/v1/sources", json={"name": "web", "plan": "shop"}).json()
        hook = client.post("/api/v1/alert-channels", json={"name": "ops", "kind": "webhook",
                                                           "config": {"url": receiver.url}}).json()
        client.post("/api/v1/alert-rules", json={"name": "ops", "channels": ["ops"]})
        owners = {"name": "owners", "kind": "email", "config": {"to": "owner", "timezone": "Europe/Paris"}}
        assert client.post("/api/v1/alert-channels", json=owners).status_code == 201
        rest_check = {"kind": "silence", "source": "web", "event": ""}  # the source as a whole
        assert client.post("/api/v1/checks", json=rest_check).status_code == 201
        window = {"matchers": ["source=web"], "comment": "planned database maintenance",
                  "starts_at": _at(base, WINDOW).isoformat(), "ends_at": _at(base, WINDOW + 60).isoformat()}
        declared = client.post("/api/v1/silences", json=window)
        assert declared.status_code == 201 and declared.json()["state"] == "pending", declared.text

    traffic = generate_traffic(events=3, days=14, seed=7, min_rate=3000, max_rate=6000, anomaly_rates={},
                               keep_rate=False)
    for start, end in STOPS:
        traffic.counts[:, start:end] = 0
    insert_counts(engine, source["id"], EVENTS, traffic.counts, base=base)
    clock = ManualClock(_at(base, OUTAGE - 10))
    verify = Webhook(hook["secret"])
    seen: list[tuple[int, dict[str, Any]]] = []
    for minute in [*range(OUTAGE - 10, OUTAGE + 100), *range(WINDOW - 5, WINDOW + 100)]:
        clock.set(_at(base, minute))
        check_cycle_job(engine, settings, "e2e", clock)
        dispatch_job(engine, settings, "e2e", clock)
        for request in receiver.requests[len(seen):]:
            seen.append((minute, verify.verify(request.body, request.headers)))

    firing = [(m, body) for m, body in seen if body["type"] == "alert.firing"]
    outage = [(m, b) for m, b in firing if m < WINDOW]
    assert len(outage) == 1, [(m, b["data"]["title"]) for m, b in firing]  # the triple (and more): one notification
    minute, first = outage[0]
    assert OUTAGE + 5 <= minute <= OUTAGE + 20 and first["data"]["source"] == "web"
    assert first["data"]["since"] <= _at(base, OUTAGE + 1).isoformat().replace("+00:00", "Z")  # the onset
    with Session(engine) as session:
        alerts = list(session.exec(select(AlertRow)).all())
        during = [a for a in alerts if _at(base, OUTAGE) <= a.started_at < _at(base, WINDOW)]
        kinds = {(a.check_kind, a.event) for a in during}
        assert ("silence", "") in kinds and ("silence", "Order Completed") in kinds  # the REST check and a default
        assert any(k == "volume" for k, _ in kinds)  # and a volume drop: the triple
        muted = {a.id for a in during if a.inhibited_by or a.root_id}
        assert len(muted) >= len(during) - len(first["data"]["alerts"]), "every other alert inhibited or correlated"

        inside = [a for a in alerts if _at(base, WINDOW) <= a.started_at < _at(base, WINDOW + 60)]
        assert inside, "the outage inside the window still raised alerts"
        history = list(session.exec(select(AlertHistoryRow).where(AlertHistoryRow.action == "silenced")).all())
        silenced = {h.alert_id for h in history
                    if orjson.loads(h.details)["silences"][0]["id"] == declared.json()["id"]}
        assert {a.id for a in inside} <= silenced  # recorded as silenced by that window, nothing dropped
    inside_window = [m for m, _ in firing if WINDOW <= m < WINDOW + 60]
    assert inside_window == []  # nothing notified during the window
    after = [(m, b) for m, b in firing if m >= WINDOW + 60]
    assert len(after) == 1 and after[0][0] <= WINDOW + 61  # still firing as it ends: notified at once
    resolved = [(m, b) for m, b in seen if b["type"] == "alert.resolved"]
    assert resolved and all(b["data"]["resolved_at"] and b["data"]["duration_s"] for _, b in resolved)

    emails = [msg for _, _, msg in mailbox.messages]
    subjects = [m["Subject"] for m in emails]
    assert sum(not s.startswith("[governance] RESOLVED") for s in subjects) == 2, subjects  # outage, after window
    body = emails[0].get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "CET" in body or "CEST" in body  # the owner's zone, not raw ISO
    assert ".000" not in body and "+00:00" not in body


def _at(base: int, minute: int, second: int = 5) -> datetime:
    return datetime.fromtimestamp((base + minute) * 60 + second, UTC)
