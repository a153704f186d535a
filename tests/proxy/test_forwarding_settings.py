"""``forwardingBlockedEventsTo`` and ``forwardingViolationsTo`` do what Segment's settings do.

Two upstreams on 127.0.0.1: the source's own, and the one of the source its blocked events and
violations are forwarded to.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.proxy.conftest import Upstream
from tests.proxy.helpers import STRICT, add_source, drain, outbox, outcome_counts, publish_plan, quarantine, track

# Segment's documented Violation Generated payload (Protocols > Forward Violations), key by key
SEGMENT_VIOLATION = {
    "context": {"app": None, "library": {"name": "analytics-node", "version": "2.1.0"}},
    "event": "Violation Generated", "integrations": {}, "messageId": "sch-Vir1JNrorwlBmCHrHWuPJekMx5c59T7c",
    "properties": {"appVersion": "", "eventMessageID": "node-YhqA1DK9mgV55INDzOSd542fCFbIkc1o",
                   "eventName": "Order Completed", "eventSentAt": "2018-08-23T21:35:02.85860964Z",
                   "eventTimestamp": "0001-01-01T00:00:00Z", "eventType": "track", "sourceID": "dInN1HJ4bi",
                   "sourceName": "Acme Store", "sourceSlug": "acme_store_test",
                   "trackingPlanID": "rs_16KrwVbouFLrYbDkGh4LNslkrNp", "trackingPlanName": "Acme Ecommerce TP",
                   "violationDescription": "properties.products is required", "violationField": "properties.products",
                   "violationType": "Required"},
    "receivedAt": "2018-09-05T23:05:25.862826965Z", "timestamp": "2018-09-05T23:05:25.862826855Z",
    "type": "track", "userId": "schema-violations", "forwardedFromProject": "dInN1HJ4bi",
}


def _kinds(value: Any) -> Any:
    """The shape of a JSON value: dicts by key, everything else by its JSON type (null stays None)."""
    if isinstance(value, dict):
        return {k: _kinds(v) for k, v in value.items()}
    return None if value is None else type(value).__name__


@pytest.fixture
def sources(app_client, upstream: Upstream, other_upstream: Upstream) -> Iterator[dict[str, tuple[str, str]]]:
    publish_plan(app_client)
    found = {"blocked": add_source(app_client, "Blocked Events", other_upstream.url, plan=None,
                                   upstream_key="BLOCKED-UP-KEY")}
    found["web"] = add_source(app_client, "Web Shop", upstream.url, settings=STRICT)
    patched = app_client.patch("/api/v1/sources/Web Shop/settings",
                               json={"forwardingBlockedEventsTo": "Blocked Events"})
    assert patched.status_code == 200, patched.text
    app_client.app.state.proxy.runtime.reload()
    yield found


def test_blocked_events_reach_the_named_sources_upstream_exactly_once(app_client, upstream, other_upstream,
                                                                      sources) -> None:
    web_id, key = sources["web"]
    blocked_id, _ = sources["blocked"]
    batch = [track("Order Completed", "ok", order_id="o1", total=5), track("Completed Order", "unplanned"),
             track("Order Completed", "invalid", order_id="o2", total=-1),
             {"type": "track", "userId": "u1", "messageId": "not-segment"}]
    for _attempt in range(2):  # the SDK retries the whole batch: nothing is forwarded twice
        assert app_client.post("/v1/batch", json={"batch": batch}, auth=(key, "")).status_code == 200
    drain(app_client)
    assert upstream.message_ids() == ["ok"]
    assert sorted(other_upstream.message_ids()) == ["invalid", "unplanned"]
    assert set(other_upstream.auth) == {"BLOCKED-UP-KEY:"}  # the named source's own upstream key
    forwarded = {e["messageId"]: e for e in other_upstream.events}
    assert forwarded["unplanned"]["event"] == "Completed Order"
    hint = '"Completed Order" is not in the plan; did you mean "Order Completed"?'
    assert forwarded["unplanned"]["context"]["protocols"] == {
        "blocked": "unplanned_event", "sourceId": web_id, "plan_version": 1,
        "violations": [{"type": "Unplanned Event", "field": "event", "description": hint}]}
    assert forwarded["invalid"]["properties"] == {"order_id": "o2", "total": -1}  # as it arrived
    assert forwarded["invalid"]["context"]["protocols"]["blocked"] == "violations"
    # exactly one place: not in the quarantine too (a rejected message was not blocked: it stays there)
    assert quarantine(app_client) == {"not-segment": (web_id, "invalid_message")}
    assert outbox(app_client) == []
    # (a rejected message has no trustworthy messageId: it is not deduplicated, so it counts twice)
    assert outcome_counts(app_client, web_id) == {"forwarded": 1, "blocked_forwarded": 2, "rejected": 2,
                                                  "deduplicated": 3}
    assert outcome_counts(app_client, blocked_id) == {"forwarded": 2, "deduplicated": 2}
    events = app_client.get("/api/v1/sources/Web Shop/events", params={"window": "1h"}).json()["data"]
    assert Counter(o for e in events for o, n in e["outcomes"].items() for _ in range(n))["blocked_forwarded"] == 2


def test_without_the_setting_blocked_events_stay_in_the_quarantine(app_client, upstream, other_upstream,
                                                                   sources) -> None:
    web_id, key = sources["web"]
    assert app_client.patch("/api/v1/sources/Web Shop/settings", json={"forwardingBlockedEventsTo": None}).is_success
    app_client.app.state.proxy.runtime.reload()
    assert app_client.post("/v1/batch", json={"batch": [track("Completed Order", "u")]}, auth=(key, "")).is_success
    drain(app_client)
    assert other_upstream.events == [] and upstream.events == []
    assert quarantine(app_client) == {"u": (web_id, "unplanned_event")}


def test_shadow_mode_blocks_nothing_so_forwards_nothing_elsewhere(app_client, upstream, other_upstream,
                                                                  sources) -> None:
    _web_id, key = sources["web"]
    assert app_client.patch("/api/v1/sources/Web Shop", json={"mode": "shadow"}).is_success
    app_client.app.state.proxy.runtime.reload()
    assert app_client.post("/v1/batch", json={"batch": [track("Completed Order", "s")]}, auth=(key, "")).is_success
    drain(app_client)
    assert upstream.message_ids() == ["s"] and other_upstream.events == []


def test_a_forwarding_setting_naming_no_source_is_refused(app_client) -> None:
    assert app_client.post("/api/v1/sources", json={"name": "web"}).status_code == 201
    for setting in ("forwardingBlockedEventsTo", "forwardingViolationsTo"):
        refused = app_client.patch("/api/v1/sources/web/settings", json={setting: "nowhere"})
        assert refused.status_code == 422, refused.text
        body = refused.json()
        assert body["code"] == "validation_failed" and body["details"] == [{"path": f"settings.{setting}"}]
    to_itself = app_client.patch("/api/v1/sources/web/settings", json={"forwardingBlockedEventsTo": "web"})
    assert to_itself.status_code == 422
    created = app_client.post("/api/v1/sources", json={"name": "app", "settings": {"forwardingBlockedEventsTo": "x"}})
    assert created.status_code == 422
    assert app_client.get("/api/v1/sources/web/settings").json()["forwardingBlockedEventsTo"] is None
    ok = app_client.post("/api/v1/sources", json={"name": "app", "settings": {"forwardingBlockedEventsTo": "web"}})
    assert ok.status_code == 201, ok.text


def test_violation_generated_has_segments_shape(app_client, upstream, other_upstream, sources) -> None:
    web_id, key = sources["web"]
    assert app_client.patch("/api/v1/sources/Web Shop/settings", json={
        "forwardingViolationsTo": "Blocked Events", "forwardingBlockedEventsTo": None,
        "track": {"allowEventOnViolations": True, "allowPropertiesOnViolations": True}}).is_success
    app_client.app.state.proxy.runtime.reload()
    offending = {**track("Order Completed", "node-1", total="12"), "timestamp": "2025-03-01T10:00:00.000Z",
                 "context": {"library": {"name": "analytics-node", "version": "2.1.0"}}}
    body = {"batch": [offending], "sentAt": "2025-03-01T10:00:02.000Z"}  # sentAt on the envelope, as analytics-node
    for _attempt in range(2):  # a retry does not double the violations
        assert app_client.post("/v1/batch", json=body, auth=(key, "")).status_code == 200
    drain(app_client)
    generated = [e for e in other_upstream.events if e["event"] == "Violation Generated"]
    assert len(generated) == 2  # required order_id, total of the wrong type
    ours = {k: v for k, v in generated[0].items() if k != "sentAt"}  # sentAt: the relay's (see timestamps)
    ours["properties"] = {k: v for k, v in ours["properties"].items() if k != "trackingPlanVersion"}  # our addition
    # key by key: the same keys, each of the same JSON type (Segment's app is null here as in its example)
    assert _kinds(ours) == _kinds(SEGMENT_VIOLATION)
    props = generated[0]["properties"]
    assert generated[0]["context"] == {"app": None, "library": {"name": "analytics-node", "version": "2.1.0"}}
    assert generated[0]["forwardedFromProject"] == web_id == props["sourceID"]
    assert props["sourceName"] == "Web Shop" and props["sourceSlug"] == "web_shop"
    assert props["appVersion"] == "" and props["eventSentAt"] == "2025-03-01T10:00:02.000Z"
    assert props["eventTimestamp"] == "2025-03-01T10:00:00.000Z" and props["eventMessageID"] == "node-1"
    assert props["trackingPlanName"] == "shop" and props["trackingPlanVersion"] == 1
    assert {(p["properties"]["violationType"], p["properties"]["violationField"]) for p in generated} == {
        ("Required", "properties.order_id"), ("Invalid Type", "properties.total")}
    assert all(e["messageId"].startswith("sch-") for e in generated)


def test_violation_generated_carries_the_apps_version(app_client, upstream, other_upstream, sources) -> None:
    _web_id, key = sources["web"]
    assert app_client.patch("/api/v1/sources/Web Shop/settings", json={
        "forwardingViolationsTo": "Blocked Events"}).is_success
    app_client.app.state.proxy.runtime.reload()
    offending = {**track("Completed Order", "ios-1"), "sentAt": "2025-03-01T10:00:02Z",
                 "context": {"app": {"name": "Shop", "version": "5.2.0", "build": "520"}}}
    assert app_client.post("/v1/batch", json={"batch": [offending]}, auth=(key, "")).status_code == 200
    drain(app_client)
    [generated] = [e for e in other_upstream.events if e["event"] == "Violation Generated"]
    assert generated["context"] == {"app": {"name": "Shop", "version": "5.2.0", "build": "520"}, "library": None}
    assert generated["properties"]["appVersion"] == "5.2.0"
    assert generated["properties"]["eventSentAt"] == "2025-03-01T10:00:02Z"  # from the message itself
    # the blocked event itself also went to the named source (both settings point there)
    assert "ios-1" in other_upstream.message_ids()
