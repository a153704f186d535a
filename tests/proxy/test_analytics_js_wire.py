"""analytics.js's wire format over real HTTP bodies: short paths, text/plain, sendBeacon, writeKey in the body.

The bodies are shaped as @segment/analytics-next 1.84 sends them (see its fetch and batched
dispatchers): one message per request to ``/v1/<type initial>`` with ``writeKey`` and ``sentAt`` on
the message, or ``{"writeKey", "batch": [...], "sentAt"}`` to ``/v1/b`` with ``writeKey`` on every
message and ``sentAt`` only on the envelope. The real SDK in a real browser is tests/e2e/browser_sdk.
"""

from __future__ import annotations

import base64

import orjson
import pytest

from tests.proxy.helpers import add_source, drain, outbox, publish_plan, quarantine

SHORT = {"t": "track", "p": "page", "i": "identify", "s": "screen", "g": "group", "a": "alias"}
TEXT = {"Content-Type": "text/plain"}
BEACON = {"Content-Type": "text/plain;charset=UTF-8"}


def message(kind: str, message_id: str, key: str) -> dict:  # type: ignore[type-arg]
    base = {"type": kind, "messageId": message_id, "anonymousId": "anon-1", "writeKey": key,
            "timestamp": "2025-03-01T10:00:00.000Z", "sentAt": "2025-03-01T10:00:01.000Z",
            "context": {"library": {"name": "analytics.js", "version": "next-1.84.3"}, "page": {"path": "/"}},
            "_metadata": {"bundled": ["Segment.io"], "unbundled": [], "bundledIds": []}}
    extra = {"track": {"event": "Order Completed", "properties": {"order_id": "o1", "total": 3}},
             "page": {"name": "Home", "properties": {"path": "/"}}, "identify": {"userId": "u1", "traits": {}},
             "screen": {"name": "Home"}, "group": {"groupId": "g1", "traits": {}},
             "alias": {"userId": "u1", "previousId": "anon-1"}}
    return {**base, **extra[kind]}


@pytest.fixture
def source(app_client, upstream):  # type: ignore[no-untyped-def]
    publish_plan(app_client)
    return add_source(app_client, "web", upstream.url)


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def test_the_short_paths_are_the_six_calls(app_client, upstream, source) -> None:
    _source_id, key = source
    for short, kind in SHORT.items():
        # the body names another type: the path decides, as on the long paths
        body = {**message(kind, f"short-{short}", key), "type": "track" if kind != "track" else "page"}
        response = app_client.post(f"/v1/{short}", content=orjson.dumps(body), headers={**TEXT, **basic(key)})
        assert response.status_code == 200 and response.json() == {"success": True}, (short, response.text)
    stored = {m["messageId"]: m for m in outbox(app_client)}
    assert {mid: m["type"] for mid, m in stored.items()} == {f"short-{s}": k for s, k in SHORT.items()}
    assert all("writeKey" not in m for m in stored.values())  # never forwarded
    drain(app_client)
    assert sorted(upstream.message_ids()) == sorted(f"short-{s}" for s in SHORT)


def test_b_is_the_batch_of_the_batching_delivery(app_client, upstream, source) -> None:
    _source_id, key = source
    batch = [{k: v for k, v in message(kind, f"b-{kind}", key).items() if k != "sentAt"} for kind in SHORT.values()]
    body = {"writeKey": key, "batch": batch, "sentAt": "2025-03-01T10:00:05.000Z"}
    response = app_client.post("/v1/b", content=orjson.dumps(body), headers={**TEXT, **basic(key)})
    assert response.status_code == 200, response.text
    stored = {m["messageId"]: m for m in outbox(app_client)}
    assert set(stored) == {f"b-{kind}" for kind in SHORT.values()}
    # the envelope's sentAt is the sentAt of every message in it
    assert {m["sentAt"] for m in stored.values()} == {"2025-03-01T10:00:05.000Z"}


def test_a_send_beacon_body_authenticates_by_the_write_key_on_its_messages(app_client, upstream, source) -> None:
    """navigator.sendBeacon sets no headers: text/plain;charset=UTF-8 and the key only in the body."""
    _source_id, key = source
    batch = [message("track", "beacon-1", key), message("page", "beacon-2", key)]
    response = app_client.post("/v1/b", content=orjson.dumps({"batch": batch, "sentAt": "2025-03-01T10:00:05Z"}),
                               headers={**BEACON, "Authorization": ""})
    assert response.status_code == 200, response.text
    single = app_client.post("/v1/t", content=orjson.dumps(message("track", "beacon-3", key)),
                             headers={**BEACON, "Authorization": ""})
    assert single.status_code == 200, single.text
    assert sorted(m["messageId"] for m in outbox(app_client)) == ["beacon-1", "beacon-2", "beacon-3"]


def test_a_body_with_a_write_key_nowhere_is_missing_one(app_client, source) -> None:
    batch = [{k: v for k, v in message("track", "nokey", "x").items() if k != "writeKey"}]
    response = app_client.post("/v1/b", content=orjson.dumps({"batch": batch}), headers={**BEACON, "Authorization": ""})
    assert response.status_code == 401 and response.json()["code"] == "missing_write_key"


def test_a_batch_message_naming_another_write_key_is_rejected_not_misattributed(app_client, upstream, source) -> None:
    _source_id, key = source
    other_id, other_key = add_source(app_client, "other", upstream.url)
    batch = [message("track", "mine", key), message("track", "theirs", other_key)]
    response = app_client.post("/v1/b", content=orjson.dumps({"batch": batch}), headers={**TEXT, "Authorization": ""})
    assert response.status_code == 200
    assert [m["messageId"] for m in outbox(app_client)] == ["mine"]
    assert quarantine(app_client)["theirs"][1] == "invalid_message"
    mismatch = app_client.post("/v1/t", content=orjson.dumps(message("track", "t2", other_key)),
                               headers={**TEXT, **basic(key)})
    assert mismatch.status_code == 400 and mismatch.json()["code"] == "write_key_mismatch"
    assert other_id not in {m["source_id"] for m in outbox(app_client)}


def test_any_content_type_is_read_as_json(app_client, source) -> None:
    _source_id, key = source
    for i, content_type in enumerate(("text/plain", "application/json", "application/x-www-form-urlencoded", None)):
        headers = {**basic(key), **({"Content-Type": content_type} if content_type else {})}
        body = orjson.dumps(message("track", f"ct-{i}", key))
        assert app_client.post("/v1/t", content=body, headers=headers).status_code == 200, content_type
    assert len(outbox(app_client)) == 4


def test_rudderstacks_beacon_path_takes_the_write_key_from_the_query(app_client, source) -> None:
    _source_id, key = source
    body = orjson.dumps({"batch": [{**message("track", "rs-beacon", key), "writeKey": None}],
                         "sentAt": "2025-03-01T10:00:05.000Z"})
    beacon = app_client.post(f"/beacon/v1/batch?writeKey={key}", content=body, headers={**BEACON, "Authorization": ""})
    assert beacon.status_code == 200, beacon.text
    # anywhere else a write key in the URL is not taken (it would end up in access logs)
    elsewhere = app_client.post(f"/v1/batch?writeKey={key}", content=body, headers={**BEACON, "Authorization": ""})
    assert elsewhere.status_code == 401 and elsewhere.json()["code"] == "missing_write_key"
    assert [m["messageId"] for m in outbox(app_client)] == ["rs-beacon"]


def test_no_write_key_is_stored_with_a_rejected_message(app_client, upstream, source) -> None:
    """analytics.js puts the key on every message: a rejected one must not keep it in the quarantine."""
    _source_id, key = source
    _other_id, other_key = add_source(app_client, "other", upstream.url)
    invalid = {k: v for k, v in message("track", "no-event", key).items() if k != "event"}
    batch = [invalid, message("track", "foreign", other_key), {**message("track", "huge", key), "pad": "x" * 40_000}]
    assert app_client.post("/v1/b", content=orjson.dumps({"batch": batch}), headers=TEXT).status_code == 200
    with app_client.app.state.engine.connect() as conn:
        payloads = [row[0] for row in conn.exec_driver_sql("SELECT payload FROM quarantine")]
    assert len(payloads) == 3
    assert all(key not in p and other_key not in p and "writeKey" not in p for p in payloads), payloads
