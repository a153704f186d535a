"""The conservation ledger: received = where every event is now, through every move an event makes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from governance.proxy.forwarder import Forwarder
from tests.proxy.helpers import Clock, add_source, publish_plan, track

TERMS = ("forwarded", "quarantined", "dead_lettered", "deduplicated", "rejected", "handed_on", "suppressed",
         "in_outbox")


def ledger(client, source: str = "web", **params: str) -> dict:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/sources/{source}/ledger", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["difference"] == body["received"] - sum(body[t] for t in TERMS)
    return body


def terms(body: dict) -> dict:
    return {k: body[k] for k in ("received", *TERMS) if body[k]}


def forward(client, clock: Clock, rounds: int = 5) -> None:  # type: ignore[no-untyped-def]
    forwarder = Forwarder(client.app.state.engine, client.app.state.settings, clock=clock)
    try:
        for _ in range(rounds):
            clock.advance(400)  # past any backoff
            forwarder.run_once()
    finally:
        forwarder.close()


def test_the_ledger_balances_through_every_move(app_client, upstream) -> None:
    publish_plan(app_client)
    _, key = add_source(app_client, "web", upstream.url, settings={"track": {"allowUnplannedEvents": False}})
    clock = Clock(datetime.now(UTC) + timedelta(seconds=1))

    def send(*batch: dict) -> None:
        assert app_client.post("/v1/batch", json={"batch": list(batch)}, auth=(key, "")).status_code == 200

    send(track("Product Viewed", "g1"), track("Product Viewed", "g2"), track("Product Viewed", "g3"),
         track("Product Viewed", "g1"), track("Coupon Applied", "q1"),
         {"type": "track", "userId": "u", "messageId": "r1"})
    forward(app_client, clock)
    upstream.status = 400
    send(track("Product Viewed", "d1"), track("Product Viewed", "d2"))
    forward(app_client, clock)
    upstream.status = 503
    send(track("Product Viewed", "w1"))
    forward(app_client, clock, rounds=1)
    assert terms(ledger(app_client)) == {"received": 9, "forwarded": 3, "deduplicated": 1, "quarantined": 1,
                                         "rejected": 1, "dead_lettered": 2, "in_outbox": 1}
    # plan the blocked event and replay it: it moves from the quarantine to the outbox
    etag = app_client.get("/api/v1/plans/shop/draft").headers["etag"]
    app_client.put("/api/v1/plans/shop/draft/events/Coupon Applied", json={}, headers={"If-Match": etag})
    assert app_client.post("/api/v1/plans/shop/versions").status_code == 201
    assert app_client.post("/api/v1/quarantine/replay", json={"source": "web"}).json()["forwarded"] == 1
    assert terms(ledger(app_client)) == {"received": 9, "forwarded": 3, "deduplicated": 1, "rejected": 1,
                                         "dead_lettered": 2, "in_outbox": 2}
    assert app_client.post("/api/v1/dead-letter/replay", json={"source": "web"}).json() == {"requeued": 2}
    assert terms(ledger(app_client)) == {"received": 9, "forwarded": 3, "deduplicated": 1, "rejected": 1,
                                         "in_outbox": 4}
    upstream.status = 200
    forward(app_client, clock)
    body = ledger(app_client)
    assert terms(body) == {"received": 9, "forwarded": 7, "deduplicated": 1, "rejected": 1}
    assert body["balanced"] is True and sorted(upstream.message_ids()) == ["d1", "d2", "g1", "g2", "g3", "q1", "w1"]
    metrics = app_client.get("/metrics").text
    assert 'governance_ledger_events{source="web",term="received"} 9' in metrics
    assert 'governance_ledger_events{source="web",term="forwarded"} 7' in metrics
    assert 'governance_ledger_difference{source="web"} 0' in metrics


def test_the_ledger_counts_by_minute_of_receipt(app_client, upstream) -> None:
    _, key = add_source(app_client, "web", upstream.url, plan=None)
    assert app_client.post("/v1/track", json=track("E", "m1"), auth=(key, "")).status_code == 200
    now = datetime.now(UTC)
    later = (now + timedelta(minutes=2)).isoformat()
    assert ledger(app_client, **{"from": later, "to": (now + timedelta(minutes=5)).isoformat()})["received"] == 0
    window = ledger(app_client, **{"from": (now - timedelta(minutes=1)).isoformat(), "to": later})
    assert window["received"] == 1 and window["in_outbox"] == 1 and window["from"].endswith(":00Z")
    refused = app_client.get("/api/v1/sources/web/ledger", params={"from": later, "to": now.isoformat()})
    assert refused.status_code == 422 and refused.json()["code"] == "validation_failed"
    assert app_client.get("/api/v1/sources/nope/ledger").status_code == 404


def test_events_handed_to_another_source_are_counted_on_both_sides(app_client, upstream, other_upstream) -> None:
    publish_plan(app_client)
    add_source(app_client, "sink", other_upstream.url, plan=None)
    _, key = add_source(app_client, "web", upstream.url, settings={"track": {"allowUnplannedEvents": False}})
    patched = app_client.patch("/api/v1/sources/web/settings", json={"forwardingBlockedEventsTo": "sink"})
    assert patched.status_code == 200, patched.text
    app_client.app.state.proxy.runtime.reload()
    batch = [track("Coupon Applied", "b1"), track("Product Viewed", "ok")]
    assert app_client.post("/v1/batch", json={"batch": batch}, auth=(key, "")).status_code == 200
    assert terms(ledger(app_client, "web")) == {"received": 2, "handed_on": 1, "in_outbox": 1}
    assert terms(ledger(app_client, "sink")) == {"received": 1, "in_outbox": 1}
