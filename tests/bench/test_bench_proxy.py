"""``governance bench proxy`` tells the truth: no event deduplicated, every peer served, every
event counted, forwarded and received by the upstream. A short run per server (1 s + warm-up).

The refusal is tested on a real proxy too: a load that repeats messageIds (the bug of issue 12,
every client starting at bodies[0]) is seen in the read-back counters and refused."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from governance.bench.load import Bodies, load, sample_events
from governance.bench.proxy import prepare_proxy
from governance.bench.readback import counters, wait_drained
from governance.bench.refusals import failure_causes, refusals
from governance.bench.servers import Children, free_port, upstream_count
from governance.db import make_engine

pytestmark = pytest.mark.slow
PEERS = ("baseline", "naive", "diy", "diy_forward", "proxy")


def test_bench_proxy_reports_no_duplicate_and_every_peer_served(database_url: str) -> None:
    """Every peer on SQLite; on PostgreSQL only the proxy (the peers do not use its database)."""
    postgres = database_url.startswith("postgresql")
    peers = "" if postgres else "baseline,naive,diy,diy_forward"
    out = subprocess.run([sys.executable, "-m", "governance", "bench", "proxy", "--seconds", "1", "--concurrency",
                          "4", "--database-url", database_url, "--peers", peers, "--json"], capture_output=True,
                         text=True, timeout=240)
    assert out.returncode == 0, out.stderr + out.stdout
    report = json.loads(out.stdout)
    assert report["deduplicated"] == 0
    assert report["refused"] is None
    for peer in ("proxy",) if postgres else PEERS:
        assert report[f"{peer}_requests"] > 0 and report[f"{peer}_events_per_s"] > 0, peer
        assert report[f"{peer}_errors"] == 0, peer
    cpu = report["proxy_cpu_us_per_event"]  # the CPU of every process on the proxy's path, per measured event
    roles = {"web", "worker", "upstream"} | ({"postgres"} if postgres else set())  # the local cluster's processes
    assert set(cpu) == roles and cpu["web"] > 0 and all(v >= 0 for v in cpu.values()), cpu
    # the worker and the upstream may do most of their part after the short measured window (the drain)
    if not postgres:
        assert report["diy_cpu_us_per_event"]["server"] > 0
        total = cpu["web"] + cpu["worker"]
        assert report["proxy_cpu_us_per_event_total"] == pytest.approx(total, abs=0.11)
        assert report["cpu_ratio_vs_diy"] == pytest.approx(report["diy_cpu_us_per_event"]["server"] / total, abs=0.002)
    assert report["proxy_events_counted"] == report["proxy_events_sent"] == report["proxy_events_new"]
    assert report["proxy_outbox_left"] == 0 and report["proxy_dead_lettered"] == 0
    forwarded = report["proxy_to_forward"]
    assert forwarded > 0
    assert report["proxy_delivered"] == report["proxy_upstream_received"] == report["proxy_upstream_distinct"] \
        == forwarded
    assert report["outbox_depth_samples"], "the outbox depth is sampled during the run"
    assert report["proxy_connections_by_web"] == [4], "the one web process holds the 4 clients' connections"
    if postgres:
        assert report["database"] == "postgresql" and report["postgres_durability"]["fsync"] in ("on", "off")
        assert report["ratio"] is None and "baseline_events_per_s" not in report
        return
    assert report["naive_stored"] > 0 and report["diy_stored"] > 0  # and equal to what they answered (refusals)
    # the forwarding DIY peer delivered every event it stored, once, to the same upstream
    assert report["diy_forward_stored"] == report["diy_forward_upstream_received"] \
        == report["diy_forward_upstream_distinct"] > 0
    assert report["diy_forward_outbox_left"] == 0
    assert report["diy_forward_cpu_us_per_event"]["server"] > 0
    for key in ("ratio", "ratio_vs_diy", "ratio_vs_naive", "ratio_vs_diy_forward", "cpu_ratio_vs_diy_forward"):
        assert report[key] > 0


def test_repeated_message_ids_are_read_back_and_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'proxy.db'}"
    bodies = Bodies(sample_events(200), 100)
    same = bodies.body(0, 0)  # one body: its ajs-next ids carry the ms it was built at, so build it once
    monkeypatch.setattr(Bodies, "body", lambda self, stream, seq: same)  # the bug: one id set
    with Children(tmp_path) as children:
        upstream, _ = children.peer("upstream", "upstream")
        key, source_id = prepare_proxy(url, f"http://127.0.0.1:{upstream}", "repeats")
        port, _web = children.proxy("proxy", url, {})
        auth = base64.b64encode(f"{key}:".encode()).decode()
        figures = load(port, bodies, auth, seconds=1.0, concurrency=2, stream_base=0x100)
        engine = make_engine(url)
        try:
            assert wait_drained(engine, source_id, 30) is not None
            back = counters(engine, source_id)
        finally:
            engine.dispose()
        received = upstream_count(upstream)
    assert figures["requests"] > 1
    assert back["counted"] == figures["events"]
    assert back["new"] == 100 and back["deduplicated"] == figures["events"] - 100
    assert received["events"] == received["distinct"] == 100
    proxy = {**figures, "sent": figures["events"], "readback": back}
    assert any("deduplicated" in reason for reason in refusals({"proxy": proxy}))


def test_a_forwarding_peer_that_did_not_deliver_everything_is_refused() -> None:
    peer = {"errors": 0, "requests": 10, "error_kinds": {}, "sent": 1000, "stored": 1000, "outbox_left": 0,
            "upstream": {"events": 1000, "distinct": 1000}}
    assert refusals({"diy_forward": peer}) == []
    short = {**peer, "outbox_left": 100, "upstream": {"events": 900, "distinct": 900}}
    assert refusals({"diy_forward": short}) == [
        "diy_forward: forwarded 900 of 1000 stored events (100 left in its outbox)"]


def test_the_load_runs_from_inside_a_running_event_loop(tmp_path: Path) -> None:
    """A notebook, or a sync Playwright left open earlier in the same pytest session, keeps a loop
    running in the main thread; the load generator then runs its own loop in a thread."""
    bodies = Bodies(sample_events(200), 100)

    async def inside() -> dict[str, object]:
        with Children(tmp_path) as children:
            port, _ = children.peer("baseline", "bare")
            return load(port, bodies, "", seconds=0.3, concurrency=2, stream_base=0x100)

    figures = asyncio.run(inside())
    assert figures["requests"] > 0 and figures["errors"] == 0


def test_a_request_whose_connection_is_lost_is_reported_with_its_kind_and_timing() -> None:
    """A server that reads a request and closes the connection 0.3 s later without an answer (as a
    web process killed after its commit): the load generator, which has no timeout of its own,
    reports the failure's kind, client, and how long after sending it; the bench's causes say it."""
    port = free_port()
    ready = threading.Event()

    async def serve() -> None:
        async def close_after_reading(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            await asyncio.sleep(0.3)
            writer.close()

        server = await asyncio.start_server(close_after_reading, "127.0.0.1", port)
        ready.set()
        async with server:
            await asyncio.sleep(3)

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(10)
    figures = load(port, Bodies(sample_events(200), 100), "", seconds=1.0, concurrency=2, stream_base=0x100)
    thread.join(10)
    assert figures["requests"] == 0 and figures["errors"] >= 2
    assert set(figures["error_kinds"]) == {"IncompleteReadError"}
    first = figures["failures"][0]
    assert first["kind"] == "IncompleteReadError" and first["client"] in (0, 1)
    assert first["after_ms"] >= 250 and 0 < first["at_s"] < 2
    assert failure_causes({"error_kinds": figures["error_kinds"]}) == {
        "connection lost (IncompleteReadError)": figures["errors"]}
    assert failure_causes({"error_kinds": {"IncompleteReadError": 8, "HTTP 503": 1}, "web_replaced": 1}) == {
        "connection lost (IncompleteReadError): a web process was replaced": 8, "answered 503": 1}
