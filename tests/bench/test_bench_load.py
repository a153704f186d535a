"""The load generator's bodies: every messageId unique across peers, clients and requests."""

from __future__ import annotations

import orjson

from governance.bench.load import PLACEHOLDER, Bodies, sample_events
from governance.bench.proxy import PEER_STREAMS


def test_every_message_id_is_unique_across_streams_and_requests() -> None:
    bodies = Bodies(sample_events(2000), 100)
    ids: list[str] = []
    seen_first: set[str] = set()
    for peer in PEER_STREAMS.values():
        for client in range(8):
            for seq in range(30):
                batch = orjson.loads(bodies.body(peer + client, seq))["batch"]
                assert len(batch) == 100
                ids += [event["messageId"] for event in batch]
                seen_first.add(orjson.dumps(batch[0]["properties"]).decode())
    assert len(ids) == len(set(ids)) == len(PEER_STREAMS) * 8 * 30 * 100
    assert PLACEHOLDER not in ids
    assert len(seen_first) > 1, "clients start at different templates, not all at bodies[0]"


def test_two_runs_never_share_an_id() -> None:
    events = sample_events(200)
    first, second = Bodies(events, 100), Bodies(events, 100)
    assert first.run != second.run
    a = {e["messageId"] for e in orjson.loads(first.body(0x100, 0))["batch"]}
    b = {e["messageId"] for e in orjson.loads(second.body(0x100, 0))["batch"]}
    assert not a & b


def test_bodies_are_the_templates_with_only_the_ids_changed() -> None:
    events = sample_events(200)
    body = orjson.loads(Bodies(events, 100).body(0x305, 7))
    for sent, template in zip(body["batch"], events[100:] if (0x305 + 7) % 2 else events[:100], strict=True):
        assert {**sent, "messageId": PLACEHOLDER} == template
