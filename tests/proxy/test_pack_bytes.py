"""``settle.pack`` cuts requests at ``MAX_REQUEST_BYTES`` too: Segment's /v1/batch takes 500 KB a
request and answers a larger one 400 (which would dead-letter every event in it). Checked on the
packing alone and through the forwarder to a real upstream on 127.0.0.1."""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson
from sqlalchemy import insert

from governance.clock import utcnow
from governance.proxy import outbox_batch
from governance.proxy.forwarder import Forwarder
from governance.proxy.settle import MAX_REQUEST_BYTES, pack
from governance.proxy.tables import OutboxRow
from tests.proxy.helpers import add_source, publish_plan
from tests.proxy.test_outbox_batches import _client, _rows


class Row(NamedTuple):
    id: int
    payload: str


def _row(n: int, events: int, pad: int, text: str = "x") -> Row:
    return Row(n, outbox_batch.join([orjson.dumps({"messageId": f"r{n}-{i}", "p": text * pad}).decode()
                                     for i in range(events)]))


def _flat(chunks: list[list[Any]]) -> list[str]:
    return [p for chunk in chunks for piece in chunk for p in piece.payloads]


def test_without_a_byte_cap_the_requests_are_as_before() -> None:
    rows = [_row(1, 30, 10), _row(2, 250, 10), _row(3, 80, 10), _row(4, 20, 10)]
    chunks = list(pack(rows, 100))
    assert [[(p.row.id, p.start, p.end) for p in c] for c in chunks] == [
        [(1, 0, 30)], [(2, 0, 100)], [(2, 100, 200)], [(2, 200, 250)], [(3, 0, 80), (4, 0, 20)]]


def test_requests_stay_under_the_byte_cap_with_every_event_once_in_order() -> None:
    rows = [_row(1, 100, 6000), _row(2, 3, 6000), _row(3, 100, 600, "é")]
    chunks = list(pack(rows, 100, MAX_REQUEST_BYTES))
    body_bytes = [len(b'{"batch":[]}') + sum(len(p.encode()) + 1 for piece in c for p in piece.payloads)
                  for c in chunks]
    assert max(body_bytes) < MAX_REQUEST_BYTES and len(chunks) > 2
    assert _flat(chunks) == [p for r in rows for p in outbox_batch.split(r.payload)]
    assert all(sum(len(piece.payloads) for piece in c) <= 100 for c in chunks)


def test_an_event_larger_than_the_cap_goes_alone() -> None:
    rows = [_row(1, 2, 10), _row(2, 1, 600_000), _row(3, 2, 10)]
    chunks = list(pack(rows, 100, MAX_REQUEST_BYTES))
    assert [[(p.row.id, p.start, p.end) for p in c] for c in chunks] == [[(1, 0, 2)], [(2, 0, 1)], [(3, 0, 2)]]


def test_the_forwarder_sends_large_events_in_requests_under_500_kb(database_url: str, upstream: Any) -> None:
    """A row of 100 events of ~8 KB (800 KB): every event delivered once, in order, each request < 500 KB."""
    with _client(database_url, forward_batch_size=100) as client:
        publish_plan(client)
        source_id, _ = add_source(client, "web", upstream.url)
        engine = client.app.state.engine
        ids = [f"large{i}" for i in range(100)]
        payloads = [orjson.dumps({"type": "track", "event": "E", "userId": "u", "messageId": m,
                                  "properties": {"pad": "x" * 8000}}).decode() for m in ids]
        now = utcnow()
        with engine.begin() as conn:
            conn.execute(insert(OutboxRow.__table__), [{  # type: ignore[attr-defined]
                "source_id": source_id, "message_id": ids[0], "payload": outbox_batch.join(payloads),
                "events": len(ids), "created_at": now, "next_attempt_at": now, "attempts": 0}])
        forwarder = Forwarder(engine, client.app.state.settings)
        try:
            assert forwarder.run_once() == 100
        finally:
            forwarder.close()
        assert upstream.message_ids() == ids and _rows(engine) == []
        assert len(upstream.requests) >= 2
        assert all(len(orjson.dumps(body)) < MAX_REQUEST_BYTES for body in upstream.requests)
