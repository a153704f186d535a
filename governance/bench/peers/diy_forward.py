"""Forwarding DIY peer: the smart DIY peer (``diy.py``) plus the forwarding a team would add by hand.

The web process is ``diy.py`` with one more table and a trigger: every event stored for the first
time (``INSERT OR IGNORE`` into ``events`` fires the trigger only for new rows) is copied into
``outbox`` in the same transaction, so a 200 still means stored and queued. A thread of the same
process forwards the outbox in order: it reads up to ``BENCH_FORWARD_BATCH`` (100) rows, posts
them as one ``/v1/batch`` to ``BENCH_UPSTREAM`` with httpx, and deletes them once the upstream
answered 2xx (on any other answer it waits 100 ms and sends them again). Its own connection to the
same SQLite file (WAL, ``BENCH_SYNCHRONOUS``) writes under the same lock as the request handler's,
so neither waits in SQLite's busy handler.

It is the partial job plus forwarding, done well: the cost a team pays for "validate, store once,
forward" with no counters, samples, quarantine, dedupe window, annotations or retry schedule.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time

import httpx
from fastapi import FastAPI

from governance.bench.peers.diy import _jsonschema_rs, make_app

OUTBOX_DDL = (
    "CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY, payload TEXT)",
    "CREATE TRIGGER IF NOT EXISTS queue_new AFTER INSERT ON events BEGIN "
    "INSERT INTO outbox (payload) VALUES (NEW.payload); END",
)


def forward(db_path: str, upstream: str, batch: int, synchronous: str, lock: threading.Lock) -> None:
    """Forward the outbox to ``upstream``, forever (a daemon thread)."""
    db = sqlite3.connect(db_path, isolation_level=None, timeout=30, check_same_thread=False)
    db.execute(f"PRAGMA synchronous={synchronous}")
    headers = {"content-type": "application/json"}
    with httpx.Client(base_url=upstream, timeout=30) as client:
        while True:
            rows = db.execute("SELECT id, payload FROM outbox ORDER BY id LIMIT ?", (batch,)).fetchall()
            if not rows:
                time.sleep(0.005)
                continue
            body = '{"batch":[' + ",".join(payload for _id, payload in rows) + "]}"
            try:
                ok = client.post("/v1/batch", content=body, headers=headers).is_success
            except httpx.HTTPError:
                ok = False
            if not ok:
                time.sleep(0.1)
                continue
            with lock:
                db.execute("DELETE FROM outbox WHERE id <= ?", (rows[-1][0],))


app: FastAPI | None = None
if "BENCH_SCHEMAS" in os.environ:
    _lock = threading.Lock()
    app = make_app(_jsonschema_rs, OUTBOX_DDL, _lock)
    threading.Thread(target=forward, daemon=True, name="forwarder",
                     args=(os.environ["BENCH_DB"], os.environ["BENCH_UPSTREAM"],
                           int(os.environ.get("BENCH_FORWARD_BATCH", "100")),
                           os.environ.get("BENCH_SYNCHRONOUS", "FULL"), _lock)).start()
