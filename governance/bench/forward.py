"""``bench hotpath``'s ``forward`` stage: the worker's forwarder draining a real outbox, in one process.

The hot path's outbox rows (``tally``'s stored texts, 100 events a row) are written into a real
SQLite file by the group commit's own writer (``Store._write``) (``synchronous=FULL``, as ``serve`` runs), then the real
``Forwarder`` (claims, leases, ``/v1/batch`` POSTs, settles in the next claim's transaction)
drains them with ``run_once`` to the bench's counting upstream (``peers/upstream.py`` under
uvicorn, another process on 127.0.0.1), until nothing is due. It reports:

    forward_us_per_event        CPU time of this process (every thread: lanes, lease renewal) per
                                event, from the first claim to the empty outbox; the upstream's
                                CPU is not in it
    forward_wall_us_per_event   wall time per event (the upstream's answer included)
    forward_requests            upstream requests of the best round

and reads back after every round what happened: the outbox is empty, ``forward_stats`` and
``delivery_counts`` count every event once, and the upstream received every messageId once (each
round's ids are made new, so a round that sent one twice or lost one is caught). A round that
does not read back is an error, not a figure.
"""

from __future__ import annotations

import gc
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from governance.bench.servers import Children, upstream_count
from governance.proxy.outbox_batch import message_id_of


class NotDelivered(AssertionError):
    """The forwarder did not deliver every event exactly once: the figures would measure something else."""


def _source(engine: Any, upstream: str) -> str:
    from governance.db import write_session
    from governance.registry.sources import create_source

    with write_session(engine) as session:
        row, _key = create_source(session, fields={"name": "bench-forward", "upstream_url": upstream,
                                                   "upstream_write_key": "bench"}, actor="bench")
        return str(row.id)


def _fill(engine: Any, source_id: str, rows: list[list[str]], tag: str) -> int:
    """The outbox rows as the group commit writes them (``Store._write`` of a tally holding only the
    outbox: one row per list of stored texts), every messageId prefixed with ``tag``."""
    from governance.proxy.store import Store
    from governance.proxy.tally import Tally

    store = Store(engine, dedupe_window_s=86_400, batch_events=max(len(r) for r in rows))
    store.close()  # its writer thread is not used
    counted = Tally()
    for payloads in rows:
        for payload in payloads:
            payload = payload.replace('"messageId":"', f'"messageId":"{tag}', 1)
            counted.outbox.append((source_id, message_id_of(payload), payload))
    store.write(counted, datetime.now(UTC))
    return len(counted.outbox)


def _read_back(engine: Any, source_id: str) -> dict[str, int]:
    with engine.connect() as conn:
        def one(sql: str) -> int:
            return int(conn.execute(text(sql), {"s": source_id}).scalar() or 0)

        return {"outbox": one("SELECT coalesce(sum(events), 0) FROM outbox WHERE source_id = :s"),
                "forward_stats": one("SELECT coalesce(sum(delivered), 0) FROM forward_stats WHERE source_id = :s"),
                "delivery_counts": one("SELECT coalesce(sum(delivered), 0) FROM delivery_counts WHERE source_id = :s"),
                "dead_letter": one("SELECT count(*) FROM dead_letter WHERE source_id = :s")}


def _round(engine: Any, settings: Any, source_id: str, rows: list[list[str]], port: int,
           n: int) -> tuple[float, float, int]:
    """One drain of a freshly filled outbox: CPU s, wall s, upstream requests; read back or raise."""
    from governance.proxy.forwarder import Forwarder

    before, counted = upstream_count(port), _read_back(engine, source_id)
    events = _fill(engine, source_id, rows, f"f{n}-")
    forwarder = Forwarder(engine, settings)
    try:
        gc.collect()
        cpu, wall = time.process_time(), time.perf_counter()
        while forwarder.run_once():
            pass
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        forwarder.close()
    after, back = upstream_count(port), _read_back(engine, source_id)
    got = {"outbox": back["outbox"], "dead_letter": back["dead_letter"] - counted["dead_letter"],
           "forward_stats": back["forward_stats"] - counted["forward_stats"],
           "delivery_counts": back["delivery_counts"] - counted["delivery_counts"],
           "upstream_events": after["events"] - before["events"],
           "upstream_distinct": after["distinct"] - before["distinct"]}
    want = {"outbox": 0, "dead_letter": 0, "forward_stats": events, "delivery_counts": events,
            "upstream_events": events, "upstream_distinct": events}
    if got != want:
        raise NotDelivered(f"forward round {n}: read back {got}, expected {want}")
    return cpu, wall, after["requests"] - before["requests"]


def measure(rows: list[list[str]], rounds: int) -> dict[str, Any]:
    """The ``forward_*`` figures of the best of ``rounds`` drains of ``rows`` (lists of stored texts)."""
    from governance.bootstrap import bootstrap
    from governance.db import make_engine
    from governance.settings import Settings

    events = sum(len(r) for r in rows)
    with tempfile.TemporaryDirectory(prefix="governance-forward-") as name, Children(Path(name)) as children:
        port, _proc = children.peer("upstream", "upstream")
        url = f"sqlite:///{Path(name) / 'forward.db'}"
        settings = Settings(database_url=url, sqlite_synchronous="FULL")
        engine = make_engine(url, synchronous="FULL")
        try:
            bootstrap(settings, engine)
            source_id = _source(engine, f"http://127.0.0.1:{port}")
            best = min(_round(engine, settings, source_id, rows, port, n) for n in range(rounds))
        finally:
            engine.dispose()
    cpu, wall, requests = best
    return {"forward_us_per_event": round(cpu * 1e6 / events, 2),
            "forward_wall_us_per_event": round(wall * 1e6 / events, 2),
            "forward_requests": requests, "forward_events": events}
