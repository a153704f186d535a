"""The timestamp rule through the relay (governance/proxy/timestamps.py, docs/proxy/ingestion.md).

The upstream corrects clock skew as Segment does, ``timestamp = receivedAt - (sentAt -
originalTimestamp)``, with its own ``receivedAt``: the recording upstream here applies that formula
with the forwarder's (injected) clock as its receipt time, i.e. an upstream whose clock agrees with
the proxy's. The device's clock is 10 minutes fast, and the event waits an hour in the outbox.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from governance.proxy.timestamps import iso, last_keys, parse, relay, relay_batch, relayed_sent_at, stamp
from tests.proxy.helpers import Clock, add_source, drain, outbox, publish_plan, quarantine

SKEW = timedelta(minutes=10)  # the device's clock is this much ahead of true time
HELD = timedelta(hours=1)  # how long the event waits in the outbox (an upstream outage)


def upstream_event_time(event: dict[str, Any], upstream_received_at: datetime, field: str = "timestamp") -> datetime:
    """Segment's (and RudderStack's) skew correction, as the upstream computes it."""
    sent_at, original = parse(event["sentAt"]), parse(event[field])
    assert sent_at is not None and original is not None
    return upstream_received_at - (sent_at - original)


@pytest.fixture
def source(app_client, upstream):  # type: ignore[no-untyped-def]
    publish_plan(app_client)
    return add_source(app_client, "web", upstream.url)


def _send_from_skewed_device(app_client, key: str, *, envelope: bool) -> datetime:  # type: ignore[no-untyped-def]
    """An event that happened 3 s ago, sent now by a device 10 minutes fast; returns its true time."""
    true_now = datetime.now(UTC)
    happened = true_now - timedelta(seconds=3)
    message = {"type": "track", "event": "Order Completed", "userId": "u1", "messageId": "skewed",
               "properties": {"order_id": "o1"}, "timestamp": iso(happened + SKEW)}
    if envelope:  # analytics-python, analytics-node, analytics.js /v1/b: sentAt on the batch
        body: dict[str, Any] = {"batch": [message], "sentAt": iso(true_now + SKEW)}
    else:  # analytics.js standard delivery: sentAt on the message
        body = {"batch": [{**message, "sentAt": iso(true_now + SKEW)}]}
    assert app_client.post("/v1/batch", json=body, auth=(key, "")).status_code == 200
    return happened


@pytest.mark.parametrize("envelope", [True, False], ids=["sentAt-on-the-batch", "sentAt-on-the-message"])
def test_an_event_held_an_hour_from_a_skewed_device_keeps_its_event_time(app_client, upstream, source,
                                                                         envelope: bool) -> None:
    _source_id, key = source
    happened = _send_from_skewed_device(app_client, key, envelope=envelope)
    stored = outbox(app_client)[0]
    received_at = parse(stored["receivedAt"])
    assert received_at is not None
    upstream.status = 503  # the upstream is down: the event waits
    clock = Clock()
    drain(app_client, clock, rounds=1)
    assert upstream.events == []
    upstream.status = 200
    clock.now = received_at + HELD  # an hour later the upstream is back
    drain(app_client, clock)
    [event] = upstream.events
    # the device's own values travel unchanged; only sentAt is the relay's
    assert event["timestamp"] == stored["timestamp"] == event["originalTimestamp"]
    assert parse(event["sentAt"]) == clock.now + (parse(stored["sentAt"]) - received_at)  # type: ignore[operator]
    assert "sentAt" not in upstream.requests[-1]  # no envelope sentAt: each message carries its own
    # what the upstream computes with its clock (= the proxy's) is the event's true time
    corrected = upstream_event_time(event, upstream_received_at=clock.now)
    assert abs(corrected - happened) < timedelta(seconds=1), corrected - happened
    # the two naive relays are off by the skew or by the hour
    naive_own_clock = clock.now - (clock.now - parse(event["timestamp"]))  # type: ignore[operator]
    naive_sdk_sent_at = clock.now - (parse(stored["sentAt"]) - parse(event["timestamp"]))  # type: ignore[operator]
    assert abs(naive_own_clock - happened - SKEW) < timedelta(seconds=1)
    assert abs(naive_sdk_sent_at - happened - HELD) < timedelta(seconds=5)


def test_rudderstack_devices_send_original_timestamp(app_client, upstream, source) -> None:
    """RudderStack SDKs send originalTimestamp (and rudder-server corrects with it)."""
    _source_id, key = source
    true_now = datetime.now(UTC)
    message = {"type": "track", "event": "Order Completed", "userId": "u1", "messageId": "rs",
               "properties": {"order_id": "o1"}, "originalTimestamp": iso(true_now - timedelta(seconds=2) + SKEW),
               "sentAt": iso(true_now + SKEW)}
    assert app_client.post("/v1/batch", json={"batch": [message]}, auth=(key, "")).status_code == 200
    clock = Clock(datetime.now(UTC) + HELD)
    drain(app_client, clock)
    [event] = upstream.events
    assert event["originalTimestamp"] == message["originalTimestamp"] == event["timestamp"]
    for field in ("originalTimestamp", "timestamp"):  # whichever field the upstream reads
        corrected = upstream_event_time(event, clock.now, field)
        assert abs(corrected - (true_now - timedelta(seconds=2))) < timedelta(seconds=1), field


def test_an_event_without_timestamps_is_dated_by_its_receipt(app_client, upstream, source) -> None:
    _source_id, key = source
    message = {"type": "track", "event": "Order Completed", "userId": "u1", "messageId": "bare",
               "properties": {"order_id": "o1"}}
    assert app_client.post("/v1/track", json=message, auth=(key, "")).status_code == 200
    stored = outbox(app_client)[0]
    assert stored["timestamp"] == stored["receivedAt"] == stored["originalTimestamp"]
    assert "sentAt" not in stored
    clock = Clock(datetime.now(UTC) + HELD)
    drain(app_client, clock)
    [event] = upstream.events
    assert parse(event["sentAt"]) == clock.now
    assert upstream_event_time(event, clock.now) == parse(stored["receivedAt"])


def test_a_manual_timestamp_without_sent_at_is_kept(app_client, upstream, source) -> None:
    """Importing history through the HTTP API: a timestamp and no sentAt is taken as it is (Segment too)."""
    _source_id, key = source
    message = {"type": "track", "event": "Order Completed", "userId": "u1", "messageId": "history",
               "properties": {"order_id": "o1"}, "timestamp": "2024-01-01T00:00:00.000Z"}
    assert app_client.post("/v1/batch", json={"batch": [message]}, auth=(key, "")).status_code == 200
    clock = Clock(datetime.now(UTC) + HELD)
    drain(app_client, clock)
    [event] = upstream.events
    assert upstream_event_time(event, clock.now) == datetime(2024, 1, 1, tzinfo=UTC)


def test_a_replayed_quarantined_event_keeps_its_first_receipt(app_client, upstream) -> None:
    publish_plan(app_client)
    source_id, key = add_source(app_client, "web", upstream.url, settings={"track": {"allowUnplannedEvents": False}})
    happened = datetime.now(UTC) - timedelta(seconds=1)
    message = {"type": "track", "event": "Cart Viewed", "userId": "u1", "messageId": "later",
               "timestamp": iso(happened + SKEW)}
    body = {"batch": [message], "sentAt": iso(datetime.now(UTC) + SKEW)}
    assert app_client.post("/v1/batch", json=body, auth=(key, "")).status_code == 200
    assert quarantine(app_client) == {"later": (source_id, "unplanned_event")}
    assert app_client.patch("/api/v1/sources/web/settings", json={"track": {"allowUnplannedEvents": True}}).is_success
    app_client.app.state.proxy.runtime.reload()
    replayed = app_client.post("/api/v1/quarantine/replay", json={"source": "web"})
    assert replayed.status_code == 200 and replayed.json()["forwarded"] == 1, replayed.text
    clock = Clock(datetime.now(UTC) + HELD)  # replayed (and forwarded) an hour after it arrived
    drain(app_client, clock)
    [event] = upstream.events
    assert abs(upstream_event_time(event, clock.now) - happened) < timedelta(seconds=1)


def test_stamp_fills_only_what_is_absent() -> None:
    received = "2025-03-01T10:00:00.000Z"
    device = {"timestamp": "2025-03-01T10:09:58Z", "sentAt": "2025-03-01T10:10:00Z"}
    kept = dict(device)
    stamp(kept, envelope_sent_at="2025-03-01T11:11:11Z", received_at=received)
    assert kept == {**device, "originalTimestamp": device["timestamp"]}  # the message's sentAt wins
    from_envelope: dict[str, Any] = {"timestamp": None, "originalTimestamp": ""}
    stamp(from_envelope, envelope_sent_at="2025-03-01T10:10:00Z", received_at=received)
    assert from_envelope == {"timestamp": "2025-03-01T10:10:00Z", "originalTimestamp": "2025-03-01T10:10:00Z",
                             "sentAt": "2025-03-01T10:10:00Z"}
    odd: dict[str, Any] = {"timestamp": 1740823200}  # not ours to rewrite
    stamp(odd, envelope_sent_at=None, received_at=received)
    assert odd == {"timestamp": 1740823200, "originalTimestamp": 1740823200}


def test_relay_batch_survives_odd_clocks() -> None:
    now = datetime(2025, 3, 1, 12, tzinfo=UTC)
    payloads = [orjson.dumps(m).decode() for m in (
        {"messageId": "a", "sentAt": "0001-01-01T00:00:00Z", "receivedAt": "9999-01-01T00:00:00Z"},
        {"messageId": "b", "sentAt": "not a date", "receivedAt": "2025-03-01T10:00:00Z"},
        {"messageId": "c", "sentAt": "2025-03-01T09:00:00+01:00", "receivedAt": "2025-03-01T08:00:00.5Z"},
    )]
    body = orjson.loads(relay_batch(payloads, now))
    assert set(body) == {"batch"}
    sent = {m["messageId"]: m["sentAt"] for m in body["batch"]}
    assert sent == {"a": "2025-03-01T12:00:00.000Z", "b": "2025-03-01T12:00:00.000Z", "c": "2025-03-01T11:59:59.500Z"}


def _pairs_unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), f"duplicate keys {keys}"
    return dict(pairs)


def _strict(body: bytes) -> Any:
    """The body parsed by the standard library, failing on a duplicate key at any depth."""
    return json.loads(body, object_pairs_hook=_pairs_unique)


def test_relay_rewrites_only_the_tail_and_agrees_with_a_full_parse() -> None:
    """Stored as the group commit writes them (``last_keys``) or otherwise (older rows, nested
    look-alikes, the tail's text inside a string), every payload is relayed to the same message
    as parsing it whole would give, with one sentAt."""
    now = datetime(2025, 3, 1, 12, tzinfo=UTC)
    sneaky = ',"receivedAt":"2025-03-01T10:00:00Z","sentAt":"2025-03-01T10:00:00Z"}'
    messages: list[dict[str, Any]] = [
        {"messageId": "new", "sentAt": "2025-03-01T09:00:00Z", "properties": {"x": 1},
         "receivedAt": "2025-03-01T08:00:00.000Z"},
        {"messageId": "no-sent-at", "receivedAt": "2025-03-01T08:00:00.000Z"},
        {"messageId": "nested", "sentAt": "2025-03-01T09:00:00Z", "receivedAt": "2025-03-01T08:00:00.000Z",
         "properties": {"receivedAt": "2000-01-01T00:00:00Z", "sentAt": "2000-01-01T00:00:00Z"}},
        {"messageId": "in-a-string", "sentAt": "2025-03-01T09:00:00Z", "receivedAt": "2025-03-01T08:00:00.000Z",
         "properties": {"note": sneaky}},
        {"messageId": "odd", "receivedAt": "2025-03-01T08:00:00.000Z", "sentAt": 12},
    ]
    for message in messages:
        for ordered in (False, True):
            stored = dict(message)
            if ordered:
                last_keys(stored)
            payload = orjson.dumps(stored).decode()
            relayed = _strict(relay(payload, now))
            expected = orjson.loads(payload)
            expected["sentAt"] = relayed_sent_at(expected, now)
            assert relayed == expected, (message["messageId"], ordered)
    ordered_new = dict(messages[0])
    last_keys(ordered_new)
    assert list(ordered_new)[-2:] == ["receivedAt", "sentAt"]
    assert _strict(relay(orjson.dumps(ordered_new).decode(), now))["sentAt"] == "2025-03-01T13:00:00.000Z"
    body = _strict(relay_batch([orjson.dumps(m).decode() for m in messages], now))
    assert [m["messageId"] for m in body["batch"]] == [m["messageId"] for m in messages]
