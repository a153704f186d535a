"""analytics.js (@segment/analytics-next) and RudderStack's browser SDK in Chromium, unchanged, through the proxy.

The page is served from one 127.0.0.1 origin, ``governance serve`` listens on another, so every
request the SDK makes is a real cross-origin request with a real CORS preflight (analytics.js sends
``Authorization`` and ``text/plain``). With Segment's strictest settings, every valid event must reach
the recording upstream exactly once (forwarded by the worker), and no blocked one may leak.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from governance.proxy.timestamps import parse

STRICT = {
    "track": {"allowUnplannedEvents": False, "allowUnplannedEventProperties": False,
              "allowEventOnViolations": False, "allowPropertiesOnViolations": False,
              "commonEventOnViolations": "BLOCK"},
    "identify": {"allowUnplannedTraits": False, "allowTraitsOnViolations": False, "allowEventOnViolations": False,
                 "commonEventOnViolations": "BLOCK"},
}
VALID_ORDER = {"order_id": "o-1", "total": 42.5, "currency": "EUR", "products": [{"product_id": "p1", "price": 42.5}]}
INVALID_ORDER = {"order_id": "o-2", "total": -5, "currency": "usd"}

# (call, valid): four valid calls of four kinds, then an unplanned event and an invalid one
CALLS: list[tuple[list[Any], bool]] = [
    (["track", "Order Completed", VALID_ORDER], True),
    (["track", "Product Viewed", {"product_id": "p1", "price": 9.5}], True),
    (["identify", "user-1", {"email": "ada@example.com", "first_name": "Ada"}], True),
    (["page", "Home"], True),
    (["track", "Completed Order", {"order_id": "o-3"}], False),
    (["track", "Order Completed", INVALID_ORDER], False),
]


def _arrived(governance: Any, anonymous_id: str) -> list[dict[str, Any]]:
    return [e for e in governance.upstream.events if e.get("anonymousId") == anonymous_id]


def _assert_only_local_requests(page: Any, site: str, governance: Any) -> None:
    foreign = [url for url in page.requests if not url.startswith((site, governance.url))]
    assert foreign == [], f"the page fetched from outside 127.0.0.1: {foreign}"


def _check_delivery(governance: Any, page: Any, site: str, source_id: str, sent: dict[str, Any]) -> None:
    valid = {mid for mid, (_call, ok) in zip(sent["ids"], CALLS, strict=True) if ok}
    blocked = set(sent["ids"]) - valid
    governance.wait_for(lambda: sum(governance.outcomes(source_id).values()) >= len(CALLS), "the proxy to judge all")
    governance.wait_for(lambda: {e["messageId"] for e in _arrived(governance, sent["anonymousId"])} >= valid,
                        "the worker to forward every valid event")
    arrived = Counter(e["messageId"] for e in _arrived(governance, sent["anonymousId"]))
    assert set(arrived) == valid and set(arrived.values()) == {1}, arrived  # every valid one, once; none blocked
    assert governance.quarantined(source_id) == {sent["ids"][4]: "unplanned_event", sent["ids"][5]: "violations"}
    assert not blocked & set(arrived)
    outcomes = governance.outcomes(source_id)
    assert outcomes.get("blocked") == 2 and outcomes.get("forwarded", 0) + outcomes.get("omitted", 0) == 4, outcomes
    events = {e["messageId"]: e for e in _arrived(governance, sent["anonymousId"])}
    order = events[sent["ids"][0]]
    assert order["properties"] == VALID_ORDER and order["context"]["library"]["name"] == "analytics.js"
    assert order["sentAt"] and order["timestamp"] and "writeKey" not in order
    assert events[sent["ids"][3]]["type"] == "page" and events[sent["ids"][2]]["traits"]["email"] == "ada@example.com"
    assert page.errors == []
    _assert_only_local_requests(page, site, governance)


@pytest.mark.parametrize("batching", [False, True], ids=["default-delivery", "batching-delivery"])
def test_analytics_next_delivers_every_valid_event_and_leaks_no_blocked_one(governance, page, site,
                                                                             batching: bool) -> None:
    source_id, write_key = governance.source(f"web-{'batching' if batching else 'default'}", STRICT)
    sent = page.evaluate("config => withSegment(config)", {
        "writeKey": write_key, "apiHost": governance.api_host, "batching": batching,
        "calls": [call for call, _valid in CALLS]})
    assert len(sent["ids"]) == len(CALLS)
    _check_delivery(governance, page, site, source_id, sent)
    paths = {url.removeprefix(governance.url) for url in page.requests if url.startswith(governance.url)}
    assert paths == ({"/v1/b"} if batching else {"/v1/t", "/v1/i", "/v1/p"}), paths


def test_send_beacon_and_keepalive_fetch_reach_the_proxy(governance, page, site) -> None:
    source_id, write_key = governance.source("web-unload", STRICT)
    base = {"anonymousId": "leaving-1", "writeKey": write_key, "timestamp": "2025-03-01T10:00:00.000Z",
            "context": {"library": {"name": "analytics.js", "version": "next-1.84.3"}}}
    beacon = {"batch": [{**base, "type": "track", "event": "Product Viewed", "messageId": "beacon-1",
                         "properties": {"product_id": "p1"}}], "sentAt": "2025-03-01T10:00:01.000Z"}
    assert page.evaluate("([url, body]) => beacon(url, body)", [governance.url + "/v1/b", beacon]) is True
    kept = {**base, "type": "page", "name": "Home", "messageId": "keepalive-1", "properties": {"path": "/"}}
    answer = page.evaluate("([url, body, key]) => keepaliveFetch(url, body, key)",
                           [governance.url + "/v1/p", kept, write_key])
    assert answer == {"status": 200, "body": {"success": True}}  # the page could read it: CORS allowed it
    governance.wait_for(lambda: {"beacon-1", "keepalive-1"} <= set(governance.upstream.message_ids()),
                        "the beacon and the keepalive fetch upstream")
    assert governance.outcomes(source_id) == {"forwarded": 2}
    _assert_only_local_requests(page, site, governance)


def test_a_refused_origin_is_a_readable_403(governance, page, site) -> None:
    source_id, write_key = governance.source("web-elsewhere", {"allowedOrigins": ["https://shop.example.com"]})
    body = {"type": "track", "event": "Product Viewed", "anonymousId": "a-1", "messageId": "refused-1"}
    answer = page.evaluate("([url, body, key]) => keepaliveFetch(url, body, key)",
                           [governance.url + "/v1/t", body, write_key])
    assert answer == {"status": 403,  # and readable by the page, so the SDK can tell why
                      "body": {"code": "origin_not_allowed", "message": "This origin may not send with this writeKey"}}
    assert governance.outcomes(source_id) == {}


@pytest.mark.parametrize("beacon", [False, True], ids=["xhr-delivery", "beacon-delivery"])
def test_rudderstack_browser_sdk_delivers_every_valid_event(governance, page, site, beacon: bool) -> None:
    source_id, write_key = governance.source(f"web-rudder-{'beacon' if beacon else 'xhr'}", STRICT)
    calls = [call for call, _valid in CALLS]
    sent = page.evaluate("config => withRudderStack(config)", {
        "writeKey": write_key, "dataPlaneUrl": governance.url, "calls": calls, "beacon": beacon})
    governance.wait_for(lambda: sum(governance.outcomes(source_id).values()) >= len(CALLS), "the proxy to judge all")
    governance.wait_for(lambda: len(_arrived(governance, sent["anonymousId"])) >= 4, "four valid events upstream")
    arrived = _arrived(governance, sent["anonymousId"])
    names = Counter((e["type"], e.get("event") or e.get("name")) for e in arrived)
    assert names == Counter({("track", "Order Completed"): 1, ("track", "Product Viewed"): 1, ("identify", None): 1,
                             ("page", "Home"): 1}), names
    assert all(e["context"]["library"]["name"] == "RudderLabs JavaScript SDK" for e in arrived)
    reasons = sorted(governance.quarantined(source_id).values())
    assert reasons == ["unplanned_event", "violations"]
    assert governance.outcomes(source_id).get("blocked") == 2
    paths = Counter(url.removeprefix(governance.url).split("?")[0] for url in page.requests
                    if url.startswith(governance.url))
    if beacon:  # Playwright does not report beacons: the server's access log shows them
        assert paths == Counter(), paths
        assert f'"POST /beacon/v1/batch?writeKey={write_key} HTTP/1.1" 200' in governance.log.read_text()
    else:
        assert paths == Counter({"/v1/track": 4, "/v1/identify": 1, "/v1/page": 1}), paths
    _assert_only_local_requests(page, site, governance)


def test_a_browser_clock_ten_minutes_fast_is_corrected_upstream(governance, page, site) -> None:
    """The page's clock runs 10 minutes ahead; the upstream's skew correction still lands on the true time."""
    source_id, write_key = governance.source("web-skewed", STRICT)
    before = datetime.now(UTC)
    page.clock.set_system_time(before + timedelta(minutes=10))  # Playwright's clock: no request is touched
    sent = page.evaluate("config => withSegment(config)", {
        "writeKey": write_key, "apiHost": governance.api_host, "batching": False,
        "calls": [["track", "Product Viewed", {"product_id": "p1", "price": 9.5}]]})
    after = datetime.now(UTC)
    [message_id] = sent["ids"]
    governance.wait_for(lambda: message_id in governance.upstream.message_ids(), "the event upstream")
    [event] = [e for e in governance.upstream.events if e["messageId"] == message_id]
    device_time = parse(event["timestamp"])
    assert device_time is not None and device_time - after > timedelta(minutes=9)  # the page's clock, unchanged
    corrected = governance.upstream.received_at(message_id) - (parse(event["sentAt"]) - device_time)  # type: ignore[operator]
    assert before - timedelta(seconds=1) <= corrected <= after + timedelta(seconds=1), (before, corrected, after)
    assert governance.outcomes(source_id) == {"forwarded": 1}
