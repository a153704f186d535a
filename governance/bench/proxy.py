"""``governance bench proxy``: the proxy and three peers side by side, on the same bodies and load.

    baseline   parse-only endpoint (``peers/bare.py``): the ceiling of this machine's HTTP stack
    naive      FastAPI + pure-Python jsonschema + sqlite3, one transaction per request (``peers/naive.py``)
    diy        the same with jsonschema_rs (``peers/diy.py``): the partial job done well by hand
    diy_forward  diy plus a hand-written forwarder to the same upstream (``peers/diy_forward.py``)
    proxy      ``governance serve`` (web process + worker) forwarding to a local counting upstream

Every server is a child process on 127.0.0.1, started just before its turn and stopped after it,
and gets ``/v1/batch`` bodies of 100 e-commerce events (10 % invalid) from the same keep-alive
load generator for the same bounded time, with every messageId unique (``load.py``).

The bench then reads back what happened instead of trusting its own count: the proxy's counters
by outcome, the outbox, the worker's deliveries and what the upstream received (``readback.py``).
It refuses to report ratios when any event was deduplicated, when the proxy counted a different
number of events than it answered for, or when a peer failed requests: such a run measured
something else. Figures are also reported as ratios because these machines are shared and noisy.
"""

from __future__ import annotations

import base64
import os
import sqlite3
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

import orjson

from governance.bench import forward_peer
from governance.bench.load import FAILURES_KEPT, Bodies, load, sample_events
from governance.bench.refusals import failure_causes, refusals
from governance.bench.servers import (
    ROOT,
    Children,
    build_default_durability,
    connections_held,
    cpu_s,
    durability_env,
    machine,
    upstream_count,
    web_pids,
    worker_pid,
)
from governance.bench.validation import validation_speedup
from governance.webprocs import REPLACED_MARK  # in serve's WARNING for a web process it replaced

# stream = peer << 8 | client
PEER_STREAMS = {"baseline": 0x100, "naive": 0x200, "diy": 0x300, "proxy": 0x400, "diy_forward": 0x500}
GOALS = {"ratio_vs_diy": 1.0, "ratio_vs_naive": 8.0, "proxy_p99_ms": 50.0, "outbox_bounded": True}
PEERS = ("baseline", "naive", "diy", "diy_forward")  # the proxy always runs
WARM_UP_S = 1.0
Roles = dict[str, list[int | None]]  # process role -> pids whose CPU time is measured


def write_schemas(directory: Path) -> Path:
    """The e-commerce plan's track schemas, ``{event: schema}`` (latest version), for the DIY peers."""
    from governance.plan.compile import compile_plan
    from governance.plan.loader import load_plan_file

    schemas = compile_plan(load_plan_file(ROOT / "plans" / "ecommerce.yaml"))
    latest: dict[str, tuple[int, dict[str, Any]]] = {}
    for (kind, name, version), schema in schemas.items():
        if kind == "track" and version >= latest.get(name, (0, {}))[0]:
            latest[name] = (version, schema)
    path = directory / "schemas.json"
    path.write_bytes(orjson.dumps({name: schema for name, (_v, schema) in latest.items()}))
    return path


def prepare_proxy(database_url: str, upstream: str, name: str) -> tuple[str, str]:
    """Schema, published plans and one source forwarding to ``upstream``: (write key, source id)."""
    from governance.bootstrap import bootstrap
    from governance.db import make_engine, write_session
    from governance.demo import publish_directory
    from governance.registry.sources import create_source
    from governance.settings import Settings

    engine = make_engine(database_url)
    try:
        bootstrap(Settings(database_url=database_url), engine)
        publish_directory(engine, ROOT / "plans", actor="bench")
        with write_session(engine) as session:
            row, key = create_source(session, fields={"name": name, "plan": "ecommerce", "upstream_url": upstream,
                                                      "upstream_write_key": "bench", "settings": {}}, actor="bench")
            source_id = row.id
    finally:
        engine.dispose()
    return key, source_id


class Bench:
    """One run's shared pieces: bodies, directory, children, and the load every peer gets."""

    def __init__(self, children: Children, bodies: Bodies, *, seconds: float, concurrency: int,
                 rounds: int = 1, workers: int = 1) -> None:
        self.children, self.bodies, self.workers = children, bodies, workers  # workers: the proxy's web processes
        self.seconds, self.concurrency, self.rounds = seconds, concurrency, rounds
        self.seqs: dict[str, list[int]] = {}  # per peer label: request numbers per client, never reused
        self.upstream_pid: int | None = None  # the counting upstream the proxy forwards to

    def drive(self, label: str, peer: str, port: int, auth: str = "",
              measured_in: Callable[[], AbstractContextManager[Any]] = nullcontext,
              ready: Callable[[], Any] | None = None,
              cpu: Roles | Callable[[], Roles] | None = None) -> dict[str, Any]:
        """Warm-up, then ``ready()`` (it waits until the server is in its steady state), then the
        measured load (inside ``measured_in()``); ``sent`` counts every answered event. ``cpu``
        names the processes (by role) whose CPU time per measured event is reported (a callable is
        asked after ``ready()``, when every process exists): on a shared machine the CPU an event
        costs is steadier than the events a second."""
        seqs = self.seqs.setdefault(label, [0] * 256)
        stream = PEER_STREAMS[peer] + (0x800 if label != peer else 0)  # a second durability mode: other ids
        warm = load(port, self.bodies, auth, seconds=WARM_UP_S, concurrency=self.concurrency, stream_base=stream,
                    seqs=seqs)
        waited = ready() if ready is not None else None
        roles = cpu() if callable(cpu) else (cpu or {})
        with measured_in():
            before = {role: cpu_s(pids) for role, pids in roles.items()}
            measured = load(port, self.bodies, auth, seconds=self.seconds, concurrency=self.concurrency,
                            stream_base=stream, seqs=seqs)
            used = {role: cpu_s(pids) - before[role] for role, pids in roles.items()}
        if measured["events"]:
            measured["cpu_us_per_event"] = {role: round(s * 1e6 / measured["events"], 1) for role, s in used.items()}
        measured["sent"] = warm["events"] + measured["events"]
        if ready is not None:
            measured["ready_s"] = waited
        measured["errors"] += warm["errors"]
        measured["error_kinds"] = dict(Counter(warm["error_kinds"]) + Counter(measured["error_kinds"]))
        measured["failures"] = ([{**f, "phase": "warm-up"} for f in warm["failures"]]
                                + [{**f, "phase": "measured"} for f in measured["failures"]])[:FAILURES_KEPT]
        return measured

    def diy(self, label: str, module: str, schemas: Path, mode: str) -> dict[str, Any]:
        """A DIY peer on its own SQLite file, ``rounds`` times; its stored rows are read back after."""
        db = self.children.dir / f"{label}.db"
        env = {"BENCH_SCHEMAS": str(schemas), "BENCH_DB": str(db), "BENCH_SYNCHRONOUS": mode.upper()}
        runs = []
        for _ in range(self.rounds):
            port, proc = self.children.peer(label, module, env)
            try:
                runs.append(self.drive(label, module, port, cpu={"server": [proc.pid]}))
            finally:
                self.children.stop(proc)
        figures = best_of(runs)
        with sqlite3.connect(db) as conn:
            figures["stored"] = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        return figures

    def bare(self) -> dict[str, Any]:
        runs = []
        for _ in range(self.rounds):
            port, proc = self.children.peer("baseline", "bare")
            try:
                runs.append(self.drive("baseline", "baseline", port, cpu={"server": [proc.pid]}))
            finally:
                self.children.stop(proc)
        return best_of(runs)


def best_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The round with the most events/s (the least disturbed one on a shared machine), with the
    events, requests and errors of every round, and each round's events/s."""
    out = dict(max(runs, key=lambda r: r["events_per_s"]))
    for key in ("sent", "requests", "errors"):
        out[key] = sum(r[key] for r in runs)
    out["error_kinds"] = dict(sum((Counter(r["error_kinds"]) for r in runs), Counter()))
    out["failures"] = [{**f, "round": i + 1} for i, r in enumerate(runs) for f in r.get("failures", [])][:FAILURES_KEPT]
    out["web_replaced"] = sum(r.get("web_replaced", 0) for r in runs)
    out["web_replaced_log"] = [line for r in runs for line in r.get("web_replaced_log", [])]
    out["rounds_events_per_s"] = [r["events_per_s"] for r in runs]
    return out


def slowest_drain(runs: list[dict[str, Any]]) -> float | None:
    """The longest drain of the rounds; None (a round that never drained) counts as the longest."""
    return max((r["drain_s"] for r in runs), key=lambda d: float("inf") if d is None else d)


def proxy_round(bench: Bench, label: str, engine: Any, source_id: str, auth: str, *, database_url: str,
                mode: str | None, drain_timeout_s: float, profile_dir: Path | None) -> dict[str, Any]:
    """One round: ``governance serve`` started, loaded (outbox sampled, optionally profiled), drained, stopped."""
    from governance.bench.profile import profiling
    from governance.bench.readback import DepthSampler, postgres_pids, wait_drained

    port, web = bench.children.proxy(label, database_url, durability_env(mode) if mode else {}, bench.workers)
    try:
        sampler = DepthSampler(engine, source_id, interval_s=min(0.5, bench.seconds / 10))

        spread: list[int] = []

        @contextmanager
        def measured() -> Iterator[None]:  # the outbox is sampled and the proxy profiled after the warm-up
            # halfway through the load, the measured clients' connections, by web process
            halfway = threading.Timer(bench.seconds / 2, lambda: spread.extend(connections_held(web_pids(web), port)))
            halfway.start()
            try:
                with sampler, profiling(profile_dir, label, web, bench.seconds):
                    yield
            finally:
                halfway.cancel()
                halfway.join()

        # the worker must be forwarding before the measured load (it starts after the web process):
        # the warm-up's events delivered, or the outbox would grow for lack of a forwarder
        def cpu() -> Roles:  # web: every web process; postgres: a local server's processes
            roles: Roles = {"web": web_pids(web), "worker": [worker_pid(web)], "upstream": [bench.upstream_pid]}
            if engine.dialect.name == "postgresql":
                roles["postgres"] = postgres_pids(engine)
            return roles

        started = set(web_pids(web))
        figures = bench.drive(label, "proxy", port, auth, measured,
                              ready=lambda: wait_drained(engine, source_id, drain_timeout_s), cpu=cpu)
        figures["drain_s"] = wait_drained(engine, source_id, drain_timeout_s)
        figures.update(sampler.summary(figures["events_per_s"]))
        figures["web_replaced"] = len(started - set(web_pids(web)))  # a web process that died or was killed
        figures["connections_by_web"] = spread
    finally:
        bench.children.stop(web)
    log = bench.children.dir / f"{label}.log"  # serve's WARNING for each web process it replaced (webprocs)
    figures["web_replaced_log"] = [line for line in log.read_text(errors="replace").splitlines()
                                   if REPLACED_MARK in line] if log.exists() else []
    return figures


def proxy_run(bench: Bench, label: str, *, database_url: str, mode: str | None, upstream_port: int,
              drain_timeout_s: float, profile_dir: Path | None) -> dict[str, Any]:
    """The proxy under load ``rounds`` times, then what its database and the upstream say happened."""
    from governance.bench.readback import counters, postgres_churn, postgres_durability, wal_lsn
    from governance.db import make_engine

    upstream = f"http://127.0.0.1:{upstream_port}"
    key, source_id = prepare_proxy(database_url, upstream, f"bench-{bench.bodies.run}-{label}")
    auth = base64.b64encode(f"{key}:".encode()).decode()
    engine = make_engine(database_url)
    try:
        before, lsn = upstream_count(upstream_port), wal_lsn(engine)
        runs = [proxy_round(bench, label, engine, source_id, auth, database_url=database_url, mode=mode,
                            drain_timeout_s=drain_timeout_s, profile_dir=profile_dir if r == 0 else None)
                for r in range(bench.rounds)]
        figures = best_of(runs)
        figures["drain_s"] = slowest_drain(runs)
        figures["readback"] = counters(engine, source_id)
        after = upstream_count(upstream_port)
        figures["upstream"] = {"events": after["events"] - before["events"],
                               "distinct": after["distinct"] - before["distinct"]}
        if lsn is not None:  # PostgreSQL: its durability, and the WAL the run wrote
            figures["postgres"] = {**postgres_durability(engine), **postgres_churn(engine, lsn, figures["sent"])}
    finally:
        engine.dispose()
    return figures


def flatten(peers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``<peer>_events_per_s|p50_ms|p99_ms``, the readback and the ratios (None when refused)."""
    out: dict[str, Any] = {}
    for name, p in peers.items():
        out.update({f"{name}_events_per_s": p["events_per_s"], f"{name}_p50_ms": p["p50_ms"],
                    f"{name}_p99_ms": p["p99_ms"], f"{name}_requests": p["requests"], f"{name}_errors": p["errors"]})
        if len(p["rounds_events_per_s"]) > 1:
            out[f"{name}_rounds_events_per_s"] = p["rounds_events_per_s"]
        if "cpu_us_per_event" in p:  # CPU µs per measured event, per process role (steadier than events/s)
            out[f"{name}_cpu_us_per_event"] = p["cpu_us_per_event"]
    proxy = peers["proxy"]
    back = proxy["readback"]
    out.update({"deduplicated": back["deduplicated"], "proxy_events_sent": proxy["sent"],
                "proxy_events_counted": back["counted"], "proxy_events_new": back["new"],
                "proxy_by_outcome": back["by_outcome"], "proxy_to_forward": back["to_forward"],
                "proxy_delivered": back["delivered"], "proxy_upstream_received": proxy["upstream"]["events"],
                "proxy_upstream_distinct": proxy["upstream"]["distinct"], "proxy_outbox_left": back["outbox"],
                "proxy_dead_lettered": back["dead_lettered"], "proxy_quarantined": back["quarantined"],
                "proxy_drain_s": proxy["drain_s"], "proxy_forwarder_ready_s": proxy.get("ready_s"),
                "proxy_failures_by_cause": failure_causes(proxy), "proxy_failures": proxy.get("failures", []),
                "proxy_web_replaced": proxy.get("web_replaced", 0),
                "proxy_connections_by_web": proxy.get("connections_by_web", []),
                "proxy_web_replaced_log": proxy.get("web_replaced_log", [])})
    out.update({k: v for k, v in proxy.items() if k.startswith("outbox_")})
    out.update({f"{n}_stored": peers[n]["stored"] for n in ("naive", "diy", "diy_forward") if n in peers})
    if "diy_forward" in peers:
        forwarding = peers["diy_forward"]
        out.update({"diy_forward_upstream_received": forwarding["upstream"]["events"],
                    "diy_forward_upstream_distinct": forwarding["upstream"]["distinct"],
                    "diy_forward_outbox_left": forwarding["outbox_left"], "diy_forward_drain_s": forwarding["drain_s"]})
    if "postgres" in proxy:
        pg = proxy["postgres"]
        out["postgres_durability"] = {k: pg[k] for k in ("fsync", "synchronous_commit", "full_page_writes")}
        out.update({"postgres_wal_bytes": pg["wal_bytes"], "postgres_wal_bytes_per_event": pg["wal_bytes_per_event"]})
    refused = refusals(peers)
    rate = proxy["events_per_s"]

    def ratio(p: dict[str, Any] | None) -> float | None:
        return round(rate / p["events_per_s"], 3) if p and p["events_per_s"] and not refused else None

    out.update({"ratio": ratio(peers.get("baseline")), "ratio_vs_diy": ratio(peers.get("diy")),
                "ratio_vs_naive": ratio(peers.get("naive")), "ratio_vs_diy_forward": ratio(peers.get("diy_forward")),
                "refused": refused or None})
    out.update(cpu_ratios(peers, refused))
    return out


def cpu_ratios(peers: dict[str, dict[str, Any]], refused: list[str]) -> dict[str, Any]:
    """The proxy's CPU per event (web + worker: the whole job) against each DIY peer's, as
    ``cpu_ratio_vs_<peer>`` (>= 1: the proxy costs no more CPU per event than the peer); on a
    shared machine steadier than the events/s ratios. None when refused or not measured."""
    own = peers["proxy"].get("cpu_us_per_event", {})
    if "web" not in own or "worker" not in own:
        return {}
    total = own["web"] + own["worker"]
    out: dict[str, Any] = {"proxy_cpu_us_per_event_total": round(total, 1)}
    for name in ("naive", "diy", "diy_forward"):
        used = peers.get(name, {}).get("cpu_us_per_event", {})
        theirs = used.get("server")  # the upstream's CPU is nobody's job: not counted on either side
        if theirs is not None:
            out[f"cpu_ratio_vs_{name}"] = round(theirs / total, 3) if total and not refused else None
    return out


def goals_met(flat: dict[str, Any]) -> dict[str, bool | None]:
    """Each goal of issue 12, met or not (None when the figure is missing); reported, never asserted."""
    met: dict[str, bool | None] = {}
    for key, goal in GOALS.items():
        value = flat.get(key)
        met[key] = None if value is None else (value == goal if isinstance(goal, bool) else
                                               value <= goal if key.endswith("_ms") else value >= goal)
    return met


def modes_for(durability: str, database_url: str | None) -> list[str | None]:
    """The proxy's SQLite durability modes to run (None: PostgreSQL, whose server decides)."""
    if database_url and not database_url.startswith("sqlite"):
        if durability != "default":
            raise ValueError("durability chooses SQLite's synchronous mode; PostgreSQL's is the server's own "
                             "(fsync, synchronous_commit), which the report shows")
        return [None]
    if durability == "both":
        return ["full", "normal"]
    mode = build_default_durability() if durability == "default" else durability
    durability_env(mode)  # refuses a mode this build cannot run, before anything starts
    return [mode]


def run(*, seconds: float = 5.0, concurrency: int = 8, batch: int = 100, durability: str = "default",
        database_url: str | None = None, peers: tuple[str, ...] = PEERS, rounds: int = 1,
        drain_timeout_s: float | None = None, profile_dir: Path | None = None,
        workers: int = 1, ids: str = "sdk") -> dict[str, Any]:
    """The peers, then the proxy (``workers`` web processes) once per durability mode; flat figures
    for the first mode."""
    unknown = set(peers) - set(PEERS)
    if unknown:
        raise ValueError(f"unknown peers {sorted(unknown)}: choose from {', '.join(PEERS)}")
    modes = modes_for(durability, database_url)
    load_before = os.getloadavg()
    events = sample_events(batch * 20)
    bodies = Bodies(events, batch, ids)
    drain = drain_timeout_s if drain_timeout_s is not None else max(30.0, 6 * seconds)
    with tempfile.TemporaryDirectory(prefix="gov-bench-", ignore_cleanup_errors=True) as name, \
            Children(Path(name)) as children:
        tmp = Path(name)
        bench = Bench(children, bodies, seconds=seconds, concurrency=concurrency, rounds=rounds, workers=workers)
        schemas = write_schemas(tmp)
        upstream_port, upstream_proc = children.peer("upstream", "upstream")
        bench.upstream_pid = upstream_proc.pid
        baseline: dict[str, dict[str, Any]] = {}
        if "baseline" in peers:
            baseline["baseline"] = bench.bare()
        by_mode: dict[str, dict[str, Any]] = {}
        for i, mode in enumerate(modes):
            suffix = "" if i == 0 else f"_{mode}"
            ran: dict[str, dict[str, Any]] = dict(baseline)
            for peer in ("naive", "diy"):
                if peer in peers:
                    ran[peer] = bench.diy(f"{peer}{suffix}", peer, schemas, mode or "full")
            if "diy_forward" in peers:
                ran["diy_forward"] = forward_peer.run(bench, f"diy_forward{suffix}", schemas, mode or "full",
                                                      upstream_port, drain)
            url = database_url or f"sqlite:///{tmp / f'proxy{suffix}.db'}"
            ran["proxy"] = proxy_run(bench, f"proxy{suffix}", database_url=url, mode=mode, upstream_port=upstream_port,
                                     drain_timeout_s=drain, profile_dir=profile_dir)
            by_mode[mode or "postgresql"] = flatten(ran)
    first = by_mode[modes[0] or "postgresql"]
    result: dict[str, Any] = {
        "batch_events": batch, "event_bytes": bodies.event_bytes, "seconds": seconds, "concurrency": concurrency,
        "rounds": rounds, "proxy_web_processes": workers, "ids": ids,
        "database": "postgresql" if modes[0] is None else "sqlite", "durability": modes[0] or "postgresql server",
        **first, "goals": GOALS, "goals_met": goals_met(first), "machine": machine(load_before),
    }
    if len(by_mode) > 1:
        result["by_durability"] = {m: {k: v for k, v in f.items() if not k.startswith("outbox_depth_samples")}
                                   for m, f in by_mode.items()}
    result.update(validation_speedup(events))
    return result
