"""The web process's main-thread CPU per event, in one process, split into the hot path's stages and
the rest (capacity.md, "Phase 7: the web process outside the hot path").

The app is called with raw ASGI messages (``POST /v1/batch``, ``bench proxy``'s bodies of 100
events cut in 64 KB chunks, 8 requests at a time, the group commit on a real SQLite file): no
sockets, so what is left beside the stages is the ASGI stack, the handoff to the group commit and
back, the response, and freeing the request's objects. ``time.thread_time`` of the loop's thread;
the stages are timed by wrapping ``routes._judge_all``, ``orjson.loads`` and the 20-digit scan.

    PYTHONPATH=. .venv/bin/python scripts/web_account.py [--requests 400] [--no-commit] [--keep] [--direct]

``--no-commit`` answers every request from an already settled future (no writer thread),
``--keep`` keeps every request's verdicts alive (so their freeing is left out), ``--direct``
calls the route without the middleware, routing and response.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import tempfile
import time
import types
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import orjson
from starlette.requests import Request

import governance.proxy.routes as routes
from governance.app import create_app
from governance.bench.load import Bodies, sample_events
from governance.bench.proxy import prepare_proxy
from governance.settings import Settings
from governance.webgc import tune_for_ingestion

CHUNK = 65536
STATS: dict[str, float] = {}


def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    STATS[name] = 0.0

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            STATS[name] += time.thread_time() - started

    return wrapper


async def one(app: Any, body: bytes, auth: bytes, direct: bool) -> None:
    chunks = [body[i : i + CHUNK] for i in range(0, len(body), CHUNK)]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/v1/batch", "raw_path": b"/v1/batch", "query_string": b"", "root_path": "", "state": {},
             "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"), (b"authorization", auth),
                         (b"content-length", str(len(body)).encode())],
             "client": ("127.0.0.1", 5555), "server": ("127.0.0.1", 8000)}
    pending = iter(range(len(chunks)))

    async def receive() -> dict[str, Any]:
        i = next(pending, None)
        if i is None:
            await asyncio.sleep(3600)  # a disconnect that never comes
            raise AssertionError("unreachable")
        return {"type": "http.request", "body": chunks[i], "more_body": i < len(chunks) - 1}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    if direct:
        scope["app"] = app
        response = await routes.ingest(Request(scope, receive), None)
        assert response.status_code == 200
        return
    await app(scope, receive, send)
    assert sent[0]["status"] == 200, sent


async def run(args: argparse.Namespace) -> None:
    tmp = tempfile.mkdtemp(prefix="web-account-")
    url = f"sqlite:///{tmp}/proxy.db"
    key, _source_id = prepare_proxy(url, "http://127.0.0.1:9", "account")  # the worker is not started
    auth = b"Basic " + base64.b64encode(f"{key}:".encode())
    app = create_app(Settings(database_url=url))
    routes._judge_all = timed("judge_all", routes._judge_all)  # type: ignore[assignment]
    routes.out_of_range_integer = timed("scan", routes.out_of_range_integer)  # type: ignore[assignment]
    routes.orjson = types.SimpleNamespace(loads=timed("loads", orjson.loads), dumps=orjson.dumps,  # type: ignore[assignment]
                                          JSONDecodeError=orjson.JSONDecodeError)
    bodies = Bodies(sample_events(2000), 100)
    async with app.router.lifespan_context(app):
        tune_for_ingestion()  # as serve does
        for i in range(50):
            await one(app, bodies.body(0x400, i), auth, args.direct)
        kept: list[Any] = []
        if args.no_commit:
            def submit(_source_id: str, verdicts: list[Any], _extra: Any = None) -> Future[list[str]]:
                if args.keep:
                    kept.append(verdicts)
                future: Future[list[str]] = Future()
                future.set_result(["forwarded"] * len(verdicts))
                return future
            app.state.proxy.store.submit = submit
        todo = [bodies.body(0x400 + c, 50 + i) for i in range(args.requests // 8) for c in range(8)]
        for name in STATS:
            STATS[name] = 0.0
        started = time.thread_time()
        for k in range(0, len(todo), 8):
            await asyncio.gather(*(one(app, body, auth, args.direct) for body in todo[k : k + 8]))
        used = time.thread_time() - started
    events = len(todo) * bodies.batch
    parts = {name: round(s * 1e6 / events, 2) for name, s in STATS.items()}
    print({"main_thread_us_per_event": round(used * 1e6 / events, 2), **parts,
           "other": round((used - sum(STATS.values())) * 1e6 / events, 2)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--no-commit", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--direct", action="store_true")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
