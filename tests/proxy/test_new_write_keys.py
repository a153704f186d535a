"""A new write key works at once; unknown keys cost the database one lookup each, and a bounded number.

The plan refresh is stopped here, so only the lookup on a miss can make a new key work.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text

from governance.app import create_app
from governance.proxy import runtime as runtime_module
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.proxy.helpers import outbox, publish_plan, track


@pytest.fixture
def slow_refresh(database_url: str) -> Iterator[TestClient]:
    app = create_app(make_settings(database_url))
    with TestClient(app, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as client:
        client.app.state.proxy.runtime.stop()  # no polling: the registry changes, the proxy is not told
        yield client


class KeyQueries:
    """Counts the statements that look a write key up by its hash (a real count, on the engine)."""

    def __init__(self, engine: Any) -> None:
        self.count = 0
        self.lock = threading.Lock()
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "write_keys.key_hash =" in statement:
            with self.lock:
                self.count += 1


def test_a_write_key_works_within_50_ms_of_its_creation(slow_refresh: TestClient) -> None:
    client = slow_refresh
    publish_plan(client)
    timings = []
    for name in ("web", "app"):
        created = client.post("/api/v1/sources", json={"name": name, "plan": "shop"})
        assert created.status_code == 201
        born = time.perf_counter()  # the creation has committed and answered
        body = {"batch": [track("Order Completed", f"{name}-1", order_id="o")]}
        assert time.perf_counter() - born < 0.05  # the key is used within 50 ms of its creation...
        response = client.post("/v1/batch", json=body, auth=(created.json()["write_key"], ""))
        assert response.status_code == 200, response.text  # ...and accepted, not a 401
        timings.append(time.perf_counter() - born)
    rotated = client.post("/api/v1/sources/web/write-keys")
    assert rotated.status_code == 201, rotated.text
    response = client.post("/v1/t", json=track("Order Completed", "rotated-1", order_id="o"),
                           auth=(rotated.json()["write_key"], ""))
    assert response.status_code == 200, response.text
    assert sorted(m["messageId"] for m in outbox(client)) == ["app-1", "rotated-1", "web-1"]
    print(f"first use of a new write key answered in {max(timings) * 1000:.1f} ms")  # a figure, not a gate


def test_an_unknown_key_is_looked_up_once(slow_refresh: TestClient) -> None:
    client = slow_refresh
    queries = KeyQueries(client.app.state.engine)
    for _ in range(50):
        response = client.post("/v1/batch", json={"batch": [track("Order Completed", "x")]}, auth=("wk_bogus", ""))
        assert response.status_code == 401 and response.json()["code"] == "invalid_write_key"
    assert queries.count == 1
    assert client.app.state.proxy.runtime.key_lookups == 1


def test_a_flood_of_distinct_unknown_keys_is_rate_limited(slow_refresh: TestClient) -> None:
    client = slow_refresh
    queries = KeyQueries(client.app.state.engine)
    started = time.monotonic()
    for i in range(200):
        response = client.post("/v1/t", json=track("Order Completed", "x"), auth=(f"wk_guess_{i}", ""))
        assert response.status_code == 401
    elapsed = time.monotonic() - started
    budget = runtime_module.LOOKUPS_PER_S * (1 + elapsed)  # the bucket's burst plus its refill
    assert 1 <= queries.count <= budget, (queries.count, elapsed)
    assert queries.count < 200


def test_the_unknown_key_cache_is_bounded(slow_refresh: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = slow_refresh.app.state.proxy.runtime
    monkeypatch.setattr(runtime_module, "UNKNOWN_MAX", 5)
    monkeypatch.setattr(runtime_module, "LOOKUPS_PER_S", 1000.0)
    for i in range(20):
        assert runtime.lookup_key(f"wk_guess_{i}") is None
    assert len(runtime._unknown) == 5


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_key_that_cannot_be_looked_up_is_a_503_to_retry_not_a_401_to_drop(slow_refresh: TestClient) -> None:
    client = slow_refresh
    publish_plan(client)
    created = client.post("/api/v1/sources", json={"name": "web", "plan": "shop"})
    key = created.json()["write_key"]
    body = {"batch": [track("Order Completed", "during-outage", order_id="o")]}
    engine = client.app.state.engine
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE write_keys RENAME TO write_keys_away"))
    try:
        away = client.post("/v1/batch", json=body, auth=(key, ""))
        assert away.status_code == 503 and away.headers["retry-after"] == "5", away.text
        assert away.json()["code"] == "unavailable"
    finally:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE write_keys_away RENAME TO write_keys"))
    retried = client.post("/v1/batch", json=body, auth=(key, ""))  # what the SDK does with a 503
    assert retried.status_code == 200, retried.text
    assert [m["messageId"] for m in outbox(client)] == ["during-outage"]
