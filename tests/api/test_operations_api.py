"""The REST routes behind the console's operations pages, on both backends: forwarding per source
(outbox, retries, the last error, dead letters), the quarantine and the dead letter filtered by time,
each replay's outcome, the audit of replays and test alerts, and the audit log's filters."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from governance.proxy.forwarder import Forwarder
from tests.conftest import wait_until

PLAN = {"name": "shop", "events": {"Product Viewed": {"properties": {"product_id": {"type": "string"}}}}}
SECRET_BODY = b"internal stack trace: db password hunter2"


class Upstream:
    """A /v1/batch receiver on 127.0.0.1 answering ``status`` with a body an operator must never see."""

    def __init__(self) -> None:
        self.status = 200
        self.received: list[bytes] = []
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                upstream.received.append(self.rfile.read(int(self.headers.get("content-length", "0"))))
                self.send_response(upstream.status)
                self.send_header("content-length", str(len(SECRET_BODY)))
                self.end_headers()
                self.wfile.write(SECRET_BODY)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    up = Upstream()
    yield up
    up.server.shutdown()
    up.server.server_close()


def _source(client: Any, upstream_url: str | None, **settings: Any) -> str:
    assert client.post("/api/v1/plans", json=PLAN).status_code == 201
    assert client.post("/api/v1/plans/shop/versions").status_code == 201
    created = client.post("/api/v1/sources", json={"name": "web", "plan": "shop", "upstream_url": upstream_url})
    assert created.status_code == 201, created.text
    if settings:
        assert client.patch("/api/v1/sources/web/settings", json=settings).status_code == 200
    runtime = client.app.state.proxy.runtime
    key = created.json()["write_key"]
    assert wait_until(lambda: runtime.reload() is None and runtime.source_for_key(key) is not None, timeout=5)
    return str(key)


def _track(event: str, message_id: str) -> dict[str, Any]:
    return {"type": "track", "event": event, "userId": "u1", "messageId": message_id, "properties": {}}


def _send(client: Any, key: str, *events: dict[str, Any]) -> None:
    answer = client.post("/v1/batch", json={"batch": list(events)}, auth=(key, ""), headers={"Authorization": ""})
    assert answer.status_code == 200, answer.text


def test_forwarding_shows_the_outbox_retries_and_dead_letters_without_the_upstream_body(app_client, upstream) -> None:
    key = _source(app_client, upstream.url)
    _send(app_client, key, _track("Product Viewed", "f1"), _track("Product Viewed", "f2"))
    [web] = app_client.get("/api/v1/forwarding").json()["data"]
    assert (web["source"], web["outbox_depth"], web["retrying"], web["dead_letters"]) == ("web", 2, 0, 0)
    assert web["outbox_oldest_s"] >= 0 and web["last_error"] is None and web["upstream_configured"] is True
    forwarder = Forwarder(app_client.app.state.engine, app_client.app.state.settings)
    upstream.status = 503  # retryable: the events stay in the outbox with the error
    forwarder.run_once()
    web = app_client.get("/api/v1/forwarding", params={"source": "web"}).json()["data"][0]
    assert web["retrying"] == 2 and web["outbox_depth"] == 2
    assert web["last_error"]["where"] == "retrying" and web["last_error"]["status"] == 503
    assert "hunter2" not in str(web) and "503" in web["last_error"]["message"]
    _send(app_client, key, _track("Product Viewed", "f3"))
    upstream.status = 400  # refused: dead letters at once
    with app_client.app.state.engine.begin() as conn:  # make the retried rows due now
        conn.exec_driver_sql("UPDATE outbox SET next_attempt_at = created_at")
    forwarder.run_once()
    forwarder.close()
    web = app_client.get("/api/v1/forwarding").json()["data"][0]
    assert (web["outbox_depth"], web["dead_letters"]) == (0, 3)
    assert web["last_error"]["where"] == "dead_letter" and web["last_error"]["status"] == 400
    assert "hunter2" not in str(web)
    dead = app_client.get("/api/v1/dead-letter", params={"source": "web"}).json()
    assert dead["count"] == 3 and {d["status"] for d in dead["data"]} == {400}
    assert all("hunter2" not in d["reason"] and "400" in d["reason"] for d in dead["data"])


def test_quarantine_filters_by_time_and_a_replay_reports_each_event(app_client, upstream) -> None:
    key = _source(app_client, upstream.url, track={"allowUnplannedEvents": False})
    _send(app_client, key, _track("Coupon Applied", "q1"), _track("Wishlist Viewed", "q2"))
    now = datetime.now(UTC)
    listed = app_client.get("/api/v1/quarantine", params={"source": "web", "since": (now - timedelta(minutes=5))
                                                          .isoformat()}).json()
    assert listed.get("count") == 2, listed
    assert {q["reason"] for q in listed["data"]} == {"unplanned_event"}
    later = app_client.get("/api/v1/quarantine", params={"since": (now + timedelta(minutes=5)).isoformat()}).json()
    before = app_client.get("/api/v1/quarantine", params={"until": (now - timedelta(minutes=5)).isoformat()}).json()
    assert later["count"] == 0 and before["count"] == 0
    in_paris = (now - timedelta(minutes=5)).astimezone(ZoneInfo("Europe/Paris"))  # the same instant
    assert app_client.get("/api/v1/quarantine", params={"since": in_paris.isoformat()}).json()["count"] == 2
    etag = app_client.get("/api/v1/plans/shop/draft").headers["etag"]
    assert app_client.put("/api/v1/plans/shop/draft/events/Coupon Applied", json={"properties": {}},
                          headers={"If-Match": etag}).status_code == 200
    assert app_client.post("/api/v1/plans/shop/versions").status_code == 201
    replayed = app_client.post("/api/v1/quarantine/replay", json={"source": "web"}).json()
    assert (replayed["matched"], replayed["forwarded"], replayed["still_blocked"]) == (2, 1, 1)
    outcomes = {r["event"]: (r["outcome"], r["forwarded"]) for r in replayed["results"]}
    assert outcomes == {"Coupon Applied": ("forwarded", True),
                        "Wishlist Viewed": ("still_blocked:unplanned_event", False)}
    marked = app_client.get("/api/v1/quarantine", params={"include_replayed": True}).json()["data"]
    assert {q["event"]: q["replayed_at"] is not None for q in marked} == {"Coupon Applied": True,
                                                                          "Wishlist Viewed": False}
    assert app_client.get("/api/v1/quarantine").json()["count"] == 1  # the forwarded one is out of the default view
    nothing = app_client.post("/api/v1/quarantine/replay", json={"event": "No Such Event"}).json()
    assert nothing["matched"] == 0 and nothing["results"] == []
    assert app_client.post("/api/v1/quarantine/replay", json={"ids": []}).status_code == 422  # never "every event"
    empty, entry = app_client.get("/api/v1/audit", params={"action": "quarantine.replay"}).json()["data"]  # newest 1st
    source_id = app_client.get("/api/v1/sources/web").json()["id"]
    assert (entry["entity"], entry["entity_id"]) == ("quarantine", source_id)
    assert entry["details"]["forwarded"] == 1 and entry["details"]["filter"]["source"] == "web"
    assert len(entry["details"]["ids"]) == 2
    assert (empty["entity_id"], empty["details"]["matched"]) == ("*", 0)


def test_dead_letter_filters_by_time_and_a_replay_is_audited(app_client, upstream) -> None:
    key = _source(app_client, upstream.url)
    _send(app_client, key, _track("Product Viewed", "d1"))
    upstream.status = 422
    forwarder = Forwarder(app_client.app.state.engine, app_client.app.state.settings)
    forwarder.run_once()
    now = datetime.now(UTC)
    assert app_client.get("/api/v1/dead-letter", params={"since": (now + timedelta(minutes=1)).isoformat()}
                          ).json()["count"] == 0
    assert app_client.get("/api/v1/dead-letter", params={"since": (now - timedelta(minutes=1)).isoformat(),
                                                         "until": (now + timedelta(minutes=1)).isoformat()}
                          ).json()["count"] == 1
    future = app_client.post("/api/v1/dead-letter/replay", json={"since": (now + timedelta(minutes=1)).isoformat()})
    assert future.json() == {"requeued": 0}
    assert app_client.post("/api/v1/dead-letter/replay", json={"source": "web"}).json() == {"requeued": 1}
    upstream.status = 200
    forwarder.run_once()
    forwarder.close()
    assert b'"messageId":"d1"' in upstream.received[-1]
    entries = app_client.get("/api/v1/audit", params={"action": "dead_letter."}).json()["data"]
    assert [e["details"]["requeued"] for e in entries] == [1, 0]


def test_a_test_alert_is_audited_with_what_the_receiver_answered(app_client, upstream) -> None:
    made = app_client.post("/api/v1/alert-channels", json={"name": "hook", "kind": "webhook",
                                                           "config": {"url": upstream.url}})
    assert made.status_code == 201
    answer = app_client.post("/api/v1/alert-channels/hook/test").json()
    assert answer["ok"] is False and answer["error"]  # 127.0.0.1 is not an allowed network here
    [entry] = app_client.get("/api/v1/audit", params={"action": "channel.test"}).json()["data"]
    assert entry["entity_id"] == made.json()["id"] and entry["details"]["ok"] is False


def test_the_audit_log_filters_by_actor_action_and_time(app_client) -> None:
    viewer = app_client.post("/api/v1/tokens", json={"role": "editor", "name": "ed"}).json()
    as_editor = {"Authorization": f"Bearer {viewer['token']}"}
    assert app_client.post("/api/v1/plans", json=PLAN, headers=as_editor).status_code == 201
    mine = app_client.get("/api/v1/audit", params={"actor": f"token:{viewer['id']}"}).json()
    assert [e["action"] for e in mine["data"]] == ["plan.create"] and mine["count"] == 1
    tokens = app_client.get("/api/v1/audit", params={"action": "token."}).json()["data"]
    assert tokens and all(e["action"].startswith("token.") for e in tokens)
    exact = app_client.get("/api/v1/audit", params={"action": "token"}).json()
    assert exact["count"] == 0  # without the dot, the whole action
    now = datetime.now(UTC)
    assert app_client.get("/api/v1/audit", params={"since": (now + timedelta(minutes=1)).isoformat()}
                          ).json()["count"] == 0
    assert app_client.get("/api/v1/audit", params={"until": (now - timedelta(hours=1)).isoformat()}
                          ).json()["count"] == 0
    recent = app_client.get("/api/v1/audit", params={"since": (now - timedelta(minutes=1)).isoformat(),
                                                     "entity": "plan"}).json()
    assert [e["action"] for e in recent["data"]] == ["plan.create"]
    assert app_client.get("/api/v1/audit", params={"since": "yesterday"}).status_code == 422
