"""``regulation.created`` through the alert outbox to a real receiver on 127.0.0.1 (both backends):
signed as Standard Webhooks (checked with the official ``standardwebhooks`` package), retried with
the same ``webhook-id`` after a 5xx, and listed in the receipt."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import orjson
import pytest
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook

from governance.alerts.dispatcher import dispatch
from governance.clock import utcnow
from tests.alerts.conftest import Receiver
from tests.conftest import ADMIN_TOKEN, make_settings


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    from governance.app import create_app

    app = create_app(make_settings(database_url, webhook_allowed_networks=["127.0.0.0/8"]))
    with TestClient(app, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as c:
        yield c


def test_a_regulation_is_sent_on_signed_and_retried(client: TestClient, receiver: Receiver) -> None:
    hook = client.post("/api/v1/alert-channels", json={"name": "downstream", "kind": "webhook",
                                                       "config": {"url": receiver.url}})
    assert hook.status_code == 201, hook.text
    secret = hook.json()["secret"]
    web = client.post("/api/v1/sources", json={"name": "web"}).json()["id"]
    created = client.post("/api/v1/regulations", json={
        "regulationType": "SUPPRESS_WITH_DELETE", "subjectIds": ["u-forget", "anon-1"], "sourceIds": ["web"],
        "notify": ["downstream"]}).json()
    queued = created["receipt"]["steps"][-1]
    assert (queued["action"], queued["event_type"], queued["channels"]) == (
        "notification_queued", "regulation.created", ["downstream"])
    assert created["notify"] == [hook.json()["id"]]
    app = client.app  # type: ignore[attr-defined]
    receiver.status = 503  # the receiver is down: retried on the Standard Webhooks schedule
    now = utcnow()
    report = dispatch(app.state.engine, app.state.settings, now)
    assert report.failed == 1 and len(receiver.requests) == 1
    receiver.status = 200
    dispatch(app.state.engine, app.state.settings, now + timedelta(seconds=6))
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]  # receivers deduplicate on it
    body = Webhook(secret).verify(second.body, dict(second.headers))
    assert body["type"] == "regulation.created"
    assert body["data"] == {
        "id": created["id"], "regulationType": "SUPPRESS_WITH_DELETE", "subjectType": "USER_ID",
        "subjectIds": ["u-forget", "anon-1"], "sourceIds": [web], "createdAt": body["data"]["createdAt"],
        "url": f"http://127.0.0.1:8000/api/v1/regulations/{created['id']}"}
    assert orjson.loads(second.body) == body
    dispatch(app.state.engine, app.state.settings, now + timedelta(hours=1))
    assert len(receiver.requests) == 2  # delivered once: never sent again
