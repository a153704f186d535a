"""Suppressed users at the ingestion routes, on both backends: answered 200, counted ``suppressed`` and
stored nowhere (outbox, quarantine, samples, dedupe), in every scope, linked ids included, lifted by
UNSUPPRESS; each change in force within the refresh interval."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from governance.proxy.dedupe import WINDOW_SQL, compact_key
from governance.proxy.tables import EventCountRow
from tests.conftest import wait_until
from tests.privacy.conftest import PLAN, held, payloads


def source(client: TestClient, name: str) -> tuple[str, str]:
    created = client.post("/api/v1/sources", json={"name": name, "plan": "shop"}).json()
    assert wait_until(lambda: client.post("/v1/validate", json={"writeKey": created["write_key"], "type": "track",
                                                                  "event": "x", "userId": "u"}).status_code == 200)
    return created["id"], created["write_key"]


def send(client: TestClient, key: str, *messages: dict[str, Any]) -> None:
    answer = client.post("/v1/batch", json={"writeKey": key, "batch": list(messages)})
    assert answer.status_code == 200 and answer.json() == {"success": True}, answer.text


def outcome(client: TestClient, key: str, message: dict[str, Any]) -> str:
    return str(client.post("/v1/validate", json={"writeKey": key, **message}).json()["verdicts"][0]["outcome"])


def regulate(client: TestClient, kind: str, subjects: list[str], **extra: Any) -> float:
    answer = client.post("/api/v1/regulations", json={"regulationType": kind, "subjectIds": subjects, **extra})
    assert answer.status_code == 201, answer.text
    return time.monotonic()


def counts(client: TestClient, source_id: str) -> dict[tuple[str, str], int]:
    t = EventCountRow.__table__  # type: ignore[attr-defined]
    with client.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        query = (select(t.c.outcome, t.c.event, func.sum(t.c.count)).where(t.c.source_id == source_id)
                 .group_by(t.c.outcome, t.c.event))
        return {(o, e): int(n) for o, e, n in conn.execute(query)}


def order(user: str, n: int, **extra: Any) -> dict[str, Any]:
    return {"type": "track", "event": "Order Completed", "userId": user, "messageId": f"{user}-{n}",
            "properties": {"order_id": f"o-{n}"}, **extra}


def test_a_suppressed_user_is_answered_200_and_stored_nowhere(client: TestClient) -> None:
    web, key = source(client, "web")
    started = regulate(client, "SUPPRESS_ONLY", ["u-forget"])
    assert wait_until(lambda: outcome(client, key, order("u-forget", 0)) == "suppressed", timeout=1.5)
    took = time.monotonic() - started
    send(client, key, order("u-forget", 1), order("u-keep", 1),
         {"type": "track", "userId": "u-forget", "messageId": "bad-1"},  # malformed: would be quarantined
         {"type": "track", "event": "Unplanned Thing", "userId": "u-forget", "messageId": "u-forget-2"},
         {"type": "identify", "userId": "u-forget", "anonymousId": "anon-1", "traits": {"email": "f@example.com"}})
    assert held(client.app.state.engine, "u-forget") == dict.fromkeys(held(client.app.state.engine, "x"), 0)
    assert held(client.app.state.engine, "anon-1")["outbox"] == 0  # the identify that links anon-1 was suppressed
    assert held(client.app.state.engine, "u-keep")["outbox"] == 1
    assert counts(client, web)[("suppressed", "")] == 4  # counted under no event name: nothing of them is kept
    with client.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        keys = {bytes(r[0]) for r in conn.execute(text(WINDOW_SQL))}  # every level of the window
    assert keys == {compact_key(web, "u-keep-1")}  # never recorded as seen: nothing of a suppressed event is written
    events = client.get("/api/v1/sources/web/events").json()
    assert sum(e["outcomes"].get("suppressed", 0) for e in events["data"]) == 4
    assert took < 1.5


def test_anonymous_subjects_and_links(client: TestClient) -> None:
    _, key = source(client, "web")
    regulate(client, "SUPPRESS_ONLY", ["anon-9"])
    assert wait_until(lambda: outcome(client, key, {"type": "page", "anonymousId": "anon-9"}) == "suppressed",
                      timeout=1.5)
    assert outcome(client, key, {"type": "identify", "userId": "u-new", "anonymousId": "anon-9"}) == "suppressed"
    assert outcome(client, key, {"type": "alias", "userId": "u-new", "previousId": "anon-9"}) == "suppressed"
    assert outcome(client, key, {"type": "identify", "userId": "u-new", "anonymousId": "anon-8"}) == "forwarded"


def test_scopes_and_unsuppress(client: TestClient) -> None:
    web, web_key = source(client, "web")
    _, app_key = source(client, "app")
    regulate(client, "SUPPRESS_ONLY", ["u-web"], sourceIds=["web"])
    assert wait_until(lambda: outcome(client, web_key, order("u-web", 1)) == "suppressed", timeout=1.5)
    assert outcome(client, app_key, order("u-web", 1)) == "forwarded"  # another source collects as before
    regulate(client, "SUPPRESS_ONLY", ["u-all"])
    assert wait_until(lambda: outcome(client, app_key, order("u-all", 1)) == "suppressed", timeout=1.5)
    assert outcome(client, web_key, order("u-all", 1)) == "suppressed"
    regulate(client, "UNSUPPRESS", ["u-all", "u-web"])
    assert wait_until(lambda: outcome(client, web_key, order("u-web", 2)) == "forwarded", timeout=1.5)
    assert outcome(client, app_key, order("u-all", 2)) == "forwarded"
    send(client, web_key, order("u-all", 3))
    assert [p["userId"] for p in payloads(client.app.state.engine, "outbox")] == ["u-all"]  # collected again
    assert counts(client, web).get(("suppressed", ""), 0) == 0  # /v1/validate stores and counts nothing


def test_a_plan_publish_does_not_rebuild_the_suppressions(client: TestClient) -> None:
    runtime = client.app.state.proxy.runtime  # type: ignore[attr-defined]
    regulate(client, "SUPPRESS_ONLY", ["u-1"])
    assert wait_until(lambda: runtime.suppressions.current.count == 1, timeout=1.5)
    rebuilds, seq = runtime.suppressions.rebuilds, runtime.seq
    draft = client.put("/api/v1/plans/shop/draft", json={**PLAN, "description": "v2"},
                       headers={"If-Match": client.get("/api/v1/plans/shop/draft").headers["etag"]})
    assert draft.status_code == 200, draft.text
    assert client.post("/api/v1/plans/shop/versions", json={}).status_code == 201
    assert wait_until(lambda: runtime.seq != seq, timeout=1.5)  # the plan was reloaded ...
    regulate(client, "SUPPRESS_ONLY", ["u-2"])
    assert wait_until(lambda: runtime.suppressions.current.count == 2, timeout=1.5)
    assert runtime.suppressions.rebuilds == rebuilds  # ... and the suppressions only took the new row


def test_single_calls_and_oversized_or_malformed_events_of_a_suppressed_user(client: TestClient) -> None:
    web, key = source(client, "web")
    regulate(client, "SUPPRESS_ONLY", ["u-forget"])
    assert wait_until(lambda: outcome(client, key, order("u-forget", 0)) == "suppressed", timeout=1.5)
    single = client.post("/v1/track", json={"writeKey": key, **order("u-forget", 1)})
    assert single.status_code == 200, single.text
    big = client.post("/v1/track", json={"writeKey": key, "userId": "u-forget", "event": "Order Completed",
                                          "properties": {"blob": "x" * 40_000}})
    assert big.status_code == 200  # not 413: nothing of it is judged, so nothing to refuse
    bad = client.post("/v1/identify", json={"writeKey": key, "userId": "u-forget", "traits": "not an object"})
    assert bad.status_code == 200
    assert held(client.app.state.engine, "u-forget") == dict.fromkeys(held(client.app.state.engine, "x"), 0)
    assert counts(client, web) == {("suppressed", ""): 3}
