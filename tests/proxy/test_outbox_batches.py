"""Outbox rows of a batch of events (``outbox_batch``): written per request and source, forwarded,
split, retried in part, dead-lettered event by event, counted in events, migrated both ways.

Real databases on each backend, real upstreams on 127.0.0.1.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select, text

from governance.clock import epoch_minute, utcnow
from governance.db import make_engine
from governance.migrations import config
from governance.proxy import outbox_batch
from governance.proxy.forwarder import Forwarder
from governance.proxy.ledger import ledger_of
from governance.proxy.observe import outbox_gauges
from governance.proxy.quarantine import _waiting
from governance.proxy.tables import DeadLetterRow, DeliveryCountRow, OutboxRow
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.proxy.helpers import add_source, publish_plan, track


def _client(database_url: str, **settings: object) -> TestClient:
    from governance.app import create_app

    return TestClient(create_app(make_settings(database_url, **settings)),
                      headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})


def _rows(engine: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(OutboxRow.__table__).order_by(OutboxRow.id)))  # type: ignore[attr-defined]


def _send(client: TestClient, key: str, ids: list[str]) -> None:
    batch = [track("Product Viewed", m) for m in ids]
    assert client.post("/v1/batch", json={"batch": batch}, auth=(key, "")).status_code == 200


def _add_row(engine: Any, source_id: str, ids: list[str], **values: Any) -> None:
    payloads = [orjson.dumps({"type": "track", "event": "E", "userId": "u", "messageId": m}).decode() for m in ids]
    now = utcnow()
    row = {"source_id": source_id, "message_id": ids[0], "payload": outbox_batch.join(payloads),
           "events": len(ids), "created_at": now, "next_attempt_at": now, "attempts": 0, **values}
    with engine.begin() as conn:
        conn.execute(insert(OutboxRow.__table__), [row])  # type: ignore[attr-defined]


def _ledger(engine: Any, source_id: str) -> dict[str, Any]:
    minute = epoch_minute(utcnow())
    return ledger_of(engine, source_id, minute - 600, minute + 1).to_dict()


def test_a_request_is_one_row_per_batch_and_the_depth_counts_events(database_url, upstream) -> None:
    with _client(database_url, forward_batch_size=100) as client:
        publish_plan(client)
        source_id, key = add_source(client, "web", upstream.url)
        ids = [f"m{i}" for i in range(250)]
        _send(client, key, ids)
        engine = client.app.state.engine
        rows = _rows(engine)
        assert [r.events for r in rows] == [100, 100, 50]
        assert [r.message_id for r in rows] == ["m0", "m100", "m200"]  # each row's first event
        assert [e.message_id for e in outbox_batch.unbatch(rows)] == ids  # in order, none lost
        assert outbox_gauges(engine)["governance_outbox_depth"][1] == 250.0
        forwarding = client.get("/api/v1/forwarding", params={"source": source_id}).json()["data"][0]
        assert forwarding["outbox_depth"] == 250
        assert _ledger(engine, source_id)["in_outbox"] == 250
        forwarder = Forwarder(engine, client.app.state.settings)
        assert forwarder.run_once() == 250
        forwarder.close()
        assert upstream.message_ids() == ids and [len(b["batch"]) for b in upstream.requests] == [100, 100, 50]
        ledger = _ledger(engine, source_id)
        assert ledger["forwarded"] == 250 and ledger["in_outbox"] == 0 and ledger["balanced"]


def test_a_row_larger_than_the_batch_is_split_and_a_failure_keeps_only_what_was_not_sent(
        database_url, upstream) -> None:
    """A row of 250 events under forward_batch_size 100: the first request goes through, the second
    fails (503): the 100 delivered are counted and gone, the row keeps the other 150 for its retry."""
    with _client(database_url, forward_batch_size=100, retry_base_s=1, retry_max_s=1) as client:
        publish_plan(client)
        source_id, _ = add_source(client, "web", upstream.url)
        engine = client.app.state.engine
        ids = [f"big{i}" for i in range(250)]
        _add_row(engine, source_id, ids)
        upstream.script = [200, 503]
        forwarder = Forwarder(engine, client.app.state.settings)
        assert forwarder.run_once() == 250
        assert upstream.message_ids() == ids[:100]
        (row,) = _rows(engine)
        assert (row.events, row.attempts, row.message_id) == (150, 1, "big100")
        assert [e.message_id for e in outbox_batch.unbatch([row])] == ids[100:]
        with engine.connect() as conn:
            assert conn.execute(select(func.sum(DeliveryCountRow.delivered))).scalar_one() == 100
        assert _ledger(engine, source_id)["forwarded"] == 100 and _ledger(engine, source_id)["in_outbox"] == 150
        with engine.begin() as conn:  # due again now
            conn.execute(OutboxRow.__table__.update().values(next_attempt_at=utcnow()))  # type: ignore[attr-defined]
        assert forwarder.run_once() == 150
        forwarder.close()
        assert upstream.message_ids() == ids  # every event once, in order
        assert [len(b["batch"]) for b in upstream.requests] == [100, 100, 50] and _rows(engine) == []
        ledger = _ledger(engine, source_id)  # rows written here, not received: no "balanced" to check
        assert ledger["forwarded"] == 250 and ledger["in_outbox"] == 0


def test_a_refused_row_is_dead_lettered_event_by_event(database_url, upstream) -> None:
    with _client(database_url, forward_batch_size=100) as client:
        publish_plan(client)
        source_id, _ = add_source(client, "web", upstream.url)
        engine = client.app.state.engine
        ids = [f"bad{i}" for i in range(3)]
        _add_row(engine, source_id, ids)
        upstream.status = 400
        forwarder = Forwarder(engine, client.app.state.settings)
        forwarder.run_once()
        forwarder.close()
        with engine.connect() as conn:
            dead = list(conn.execute(select(DeadLetterRow.message_id, DeadLetterRow.payload, DeadLetterRow.attempts)
                                     .order_by(DeadLetterRow.id)))
        assert [d.message_id for d in dead] == ids and all(d.attempts == 1 for d in dead)
        assert [orjson.loads(d.payload)["messageId"] for d in dead] == ids
        assert _rows(engine) == []
        ledger = _ledger(engine, source_id)
        assert ledger["dead_lettered"] == 3 and ledger["in_outbox"] == 0
        replayed = client.post("/api/v1/dead-letter/replay", json={"source": source_id})
        assert replayed.status_code == 200, replayed.text
        assert sum(r.events for r in _rows(engine)) == 3  # back in the outbox, one row per event


def test_a_replay_finds_a_message_waiting_inside_a_row(database_url) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            config_ = config()
            config_.attributes["connection"] = conn
            command.upgrade(config_, "head")
        long_id = "x_%" * 100  # 300 characters, LIKE wildcards included: the column holds 200 of them
        _add_row(engine, "src", ["first", "second", long_id])
        table = OutboxRow.__table__  # type: ignore[attr-defined]
        with engine.connect() as conn:
            assert _waiting(conn, table, "src", "first") and _waiting(conn, table, "src", "second")
            assert _waiting(conn, table, "src", long_id[:200])
            assert not _waiting(conn, table, "src", "secon") and not _waiting(conn, table, "src", "x_%x")
            assert not _waiting(conn, table, "other", "second")
    finally:
        engine.dispose()


def test_the_migration_keeps_queued_rows_and_the_downgrade_splits_batches(database_url) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            cfg = config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0008_hourly_rollup")
            old = utcnow() - timedelta(minutes=3)
            conn.execute(text("INSERT INTO outbox (source_id, message_id, payload, created_at, attempts, "
                              "next_attempt_at) VALUES ('src', 'one', :p, :t, 2, :t)"),
                         {"p": '{"messageId":"one"}', "t": old})
            command.upgrade(cfg, "0009_outbox_batches")
        (row,) = _rows(engine)
        assert (row.message_id, row.events, row.attempts) == ("one", 1, 2)  # a queued row of one event, as it was
        _add_row(engine, "src", ["a", "b", "c"], attempts=1)
        with engine.begin() as conn:
            cfg = config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0008_hourly_rollup")
            rows = list(conn.execute(text("SELECT message_id, payload, attempts FROM outbox ORDER BY id")))
            assert [(r[0], orjson.loads(r[1])["messageId"], r[2]) for r in rows] == [
                ("one", "one", 2), ("a", "a", 1), ("b", "b", 1), ("c", "c", 1)]
            command.upgrade(cfg, "head")
    finally:
        engine.dispose()
