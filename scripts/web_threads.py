"""The proxy's web process under ``bench proxy``'s load, its CPU per event thread by thread
(capacity.md, "Phase 7: the web process outside the hot path").

``governance serve`` on a temporary SQLite file, forwarding to the counting upstream, loaded by the
bench's own load generator (8 keep-alive clients, 100-event bodies, SDK-shaped ids) after its
warm-up; each thread's user and system time is read from ``/proc/<pid>/task/<tid>/stat`` before
and after the measured load and named from ``py-spy dump`` (``pip install py-spy``).

    PYTHONPATH=. .venv/bin/python scripts/web_threads.py [--seconds 8] [--rounds 1]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from governance.bench.load import Bodies, sample_events
from governance.bench.profile import py_spy
from governance.bench.proxy import Bench, prepare_proxy
from governance.bench.readback import wait_drained
from governance.bench.servers import Children, web_pids, worker_pid
from governance.db import make_engine


def ticks(pid: int) -> dict[int, tuple[int, int]]:
    """(user, system) clock ticks of each thread of ``pid``."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        out[int(tid)] = (int(fields[11]), int(fields[12]))
    return out


def names(pid: int) -> dict[int, str]:
    dump = subprocess.run([py_spy(), "dump", "--pid", str(pid), "--nonblocking"], capture_output=True, text=True).stdout
    return {int(line.split()[1], 0): line.split('"')[1] for line in dump.splitlines()
            if line.startswith("Thread ") and '"' in line}


def one_round(bench: Bench, url: str, auth: str, source_id: str, engine: Any, upstream: int) -> dict[str, Any]:
    port, web = bench.children.proxy("proxy", url, {}, 1)
    pid = web_pids(web)[0]
    assert pid is not None
    seen: dict[str, Any] = {}

    @contextmanager
    def measured() -> Iterator[None]:
        seen["names"], seen["before"] = names(pid), ticks(pid)
        yield
        seen["after"] = ticks(pid)

    try:
        figures = bench.drive("proxy", "proxy", port, auth, measured, ready=lambda: wait_drained(engine, source_id, 60),
                              cpu=lambda: {"web": [pid], "worker": [worker_pid(web)], "upstream": [upstream]})
    finally:
        bench.children.stop(web)
    hz, events = os.sysconf("SC_CLK_TCK"), figures["events"]
    threads: dict[str, list[float]] = {}
    for tid, (user, system) in seen["after"].items():
        user0, system0 = seen["before"].get(tid, (0, 0))
        mine = threads.setdefault(seen["names"].get(tid, "(unnamed)"), [0.0, 0.0])
        mine[0] += (user - user0) / hz * 1e6 / events
        mine[1] += (system - system0) / hz * 1e6 / events
    return {"events_per_s": figures["events_per_s"], "p99_ms": figures["p99_ms"],
            "cpu_us_per_event": figures["cpu_us_per_event"],
            "web_threads_user_system_us": {k: [round(u, 1), round(s, 1)] for k, (u, s) in threads.items() if u + s},
            "load_avg_1m": round(os.getloadavg()[0], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    bodies = Bodies(sample_events(2000), 100)
    with tempfile.TemporaryDirectory(prefix="web-threads-") as name, Children(Path(name)) as children:
        bench = Bench(children, bodies, seconds=args.seconds, concurrency=8)
        upstream_port, upstream = children.peer("upstream", "upstream")
        url = f"sqlite:///{Path(name) / 'proxy.db'}"
        key, source_id = prepare_proxy(url, f"http://127.0.0.1:{upstream_port}", f"threads-{bodies.run}")
        auth = base64.b64encode(f"{key}:".encode()).decode()
        engine = make_engine(url)
        try:
            for _ in range(args.rounds):
                print(json.dumps(one_round(bench, url, auth, source_id, engine, upstream.pid)), flush=True)
        finally:
            engine.dispose()


if __name__ == "__main__":
    main()
