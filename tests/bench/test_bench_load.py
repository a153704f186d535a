"""The load generator's bodies: every messageId unique across peers, clients and requests, and
shaped like the real SDKs' ids (not ordered: ordered ids flatter every B-tree)."""

from __future__ import annotations

import itertools
import re
import time
import uuid

import orjson
import pytest

from governance.bench.ids import INDEX_BITS, SDK_MIX, Ids, mix, uuid_text
from governance.bench.load import PLACEHOLDER, Bodies, sample_events
from governance.bench.proxy import PEER_STREAMS

UUID4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
SHAPES = {"ajs-next": re.compile(rf"ajs-next-(\d{{13}})-({UUID4})"),
          "node-next": re.compile(rf"node-next-(\d{{13}})-({UUID4})"), "uuid4": re.compile(rf"({UUID4})")}


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


def test_ids_are_shaped_like_the_sdks_and_match_the_library() -> None:
    events = sample_events(2000)
    bodies = Bodies(events, 100)
    before = time.time_ns() // 1_000_000
    by_shape: dict[str, list[str]] = {shape: [] for shape in SHAPES}
    for seq in range(len(bodies.templates)):
        shape = bodies.shapes[seq]  # stream 0: request seq uses template seq
        for event in orjson.loads(bodies.body(0, seq))["batch"]:
            match = SHAPES[shape].fullmatch(event["messageId"])
            assert match, (shape, event["messageId"])
            if shape != "uuid4":  # the wall clock's milliseconds when the body was built
                assert before <= int(match.group(1)) <= time.time_ns() // 1_000_000
            library = event["context"]["library"]["name"]
            assert library == {"ajs-next": "analytics.js", "node-next": "@segment/analytics-node"}.get(
                shape, library if library in ("analytics-python", "analytics-kotlin") else None)
            by_shape[shape].append(match.groups()[-1])
    counts = {shape: len(found) for shape, found in by_shape.items()}
    assert counts == {s: SDK_MIX.count(s) * 2000 // len(SDK_MIX) for s in SHAPES}  # 40 / 20 / 40 %


def test_the_uuids_are_not_ordered_within_a_request_or_across_requests() -> None:
    # ordered ids (a request's ids sharing a prefix and counting up) fill one B-tree leaf after
    # another; random UUIDv4s land anywhere. Of 100 random ids about half follow a smaller one.
    bodies = Bodies(sample_events(200), 100, ids="uuid4")
    for seq in range(5):
        ids = [e["messageId"] for e in orjson.loads(bodies.body(0x100, seq))["batch"]]
        rises = sum(a < b for a, b in itertools.pairwise(ids))
        assert 25 <= rises <= 75, rises
        assert len({i[:4] for i in ids}) > 80  # no shared prefix: the leading 16 bits are spread
        assert all(uuid.UUID(i).version == 4 for i in ids)
    old = Bodies(sample_events(200), 100, ids="ordered")
    ids = [e["messageId"] for e in orjson.loads(old.body(0x100, 0))["batch"]]
    assert ids == sorted(ids) and len({i[:24] for i in ids}) == 1  # what --ids ordered still gives


def test_the_uuids_are_a_bijection_of_the_counter() -> None:
    # unique by construction: mix is invertible modulo 2^122 (checked on a sample of counters by
    # inverting it), and distinct counters of one run are distinct (nonce, stream, request, index)
    m = (1 << 122) - 1

    def unmix(x: int) -> int:
        from governance.bench.ids import _A, _B
        x ^= (x >> 59) ^ (x >> 118)  # y ^ y >> 59 undone: x = y ^ y >> 59 ^ y >> 118 (122 bits)
        x = (x * pow(_B, -1, 1 << 122)) & m
        x ^= x >> 61  # x >> 61 of a 122-bit value touches the low half only: its own inverse
        return (x * pow(_A, -1, 1 << 122)) & m

    ids = Ids(nonce=12345)
    for counter in (0, 1, 2, 1 << 57, m, (12345 << 58) | 77):
        assert unmix(mix(counter)) == counter
    texts = ids.uuids(0x201, 7, 1 << INDEX_BITS)
    expected = [uuid_text(mix((((12345 << 16 | 0x201) << 32 | 7) << INDEX_BITS) | j)) for j in range(1 << INDEX_BITS)]
    assert texts == expected and len(set(texts)) == 1 << INDEX_BITS
    with pytest.raises(AssertionError):
        ids.uuids(0x201, 7, (1 << INDEX_BITS) + 1)  # more events than the index holds


def test_two_runs_never_share_an_id() -> None:
    events = sample_events(200)
    first, second = Bodies(events, 100), Bodies(events, 100)
    assert first.run != second.run
    a = {e["messageId"] for e in orjson.loads(first.body(0x100, 0))["batch"]}
    b = {e["messageId"] for e in orjson.loads(second.body(0x100, 0))["batch"]}
    assert not a & b


@pytest.mark.parametrize("ids", ["sdk", "uuid4", "ordered"])
def test_bodies_are_the_templates_with_only_the_ids_changed(ids: str) -> None:
    events = sample_events(200)
    bodies = Bodies(events, 100, ids=ids)
    body = orjson.loads(bodies.body(0x305, 7))
    template = bodies.template_events[(0x305 + 7) % 2]
    for sent, made, original in zip(body["batch"], template, events[100:] if (0x305 + 7) % 2 else events[:100],
                                    strict=True):
        assert {**sent, "messageId": PLACEHOLDER} == made
        assert {**made, "context": {**made["context"], "library": original["context"]["library"]}} == original


def test_an_unknown_id_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="ids must be one of"):
        Bodies(sample_events(200), 100, ids="uuid7")
