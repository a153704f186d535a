"""``relay_batch`` joins the relayed events as text, rewriting each distinct stored tail once: its
body is byte for byte the events relayed one by one (``relay``) in a ``{"batch":[…]}``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.proxy.timestamps import last_keys, relay, relay_batch

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
SNEAKY = ',"receivedAt":"2025-03-01T10:00:00Z","sentAt":"2025-03-01T10:00:00Z"}'


def one_by_one(payloads: list[str]) -> bytes:
    return b'{"batch":[' + b",".join([relay(p, NOW, {}) for p in payloads]) + b"]}"


def stored(message: dict[str, Any], *, ordered: bool = True) -> str:
    message = dict(message)
    if ordered:
        last_keys(message)
    return orjson.dumps(message).decode()


def test_shared_distinct_odd_and_unordered_tails_relay_as_one_by_one() -> None:
    shared = {"sentAt": "2025-03-01T09:00:00Z", "receivedAt": "2025-03-01T08:00:00.000Z"}
    payloads = [stored({"messageId": f"m{i}", "properties": {"i": i, "é": "ü"}, **shared}) for i in range(5)]
    payloads += [
        stored({"messageId": "other-device", "sentAt": "2025-03-01T07:00:00Z", "receivedAt": "2025-03-01T08:00:00Z"}),
        stored({"messageId": "no-sent-at", "receivedAt": "2025-03-01T08:00:00.000Z"}),
        stored({"messageId": "numbers", "receivedAt": 5, "sentAt": 12}),
        stored({"messageId": "year-one", "sentAt": "0001-01-01T00:00:00Z", "receivedAt": "9999-01-01T00:00:00Z"}),
        stored({"messageId": "in-a-string", "properties": {"note": SNEAKY}, **shared}),
        stored({"messageId": "unordered", **shared, "properties": {"late": True}}, ordered=False),
        stored({"messageId": "nested", **shared, "context": {"receivedAt": "x", "sentAt": "y"}}, ordered=False),
        '{"messageId":"torn","receivedAt":"2025-03-01T08:00:00Z","sentAt":"2025-03-01T09:00:00Z","x":1}',
        "[1,2]",
    ]
    body = relay_batch(payloads, NOW)
    assert body == one_by_one(payloads)
    events = orjson.loads(body)["batch"]
    assert events[0]["sentAt"] == events[4]["sentAt"] == "2025-03-01T13:00:00.000Z"  # device 1 h ahead, relayed
    assert events[5]["sentAt"] == "2025-03-01T11:00:00.000Z"
    assert events[-2]["sentAt"] == "2025-03-01T13:00:00.000Z"
    assert relay_batch([], NOW) == b'{"batch":[]}'


ints = st.integers(min_value=-(2**63), max_value=2**63 - 1)
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
stamps = st.one_of(st.sampled_from(["2025-03-01T08:00:00Z", "2025-03-01T09:30:00.250+02:00", "0001-01-01T00:00:00Z"]),
                   texts, ints, st.none())


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.dictionaries(texts, st.one_of(texts, ints), max_size=3), stamps, stamps,
                          st.booleans(), st.booleans()), max_size=8))
def test_any_stored_events_relay_as_one_by_one(events: list[tuple[dict[str, Any], Any, Any, bool, bool]]) -> None:
    payloads = []
    for properties, received_at, sent_at, has_sent_at, ordered in events:
        message: dict[str, Any] = {"messageId": "m", "properties": properties, "receivedAt": received_at}
        if has_sent_at:
            message["sentAt"] = sent_at
        payloads.append(stored(message, ordered=ordered))
    assert relay_batch(payloads, NOW) == one_by_one(payloads)
