"""Distinct events stay distinct (the whole messageId is the dedupe key), stored payloads keep no
credentials, and the parse-time checks are exact."""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy import select

from governance.proxy.dedupe import id_key
from governance.proxy.limits import cut, has_nul, out_of_range_integer
from governance.proxy.outbox_batch import split
from governance.proxy.tables import DeadLetterRow, EventSampleRow, OutboxRow, QuarantineRow, ViolationSampleRow
from tests.proxy.helpers import add_source, drain, publish_plan, track


def test_message_ids_that_differ_after_200_characters_are_two_events(app_client, upstream) -> None:
    publish_plan(app_client)
    _, key = add_source(app_client, "web", upstream.url)
    first, second = "m" * 200 + "-first", "m" * 200 + "-second"
    for message_id in (first, second, first):  # the third is a retry of the first
        response = app_client.post("/v1/track", json=track("Product Viewed", message_id), auth=(key, ""))
        assert response.status_code == 200
    drain(app_client)
    assert sorted(upstream.message_ids()) == sorted([first, second])  # whole ids reach the upstream
    outcomes = app_client.get("/api/v1/sources/web/events", params={"window": "1h"}).json()["data"][0]["outcomes"]
    assert outcomes == {"forwarded": 2, "deduplicated": 1}


def test_the_dedupe_key_is_the_id_when_it_fits_and_a_digest_of_all_of_it_when_not() -> None:
    assert id_key("abc") == "abc" and id_key("x" * 200) == "x" * 200
    long_a, long_b = id_key("x" * 200 + "a"), id_key("x" * 200 + "b")
    assert long_a != long_b and long_a.startswith("sha256:") and len(long_a) <= 200


def test_no_stored_payload_keeps_a_write_key(app_client, upstream) -> None:
    publish_plan(app_client)
    _, key = add_source(app_client, "web", upstream.url,
                        settings={"track": {"allowUnplannedEvents": False}})
    batch = [
        {**track("Product Viewed", "ok", product_id=1), "writeKey": key},  # a violation: type_mismatch
        {**track("Coupon Applied", "blocked"), "writeKey": key},  # unplanned: quarantined
        {"type": "track", "userId": "u", "messageId": "rejected", "writeKey": key},  # no event: rejected
        {**track("Product Viewed", "deep"), "writeKey": key, "properties": {"x": cut_me(40)}},  # too deep
    ]
    response = app_client.post("/v1/batch", json={"batch": batch}, auth=(key, ""))
    assert response.status_code == 200
    upstream.status = 400  # the forwarded one goes to the dead letter
    drain(app_client)
    engine = app_client.app.state.engine
    with engine.connect() as conn:
        stored = [*conn.execute(select(QuarantineRow.payload)).scalars(),
                  *conn.execute(select(ViolationSampleRow.payload)).scalars(),
                  *conn.execute(select(EventSampleRow.payload)).scalars(),
                  *conn.execute(select(DeadLetterRow.payload)).scalars(),
                  *[p for row in conn.execute(select(OutboxRow.payload)).scalars() for p in split(row)]]
    assert len(stored) >= 5
    assert all(key not in payload and "writeKey" not in orjson.loads(payload) for payload in stored)
    for path in ("/api/v1/quarantine", "/api/v1/dead-letter", "/api/v1/sources/web/violations"):
        listed = app_client.get(path)
        assert listed.status_code == 200 and key not in listed.text, path


def cut_me(depth: int) -> dict:
    node: dict = {}
    top = node
    for _ in range(depth):
        node["d"] = {}
        node = node["d"]
    return top


@pytest.mark.parametrize(("text", "refused"), [
    (b"-9223372036854775809", True), (b"-9223372036854775808", False), (b"9223372036854775807", False),
    (b"18446744073709551615", False), (b"18446744073709551616", True), (b"1" + b"0" * 400, True),
    (b'"-9223372036854775809"', False), (b'"\\"-9223372036854775809"', False), (b"1.18446744073709551616", False),
    (b"1e18446744073709551616", False), (b"[1, -99999999999999999999]", True),
    (b'{"a\\\\": 18446744073709551616}', True), (b'{"a\\"": "b", "c": 18446744073709551616}', True),
])
def test_the_64_bit_check_is_exact(text: bytes, refused: bool) -> None:
    assert out_of_range_integer(text) is refused


def test_a_nul_is_found_wherever_it_is_but_an_escaped_backslash_is_not_one() -> None:
    assert has_nul({"event": "a\u0000b"}) and has_nul({"k\u0000": 1}) and has_nul({"a": ["\u0000"]})
    assert not has_nul({"event": "a\\u0000b"})  # a backslash, then "u0000"
    assert has_nul({"event": "a\\\u0000"})  # a backslash, then a NUL


def test_cut_keeps_a_writable_depth() -> None:
    deep: object = 1
    for _ in range(1000):
        deep = [deep]
    kept = cut(deep, 32)
    assert orjson.loads(orjson.dumps(kept)) == kept  # writable
    depth, node = 0, kept
    while isinstance(node, list):
        depth, node = depth + 1, node[0]
    assert depth == 32 and node == "\u2026"
