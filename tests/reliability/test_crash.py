"""The crash test: acknowledged events survive kill -9, and forwarding comes back by itself.

A client sends batches the way an SDK does (retrying a batch until it is answered 200) and records
every acknowledged messageId. Meanwhile the whole ``governance serve`` process group is killed
with SIGKILL several times and restarted, and once the worker alone is killed: serve must restart
it and forwarding must resume within 15 s. At the end everything is drained to the upstream.

    0 acknowledged events undelivered; the ledger balances (difference 0, nothing left waiting)

Duplicates at the upstream are allowed (delivery is at-least-once: a worker killed between the
upstream's answer and its own commit delivers those events again) and reported.
"""

from __future__ import annotations

import itertools
import os
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.proxy.conftest import Upstream
from tests.reliability.serve import Serve

ROUNDS = 3  # kill -9 of the whole group
LOAD_S = 2.5  # load between kills
RESUME_BOUND_S = 15.0


class Client:
    """An SDK-like sender: a batch is retried until it is answered 200, then its ids are acknowledged."""

    def __init__(self, url: str, key: str) -> None:
        self.url, self.key = url, key
        self.acked: set[str] = set()
        self.answers: dict[int, int] = {}
        self.stop = threading.Event()
        self.ids = itertools.count()
        self.lock = threading.Lock()

    def send(self, prefix: str, n: int) -> list[str]:
        batch = [{"type": "track", "event": "Tick", "userId": "u", "messageId": f"{prefix}-{next(self.ids)}"}
                 for _ in range(n)]
        while True:
            try:
                response = httpx.post(f"{self.url}/v1/batch", json={"batch": batch}, auth=(self.key, ""), timeout=15)
            except httpx.HTTPError:
                if self.stop.is_set():
                    return []
                time.sleep(0.1)  # serve is down (killed): retry, as SDKs do
                continue
            with self.lock:
                self.answers[response.status_code] = self.answers.get(response.status_code, 0) + 1
            if response.status_code == 200:
                ids = [m["messageId"] for m in batch]
                with self.lock:
                    self.acked.update(ids)
                return ids
            time.sleep(0.1)

    def run(self) -> None:
        while not self.stop.is_set():
            self.send("load", 20)


@pytest.mark.slow
def test_acknowledged_events_survive_kill_9_and_the_worker_is_restarted(tmp_path: Path, upstream: Upstream) -> None:
    serve = Serve(f"sqlite:///{tmp_path / 'governance.db'}", tmp_path / "serve.log", retry_base_s=1,
                  forward_lease_s=3, scheduler_enabled="false")
    try:
        serve.start()
        created = serve.admin.post("/api/v1/sources", json={"name": "web", "upstream_url": upstream.url})
        assert created.status_code == 201, created.text
        client = Client(serve.url, created.json()["write_key"])
        senders = [threading.Thread(target=client.run) for _ in range(3)]
        for sender in senders:
            sender.start()
        try:
            for _ in range(ROUNDS):
                time.sleep(LOAD_S)
                serve.kill_group()
                serve.start()
            time.sleep(LOAD_S)
            # the worker alone: serve restarts it, and forwarding resumes without restarting serve
            worker = serve.worker_pid()
            assert worker is not None
            serve_pid = serve.pid
            killed = time.monotonic()
            os.kill(worker, signal.SIGKILL)
            marker = client.send("after-worker-kill", 5)
            while not set(marker) <= set(upstream.message_ids()):
                assert time.monotonic() - killed < RESUME_BOUND_S, "forwarding did not resume within 15 s"
                time.sleep(0.05)
            resumed_s = time.monotonic() - killed
            assert serve.pid == serve_pid and serve.process is not None and serve.process.poll() is None
            health = serve.admin.get("/healthz").json()
            assert health["worker"]["restarts"] >= 1 and health["worker"]["last_exit"] == -9
        finally:
            client.stop.set()
            for sender in senders:
                sender.join(timeout=30)
        deadline = time.monotonic() + 60
        while not client.acked <= set(upstream.message_ids()) and time.monotonic() < deadline:
            time.sleep(0.2)
        delivered = upstream.message_ids()
        missing = client.acked - set(delivered)
        assert not missing, f"{len(missing)} acknowledged events never delivered, e.g. {sorted(missing)[:5]}"
        ledger = serve.admin.get("/api/v1/sources/web/ledger").json()
        while ledger["in_outbox"] and time.monotonic() < deadline:  # retried duplicates still in flight
            time.sleep(0.2)
            ledger = serve.admin.get("/api/v1/sources/web/ledger").json()
        assert ledger["difference"] == 0 and ledger["in_outbox"] == 0, ledger
        assert ledger["received"] >= len(client.acked)
        duplicates = len(delivered) - len(set(delivered))
        print(f"\ncrash test: {len(client.acked)} acknowledged, {len(set(delivered))} delivered "
              f"({duplicates} delivered twice), answers {client.answers}, forwarding resumed "
              f"{resumed_s:.2f} s after the worker was killed; ledger {ledger}")
        assert serve.stop() in (0, -15)  # SIGTERM: serve stops its worker and exits as terminated
    finally:
        serve.close()
