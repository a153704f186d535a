"""Deleting a user's events from every store, on both backends: through the real ingestion routes,
a real forwarder against a recording upstream (dead letters), and the worker's ``run_due``; the
receipt's counts against what the stores held, leases respected, scopes, the ledger's purge counts."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from governance.clock import utcnow
from governance.privacy.runner import run_due
from governance.proxy.forwarder import Forwarder
from governance.proxy.tables import OutboxRow, PurgeCountRow
from tests.conftest import wait_until
from tests.privacy.conftest import STORES, held, payloads
from tests.proxy.conftest import Upstream

LATER = timedelta(seconds=10)  # past the settle time: every web process enforces the suppression


def source(client: TestClient, name: str, upstream: str | None = None) -> tuple[str, str]:
    body = {"name": name, "plan": "shop", "upstream_url": upstream,
            "settings": {"track": {"allowUnplannedEvents": False}}}
    created = client.post("/api/v1/sources", json=body).json()
    probe = {"writeKey": created["write_key"], "type": "track", "event": "x", "userId": "u"}
    assert wait_until(lambda: client.post("/v1/validate", json=probe).status_code == 200)
    return created["id"], created["write_key"]


def send(client: TestClient, key: str, *messages: dict[str, Any]) -> None:
    answer = client.post("/v1/batch", json={"writeKey": key, "batch": list(messages)})
    assert answer.status_code == 200, answer.text


def traffic(user: str, n: int) -> list[dict[str, Any]]:
    """A forwarded event, a blocked one (unplanned), one with a violation (forwarded, sampled)."""
    return [
        {"type": "track", "event": "Order Completed", "userId": user, "messageId": f"{user}-ok-{n}",
         "properties": {"order_id": f"o-{n}"}},
        {"type": "track", "event": "Unplanned", "userId": user, "messageId": f"{user}-blocked-{n}"},
        {"type": "track", "event": "Order Completed", "anonymousId": user, "messageId": f"{user}-bad-{n}",
         "properties": {"order_id": n}},
    ]


def regulate(client: TestClient, kind: str, subjects: list[str], **extra: Any) -> str:
    answer = client.post("/api/v1/regulations", json={"regulationType": kind, "subjectIds": subjects, **extra})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def run(client: TestClient, **options: Any) -> dict[str, Any]:
    app = client.app  # type: ignore[attr-defined]
    ran = run_due(app.state.engine, app.state.settings, clock=lambda: utcnow() + LATER, **options)
    assert ran is not None
    return dict(client.get(f"/api/v1/regulations/{ran}").json())


def purged(client: TestClient) -> dict[str, int]:
    t = PurgeCountRow.__table__  # type: ignore[attr-defined]
    with client.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        return {s: int(n) for s, n in conn.execute(select(t.c.store, func.sum(t.c.count)).group_by(t.c.store))}


def test_delete_empties_every_store_of_the_user_and_the_receipt_says_how_much(client: TestClient,
                                                                              upstream: Upstream) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    web, key = source(client, "web", upstream.url)
    upstream.status = 400  # the upstream refuses: the first batch is dead-lettered at once
    send(client, key, *traffic("u-forget", 1), *traffic("u-keep", 1))
    forwarder = Forwarder(engine, client.app.state.settings)  # type: ignore[attr-defined]
    assert forwarder.run_once() == 4
    forwarder.close()
    send(client, key, *traffic("u-forget", 2), *traffic("u-keep", 2))  # these wait in the outbox
    before = held(engine, "u-forget")
    assert all(before[store] for store in STORES), before  # something of u-forget in every store
    keep = held(engine, "u-keep")
    assert regulate(client, "SUPPRESS_WITH_DELETE", ["u-forget"]) and run(client) is not None
    done = client.get("/api/v1/regulations").json()["data"][0]
    assert done["overallStatus"] == "FINISHED" and done["finishedAt"] is not None
    assert done["receipt"]["deleted"] == before  # the receipt's counts match what the stores held
    assert held(engine, "u-forget") == dict.fromkeys(STORES, 0)
    assert held(engine, "u-keep") == keep
    actions = [s["action"] for s in done["receipt"]["steps"]]
    assert actions[0] == "suppressed" and actions[1] == "purge_started" and actions[-1] == "purge_finished"
    assert [s["store"] for s in done["receipt"]["steps"] if s["action"] == "deleted"] == list(STORES)
    assert purged(client) == {s: before[s] for s in ("outbox", "dead_letter", "quarantine")}  # the ledger's term
    audit = client.get("/api/v1/audit", params={"entity": "regulation"}).json()["data"]
    assert [a["action"] for a in audit] == ["regulation.finish", "regulation.create"]
    assert client.get("/api/v1/sources/web/events").json()["total"] > 0  # counters stay
    assert web


def test_a_leased_outbox_row_waits_for_its_forwarder(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    _, key = source(client, "web")
    send(client, key, *traffic("u-forget", 1))
    outbox = OutboxRow.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:  # a forwarder is sending it right now
        conn.execute(update(outbox).values(claimed_until=utcnow() + timedelta(minutes=5)))
    regulate(client, "DELETE_ONLY", ["u-forget"])

    def release() -> None:  # the delivery failed: the forwarder lets go, for a retry later
        time.sleep(1.5)
        with engine.begin() as conn:
            conn.execute(update(outbox).values(claimed_until=None))

    threading.Thread(target=release).start()
    done = run(client, outbox_wait_s=20)
    assert done["overallStatus"] == "FINISHED" and done["receipt"]["deleted"]["outbox"] == 2
    outbox_step = next(s for s in done["receipt"]["steps"] if s.get("store") == "outbox")
    assert (outbox_step["still_held"], outbox_step["left_outbox_meanwhile"]) == (0, 0)
    assert held(engine, "u-forget")["outbox"] == 0


def test_rows_still_held_end_in_partial_success_and_sent_ones_are_named(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    _, key = source(client, "web")
    send(client, key, *traffic("u-forget", 1))  # two requests: two outbox rows of two events each
    send(client, key, *traffic("u-forget", 2))
    outbox = OutboxRow.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(update(outbox).values(claimed_until=utcnow() + timedelta(minutes=5)))
        first = conn.execute(select(func.min(outbox.c.id))).scalar_one()
    regulate(client, "DELETE_ONLY", ["u-forget"])

    def deliver() -> None:  # the forwarder delivers one of them (and deletes it) while the purge waits
        time.sleep(1.0)
        with engine.begin() as conn:
            conn.execute(outbox.delete().where(outbox.c.id == first))

    threading.Thread(target=deliver).start()
    done = run(client, outbox_wait_s=2.5)
    assert done["overallStatus"] == "PARTIAL_SUCCESS"
    outbox_step = next(s for s in done["receipt"]["steps"] if s.get("store") == "outbox")
    # 4 events waiting, the 2 of the first row sent (counted in events, not rows)
    assert (outbox_step["still_held"], outbox_step["left_outbox_meanwhile"]) == (2, 2)
    assert done["receipt"]["left_outbox_meanwhile"] == 2


def test_delete_only_keeps_collecting_and_scopes_limit_the_purge(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    _, web_key = source(client, "web")
    app_id, app_key = source(client, "app")
    send(client, web_key, *traffic("u-forget", 1))
    send(client, app_key, *traffic("u-forget", 2))
    regulate(client, "DELETE_ONLY", ["u-forget"], sourceIds=["app"])
    done = run(client)
    assert done["overallStatus"] == "FINISHED"
    left = [p for store in ("outbox", "quarantine") for p in payloads(engine, store)]
    assert {p["messageId"] for p in left} == {"u-forget-ok-1", "u-forget-blocked-1", "u-forget-bad-1"}  # web's
    send(client, app_key, *traffic("u-forget", 3))  # DELETE_ONLY: collected again at once
    assert held(engine, "u-forget")["outbox"] == 4
    assert app_id


@pytest.mark.parametrize("many", [False, True])
def test_ids_with_like_wildcards_and_long_lists(client: TestClient, many: bool) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    _, key = source(client, "web")
    odd = 'sale_50%\\off "quoted" é'
    send(client, key, *traffic(odd, 1), *traffic("sale_50xoff", 1), *traffic("12345", 1),
         {"type": "track", "event": "Order Completed", "userId": 12345, "messageId": "number-id",
          "properties": {"order_id": "o"}})
    subjects = [odd, "12345"] + ([f"other-{i}" for i in range(80)] if many else [])
    regulate(client, "DELETE_ONLY", subjects)
    done = run(client)
    assert done["receipt"]["deleted"]["outbox"] == 5  # odd: 2 forwarded; "12345": 2 as text, 1 as a number
    assert held(engine, odd) == dict.fromkeys(STORES, 0) and held(engine, "12345") == dict.fromkeys(STORES, 0)
    assert held(engine, "sale_50xoff")["outbox"] == 2  # a LIKE wildcard in the id matches nothing else


def test_a_suppressed_users_events_are_never_replayed(client: TestClient, upstream: Upstream) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    _, key = source(client, "web", upstream.url)
    upstream.status = 400
    send(client, key, *traffic("u-forget", 1), *traffic("u-keep", 1))
    forwarder = Forwarder(engine, client.app.state.settings)  # type: ignore[attr-defined]
    assert forwarder.run_once() == 4  # all four forwarded rows dead-lettered
    forwarder.close()
    regulate(client, "SUPPRESS_ONLY", ["u-forget"])
    runtime = client.app.state.proxy.runtime  # type: ignore[attr-defined]
    assert wait_until(lambda: runtime.suppressions.current.count == 1, timeout=1.5)
    requeued = client.post("/api/v1/dead-letter/replay", json={}).json()
    assert requeued == {"requeued": 2}  # u-keep's two; u-forget's stay in the dead letter
    assert {p["userId"] if "userId" in p else p["anonymousId"] for p in payloads(engine, "outbox")} == {"u-keep"}
    assert held(engine, "u-forget")["dead_letter"] == 2
    client.patch("/api/v1/sources/web/settings", json={"track": {"allowUnplannedEvents": True}})
    replayed = client.post("/api/v1/quarantine/replay", json={}).json()
    assert (replayed["forwarded"], replayed["suppressed"]) == (1, 1)  # u-keep's unplanned event now passes
    rows = client.get("/api/v1/quarantine", params={"include_replayed": True}).json()["data"]
    assert {r["payload"]["userId"]: r["replay_outcome"] for r in rows}["u-forget"] == "still_suppressed"
