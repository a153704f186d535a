"""Smart DIY peer: what a team writes by hand in ~30 lines (FastAPI, ``jsonschema_rs``, ``sqlite3``).

Validators are built once at start-up from ``BENCH_SCHEMAS`` (one JSON Schema per event name).
Per request: parse with orjson, validate every event (an unknown event is invalid), and insert
every event into one table (``messageId`` primary key, so a repeated id is ignored) with
``executemany``, in one transaction, before answering 200. SQLite in WAL mode with
``synchronous`` from ``BENCH_SYNCHRONOUS`` (the same durability as the proxy it is compared to).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response

SCHEMA = "CREATE TABLE IF NOT EXISTS events (message_id TEXT PRIMARY KEY, event TEXT, valid INTEGER, payload TEXT)"
INSERT = "INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?)"  # one row per event; a repeated messageId ignored


def make_app(build: Callable[[dict[str, Any]], Any], ddl: tuple[str, ...] = (),
             lock: AbstractContextManager[Any] | None = None) -> FastAPI:
    """The peer, with validators made by ``build(schema)`` (anything with ``is_valid(instance)``);
    ``ddl`` is run after its table is made and ``lock`` held around each transaction (``diy_forward``
    adds its outbox, and shares the lock with its forwarder)."""
    with open(os.environ["BENCH_SCHEMAS"], "rb") as file:
        validators = {name: build(schema) for name, schema in orjson.loads(file.read()).items()}
    db = sqlite3.connect(os.environ["BENCH_DB"], isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={os.environ.get('BENCH_SYNCHRONOUS', 'FULL')}")
    db.execute(SCHEMA)
    for statement in ddl:
        db.execute(statement)
    app = FastAPI()

    @app.post("/v1/batch")
    async def batch(request: Request) -> Response:
        rows = []
        for event in orjson.loads(await request.body())["batch"]:
            validator = validators.get(event.get("event"))
            valid = validator is not None and validator.is_valid(event)
            rows.append((event.get("messageId"), event.get("event"), valid, orjson.dumps(event).decode()))
        with lock or nullcontext():
            db.execute("BEGIN")
            db.executemany(INSERT, rows)
            db.execute("COMMIT")
        return Response(b'{"success":true}', media_type="application/json")

    return app


def _jsonschema_rs(schema: dict[str, Any]) -> Any:
    import jsonschema_rs

    return jsonschema_rs.validator_for(schema, validate_formats=True)


app = make_app(_jsonschema_rs) if "BENCH_SCHEMAS" in os.environ else None
