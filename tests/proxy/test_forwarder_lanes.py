"""The forwarder's bounded waits: lanes per source, leases renewed, attempts per row, a guarded URL.

Real upstreams on 127.0.0.1 (one of them hangs), a real database on each backend.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select

from governance.app import create_app
from governance.db import make_engine
from governance.proxy.forwarder import Forwarder
from governance.proxy.tables import DeadLetterRow, OutboxRow
from governance.registry.tables import utcnow
from governance.ssrf import UnsafeUrl, upstream_refusal, vet_upstream
from tests.conftest import ADMIN_TOKEN, make_settings, wait_until
from tests.proxy.conftest import Upstream
from tests.proxy.helpers import add_source, publish_plan, track


def _client(database_url: str, **settings: object) -> TestClient:
    app = create_app(make_settings(database_url, **settings))
    return TestClient(app, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})


def _send(client: TestClient, key: str, prefix: str, n: int) -> list[str]:
    ids = [f"{prefix}{i}" for i in range(n)]
    batch = [track("Product Viewed", m) for m in ids]
    assert client.post("/v1/batch", json={"batch": batch}, auth=(key, "")).status_code == 200
    return ids


def _count(engine, table) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_hanging_upstream_delays_only_its_own_source(database_url, upstream, other_upstream) -> None:
    """Lanes: while one upstream takes 3 s per request, the other source is delivered at once."""
    with _client(database_url, upstream_timeout_s=10) as client:
        publish_plan(client)
        _, slow_key = add_source(client, "slow", other_upstream.url)
        _, fast_key = add_source(client, "fast", upstream.url)
        other_upstream.delay_s = 3.0
        slow_ids = _send(client, slow_key, "s", 250)  # three chunks of 100
        forwarder = Forwarder(client.app.state.engine, client.app.state.settings)
        stop = threading.Event()

        def loop() -> None:
            while not stop.is_set():
                if not forwarder.dispatch():
                    stop.wait(0.05)

        thread = threading.Thread(target=loop)
        thread.start()
        try:
            assert wait_until(lambda: bool(forwarder.running()), timeout=5)  # the slow source's lane hangs
            started = time.monotonic()
            fast_ids = _send(client, fast_key, "f", 20)
            assert wait_until(lambda: sorted(upstream.message_ids()) == sorted(fast_ids), timeout=10)
            fast_latency = time.monotonic() - started
            assert fast_latency < 2.0, f"the fast source waited {fast_latency:.2f} s behind the slow one"
            print(f"\nlanes: the healthy source delivered {fast_latency:.2f} s after sending, beside a 3 s upstream")
            assert wait_until(lambda: sorted(other_upstream.message_ids()) == sorted(slow_ids), timeout=30)
        finally:
            stop.set()
            thread.join(timeout=30)
            forwarder.close()
    assert len(other_upstream.message_ids()) == 250  # none twice


def test_a_delivery_longer_than_the_lease_is_never_claimed_twice(database_url, upstream) -> None:
    """Leases are renewed while a delivery runs: four forwarders, an upstream slower than the
    lease, and every row reaches it once."""
    with _client(database_url, forward_lease_s=2.0, upstream_timeout_s=15, forward_batch_size=50) as client:
        publish_plan(client)
        _, key = add_source(client, "web", upstream.url)
        ids = _send(client, key, "m", 200)
        settings = client.app.state.settings
    upstream.delay_s = 5.0  # each request outlasts the 2 s lease more than twice (renewed every 0.5 s)
    forwarders = [Forwarder(make_engine(database_url), settings) for _ in range(4)]
    barrier = threading.Barrier(len(forwarders))
    handled = [0] * len(forwarders)

    def work(i: int) -> None:
        barrier.wait()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(upstream.message_ids()) < len(ids):
            handled[i] += forwarders[i].run_once(limit=1)  # one row (50 events) a claim
            time.sleep(0.05)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(forwarders))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    for f in forwarders:
        f.close()
    delivered = upstream.message_ids()
    assert sorted(delivered) == sorted(ids), f"{len(delivered)} deliveries for {len(ids)} events"
    assert sum(1 for n in handled if n) >= 2  # the work was shared, not serialised on one worker
    assert sum(f.leases.renewals for f in forwarders) > 0  # the leases were renewed, not merely long


def test_attempts_are_counted_per_row(database_url, upstream) -> None:
    """A chunk mixing a fresh row and a row on its third try: only the latter is dead-lettered."""
    with _client(database_url, retry_base_s=1, retry_max_s=2) as client:
        publish_plan(client)
        source_id, _ = add_source(client, "web", upstream.url)
        engine = client.app.state.engine
        old = utcnow() - timedelta(hours=4)
        with engine.begin() as conn:
            conn.execute(insert(OutboxRow.__table__), [  # type: ignore[attr-defined]
                {"source_id": source_id, "message_id": m, "created_at": old, "next_attempt_at": old,
                 "attempts": attempts, "payload": f'{{"type":"track","event":"E","userId":"u","messageId":"{m}"}}'}
                for m, attempts in (("fresh", 0), ("third-try", 2))])
        upstream.status = 503
        forwarder = Forwarder(engine, client.app.state.settings)
        assert forwarder.run_once() == 2
        forwarder.close()
        with engine.connect() as conn:
            waiting = dict(conn.execute(select(OutboxRow.message_id, OutboxRow.attempts)).all())
            dead = dict(conn.execute(select(DeadLetterRow.message_id, DeadLetterRow.attempts)).all())
    assert waiting == {"fresh": 1} and dead == {"third-try": 3}


@pytest.mark.parametrize("address", ["169.254.169.254", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe",
                                     "2002:a9fe:a9fe::1", "fd00:ec2::254", "169.254.1.1", "fe80::1",
                                     "::ffff:169.254.1.1"])
def test_link_local_and_metadata_upstreams_are_refused_in_every_form(address: str) -> None:
    assert upstream_refusal(ipaddress.ip_address(address)) is not None
    allowed = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"))
    metadata = address in ("169.254.169.254", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1",
                           "fd00:ec2::254")
    assert (upstream_refusal(ipaddress.ip_address(address), allowed=allowed) is not None) is metadata


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "10.1.2.3", "192.168.1.10", "172.16.0.5", "fd12::1",
                                     "8.8.8.8"])
def test_loopback_private_and_public_upstreams_are_allowed(address: str) -> None:
    assert upstream_refusal(ipaddress.ip_address(address)) is None
    assert upstream_refusal(ipaddress.ip_address(address), denied=(ipaddress.ip_network("::/0"),
                                                                   ipaddress.ip_network("0.0.0.0/0"))) is not None


def test_vet_upstream_resolves_names_and_refuses_denied_networks() -> None:
    assert vet_upstream("http://localhost:8080/v1/batch").ip == "127.0.0.1"
    with pytest.raises(UnsafeUrl, match="denied"):
        vet_upstream("http://localhost:8080/", denied_networks=["127.0.0.0/8"])


def test_an_editor_cannot_point_an_upstream_at_the_metadata_service(app_client) -> None:
    for url in ("http://169.254.169.254/latest/meta-data", "http://[::ffff:169.254.169.254]/",
                "http://[fd00:ec2::254]/", "http://169.254.10.10:8080"):
        created = app_client.post("/api/v1/sources", json={"name": "evil", "upstream_url": url})
        assert created.status_code == 422, created.text
        assert created.json()["code"] == "validation_failed" and "upstream_url" in created.json()["message"]
    ok = app_client.post("/api/v1/sources", json={"name": "router", "upstream_url": "http://10.0.0.5:8080"})
    assert ok.status_code == 201, ok.text
    patched = app_client.patch("/api/v1/sources/router", json={"upstream_url": "http://169.254.169.254/"})
    assert patched.status_code == 422
    assert app_client.get("/api/v1/sources/router").json()["upstream_url"] == "http://10.0.0.5:8080"


def test_a_refused_address_is_never_contacted_and_dead_letters(database_url, upstream: Upstream) -> None:
    with _client(database_url) as client:
        publish_plan(client)
        _, key = add_source(client, "web", upstream.url)
        _send(client, key, "m", 3)
        engine = client.app.state.engine
        denying = make_settings(database_url, upstream_denied_networks=["127.0.0.0/8"])
        forwarder = Forwarder(engine, denying)
        assert forwarder.run_once() == 3
        forwarder.close()
        assert upstream.requests == [] and _count(engine, OutboxRow) == 0
        listed = client.get("/api/v1/dead-letter").json()
    assert listed["count"] == 3
    assert {row["reason"] for row in listed["data"]} == {"upstream address refused: '127.0.0.1' resolves to "
                                                          "127.0.0.1: in a denied network"}


def test_an_upstreams_response_body_is_never_shown_to_viewers(database_url, upstream: Upstream) -> None:
    with _client(database_url) as client:
        publish_plan(client)
        _, key = add_source(client, "web", upstream.url)
        _send(client, key, "m", 2)
        upstream.status, upstream.body = 400, b"<html>internal admin page: db password hunter2</html>"
        forwarder = Forwarder(client.app.state.engine, client.app.state.settings)
        forwarder.run_once()
        forwarder.close()
        token = client.post("/api/v1/tokens", json={"role": "viewer", "name": "v"}).json()["token"]
        listed = client.get("/api/v1/dead-letter", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200 and listed.json()["count"] == 2
    assert "hunter2" not in listed.text and "internal admin page" not in listed.text
    assert {row["reason"] for row in listed.json()["data"]} == {"upstream answered HTTP 400 (not retried)"}
