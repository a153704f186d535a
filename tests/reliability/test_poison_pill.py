"""A poison pill fails nothing but itself: neither its neighbours in the batch, nor the requests it
shares a group commit with. Real HTTP server, concurrent senders, both backends."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import orjson
from sqlalchemy import select

from governance.db import make_engine
from governance.migrations import upgrade
from governance.proxy.outbox_batch import unbatch
from governance.proxy.pipeline import Verdict
from governance.proxy.store import Store
from governance.proxy.tables import OutboxRow, QuarantineRow
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.reliability.live import live_app


def nested(depth: int) -> bytes:
    return b'{"d":' * depth + b"1" + b"}" * depth


def item(message_id: str, **fields: Any) -> dict[str, Any]:
    return {"type": "track", "event": "Tick", "userId": "u", "messageId": message_id, **fields}


def raw_batch(*items: bytes) -> bytes:
    return b'{"batch":[' + b",".join(items) + b"]}"


def deep_item(message_id: str, depth: int) -> bytes:
    return orjson.dumps(item(message_id))[:-1] + b',"properties":{"x":' + nested(depth) + b"}}"


POISON = {  # name: (path, body, the status it must get)
    "300 levels in a batch": ("/v1/batch", raw_batch(deep_item("p300", 300), orjson.dumps(item("with-p300"))), 200),
    "1000 levels in a batch": ("/v1/batch", raw_batch(deep_item("p1000", 1000), orjson.dumps(item("with-p1000"))),
                               200),
    "300 levels in a batch over 32 KB": ("/v1/batch", raw_batch(
        deep_item("p300-big", 300), orjson.dumps(item("pad", properties={"blob": "x" * 40_000})),
        orjson.dumps(item("with-p300-big"))), 200),
    "a NUL in an event name": ("/v1/batch", raw_batch(orjson.dumps(item("pnul", event="Ti\u0000ck")),
                                                      orjson.dumps(item("with-pnul"))), 200),
    "300 levels in a single call": ("/v1/track", deep_item("p300-single", 300), 400),
}


def test_a_poison_item_among_concurrent_innocent_requests_fails_only_itself(database_url, upstream) -> None:
    settings = make_settings(database_url)
    with live_app(settings) as (base, app):
        admin = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30)
        created = admin.post("/api/v1/sources", json={"name": "web", "upstream_url": upstream.url})
        assert created.status_code == 201, created.text
        key = created.json()["write_key"]
        app.state.proxy.runtime.reload()
        answers: dict[str, int] = {}
        lock = threading.Lock()

        def innocent(i: int) -> None:
            response = httpx.post(f"{base}/v1/track", json=item(f"innocent-{i}"), auth=(key, ""), timeout=15)
            with lock:
                answers[f"innocent-{i}"] = response.status_code

        def poison(name: str) -> None:
            path, body, _ = POISON[name]
            response = httpx.post(f"{base}{path}", content=body, auth=(key, ""), timeout=15,
                                  headers={"content-type": "application/json"})
            with lock:
                answers[name] = response.status_code

        with ThreadPoolExecutor(max_workers=16) as pool:
            jobs = [pool.submit(innocent, i) for i in range(20)]
            jobs += [pool.submit(poison, name) for name in POISON]
            jobs += [pool.submit(innocent, i) for i in range(20, 40)]
            for job in jobs:
                job.result()
        assert {k: v for k, v in answers.items() if k.startswith("innocent")} == {f"innocent-{i}": 200
                                                                                  for i in range(40)}
        assert {name: answers[name] for name in POISON} == {name: want for name, (_, _, want) in POISON.items()}
        engine = app.state.engine
        with engine.connect() as conn:
            waiting = {e.message_id for e in unbatch(conn.execute(select(OutboxRow.__table__)))}
            rejected = dict(conn.execute(select(QuarantineRow.message_id, QuarantineRow.violations)).all())
        assert waiting == {f"innocent-{i}" for i in range(40)} | {"with-p300", "with-p1000", "with-p300-big",
                                                                  "with-pnul"}
        codes = {m: orjson.loads(v)[0]["code"] for m, v in rejected.items()}
        assert codes == {"p300": "too_deep", "p1000": "too_deep", "p300-big": "too_deep", "pad": "event_too_large",
                         "pnul": "nul_character"}
        ledger = admin.get("/api/v1/sources/web/ledger").json()
        assert ledger["difference"] == 0 and ledger["received"] == 49 and ledger["rejected"] == 5, ledger
        admin.close()


class Lock:
    """Hold the database's write lock from another connection (SQLite) or the dedupe window (PostgreSQL)."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.conn = self.engine.raw_connection()

    def __enter__(self) -> Lock:
        cursor = self.conn.cursor()
        if self.engine.dialect.name == "sqlite":
            cursor.execute("BEGIN IMMEDIATE")
        else:
            cursor.execute("LOCK TABLE dedupe_keys IN ACCESS EXCLUSIVE MODE")
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.rollback()
        self.conn.close()
        self.engine.dispose()


def test_a_group_commit_isolates_the_request_that_cannot_be_written(database_url) -> None:
    """Whatever makes one request's rows unwritable (here: a forwarded message orjson cannot write),
    the others of its group commit; only that request fails."""
    engine = make_engine(database_url)
    upgrade(engine)
    store = Store(engine, dedupe_window_s=3600)
    deep: Any = 1
    for _ in range(300):
        deep = {"d": deep}

    def verdict(message_id: str, forward: Any = None) -> Verdict:
        return Verdict("forwarded", kind="track", event="Tick", message_id=message_id,
                       forward=forward if forward is not None else item(message_id))

    try:
        with Lock(database_url):  # the first request waits for the lock; the others queue behind it
            first = store.submit("src", [verdict("first")])
            threading.Event().wait(0.3)
            bad = store.submit("src", [verdict("poison", {"deep": deep})])
            good = [store.submit("src", [verdict(f"good-{i}")]) for i in range(20)]
        assert first.result(timeout=30) == ["forwarded"]
        assert [f.result(timeout=30) for f in good] == [["forwarded"]] * 20
        assert bad.exception(timeout=30) is not None
        with engine.connect() as conn:
            events = unbatch(conn.execute(select(OutboxRow.__table__)))
            stored, count = {e.message_id for e in events}, len(events)
        assert stored == {"first"} | {f"good-{i}" for i in range(20)} and count == 21
    finally:
        store.close()
        engine.dispose()
