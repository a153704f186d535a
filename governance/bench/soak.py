"""``governance bench soak``: the proxy at full speed for N minutes, the dedupe window holding it all.

The same child processes and load as ``bench proxy`` (``governance serve`` forwarding to a local
counting upstream, 8 keep-alive clients, every messageId unique), run without a pause for
``minutes`` intervals of ``interval_s`` seconds. The dedupe window stays at its default (24 h),
so every key the run sends is still held at its end. After each interval the bench records:
events/s and latencies, the events/s the upstream received, the outbox depth, database bytes per
event, dedupe-index bytes per key (SQLite ``dbstat``; PostgreSQL ``pg_total_relation_size``), the
RSS of the web process and of the worker, and the machine's load average. Storage is measured
in a thread while the next interval's load already runs.

Goals (reported, never asserted): the last interval's events/s at least 90 % of the first's, RSS
flat (the last interval within 10 % of the first), the outbox bounded (``readback.DepthSampler``).
"""

from __future__ import annotations

import base64
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from governance.bench.load import Bodies, load, sample_events
from governance.bench.proxy import WARM_UP_S, modes_for, prepare_proxy
from governance.bench.readback import DepthSampler, counters, storage, wait_drained
from governance.bench.servers import Children, durability_env, machine, rss_mb, upstream_count, worker_pid


def _measure(engine: Any, web_pid: int, worker: int | None, row: dict[str, Any]) -> None:
    """Fill ``row`` with storage per event counted and per dedupe key, and both processes' RSS."""
    size = storage(engine)
    events = size["events"]
    row.update({"database_bytes": size["database_bytes"], "events_counted": events,
                "database_bytes_per_event": round(size["database_bytes"] / events, 1) if events else None,
                "dedupe_keys": size["dedupe_keys"], "dedupe_bytes_per_key": size["dedupe_bytes_per_key"],
                "size_method": size["size_method"], "web_rss_mb": rss_mb(web_pid), "worker_rss_mb": rss_mb(worker),
                "load_avg_1m": round(os.getloadavg()[0], 2)})


def _intervals(port: int, bodies: Bodies, auth: str, engine: Any, sampler: DepthSampler, web: Any, upstream: int,
               source_id: str, *, minutes: int, interval_s: float,
               concurrency: int) -> tuple[list[dict[str, Any]], int]:
    """A warm-up until the worker forwards, then the load, one interval after the other without a
    pause; a row of figures per interval."""
    rows: list[dict[str, Any]] = []
    seqs = [0] * 256
    warm = load(port, bodies, auth, seconds=WARM_UP_S, concurrency=concurrency, stream_base=0x100, seqs=seqs)
    sent = warm["events"]
    wait_drained(engine, source_id, 120.0)  # the worker starts after the web process
    worker = worker_pid(web)
    pending: threading.Thread | None = None
    forwarded, since = upstream_count(upstream)["events"], time.monotonic()
    for minute in range(1, minutes + 1):
        figures = load(port, bodies, auth, seconds=interval_s, concurrency=concurrency, stream_base=0x100, seqs=seqs)
        sent += figures["events"]
        depth = sampler.samples[-1][1] if sampler.samples else None
        now_forwarded, now = upstream_count(upstream)["events"], time.monotonic()
        row = {"minute": minute, "events_per_s": figures["events_per_s"], "p50_ms": figures["p50_ms"],
               "p99_ms": figures["p99_ms"], "errors": figures["errors"], "outbox_depth": depth,
               "forwarded_per_s": round((now_forwarded - forwarded) / (now - since), 1)}
        forwarded, since = now_forwarded, now
        rows.append(row)
        if pending is not None:
            pending.join()
        pending = threading.Thread(target=_measure, args=(engine, web.pid, worker, row), daemon=True)
        pending.start()
        if minute == minutes:
            pending.join()
    return rows, sent


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    first, last = rows[0], rows[-1]

    def grew(key: str) -> float | None:
        a, b = first.get(key), last.get(key)
        return round(b / a - 1, 3) if a and b else None

    keep = round(last["events_per_s"] / first["events_per_s"], 3) if first["events_per_s"] else None
    rss = [grew("web_rss_mb"), grew("worker_rss_mb")]
    return {"last_vs_first": keep, "web_rss_growth": rss[0], "worker_rss_growth": rss[1],
            "goals_met": {"last_vs_first": keep is not None and keep >= 0.9,
                          "rss_flat": all(g is not None and g <= 0.10 for g in rss)}}


def run(*, minutes: int = 10, interval_s: float = 60.0, concurrency: int = 8, batch: int = 100,
        durability: str = "default", database_url: str | None = None, ids: str = "sdk") -> dict[str, Any]:
    from governance.db import make_engine

    mode = modes_for(durability, database_url)[0]
    load_before = os.getloadavg()
    bodies = Bodies(sample_events(batch * 20), batch, ids)
    with tempfile.TemporaryDirectory(prefix="gov-soak-", ignore_cleanup_errors=True) as name, \
            Children(Path(name)) as children:
        url = database_url or f"sqlite:///{Path(name) / 'soak.db'}"
        upstream_port, _ = children.peer("upstream", "upstream", {"BENCH_UPSTREAM_DISTINCT": "0"})
        key, source_id = prepare_proxy(url, f"http://127.0.0.1:{upstream_port}", f"soak-{bodies.run}")
        auth = base64.b64encode(f"{key}:".encode()).decode()
        engine = make_engine(url)
        try:
            port, web = children.proxy("proxy", url, durability_env(mode) if mode else {})
            started = time.monotonic()
            with DepthSampler(engine, source_id, interval_s=1.0) as sampler:
                rows, sent = _intervals(port, bodies, auth, engine, sampler, web, upstream_port, source_id,
                                        minutes=minutes, interval_s=interval_s, concurrency=concurrency)
            elapsed = time.monotonic() - started
            drain = wait_drained(engine, source_id, max(60.0, interval_s))
            back = counters(engine, source_id)
            received = upstream_count(upstream_port)["events"]
        finally:
            engine.dispose()
    bounded = sampler.summary(sent / elapsed)
    result = summary(rows)
    result["goals_met"]["outbox_bounded"] = bounded["outbox_bounded"]
    return {
        "minutes": minutes, "interval_s": interval_s, "concurrency": concurrency, "batch_events": batch, "ids": ids,
        "event_bytes": bodies.event_bytes, "database": "sqlite" if database_url is None or
        database_url.startswith("sqlite") else "postgresql", "durability": mode or "postgresql server",
        "elapsed_s": round(elapsed, 1), "events_sent": sent, "events_counted": back["counted"],
        "deduplicated": back["deduplicated"], "delivered": back["delivered"], "upstream_received": received,
        "drain_s": drain, "outbox_depth_max": bounded["outbox_depth_max"], "outbox_bounded": bounded["outbox_bounded"],
        "outbox_growth_share": bounded.get("outbox_growth_share"), "per_minute": rows, **result,
        "machine": machine(load_before),
    }
