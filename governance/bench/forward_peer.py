"""``bench proxy``'s ``diy_forward`` peer: the smart DIY peer plus hand-written forwarding
(``peers/diy_forward.py``), run and read back like the proxy.

The same counting upstream as the proxy's receives its events. Like the proxy it is measured after
its warm-up has been forwarded, and drained after the load; then the bench reads back what it
stored, what is left in its outbox and what the upstream received (``refusals`` checks them)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from governance.bench.servers import upstream_count

if TYPE_CHECKING:
    from governance.bench.proxy import Bench


def outbox_depth(db: Path) -> int:
    with sqlite3.connect(db, timeout=30) as conn:
        return int(conn.execute("SELECT count(*) FROM outbox").fetchone()[0])


def wait_empty(db: Path, timeout_s: float) -> float | None:
    """Seconds until the peer's outbox is empty, or None after ``timeout_s``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        if outbox_depth(db) == 0:
            return round(time.monotonic() - start, 2)
        time.sleep(0.05)
    return None


def run(bench: Bench, label: str, schemas: Path, mode: str, upstream_port: int,
        drain_timeout_s: float) -> dict[str, Any]:
    """The peer ``rounds`` times on its own SQLite file, forwarding to the counting upstream."""
    from governance.bench.proxy import best_of, slowest_drain

    db = bench.children.dir / f"{label}.db"
    env = {"BENCH_SCHEMAS": str(schemas), "BENCH_DB": str(db), "BENCH_SYNCHRONOUS": mode.upper(),
           "BENCH_UPSTREAM": f"http://127.0.0.1:{upstream_port}"}
    before = upstream_count(upstream_port)
    runs = []
    for _ in range(bench.rounds):
        port, proc = bench.children.peer(label, "diy_forward", env)
        try:
            figures = bench.drive(label, "diy_forward", port, ready=lambda: wait_empty(db, drain_timeout_s),
                                  cpu={"server": [proc.pid], "upstream": [bench.upstream_pid]})
            figures["drain_s"] = wait_empty(db, drain_timeout_s)
            runs.append(figures)
        finally:
            bench.children.stop(proc)
    out = best_of(runs)
    out["drain_s"] = slowest_drain(runs)
    with sqlite3.connect(db) as conn:
        out["stored"] = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    out["outbox_left"] = outbox_depth(db)
    after = upstream_count(upstream_port)
    out["upstream"] = {"events": after["events"] - before["events"], "distinct": after["distinct"] - before["distinct"]}
    return out
