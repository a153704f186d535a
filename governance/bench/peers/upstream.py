"""The local upstream the proxy forwards to: accepts ``/v1/batch``, counts requests and events,
and (unless ``BENCH_UPSTREAM_DISTINCT=0``) the distinct messageIds. ``GET /count`` reads them."""

from __future__ import annotations

import os
from typing import Any

import orjson

OK = b'{"success":true}'
counts = {"requests": 0, "events": 0}
seen: set[str] | None = None if os.environ.get("BENCH_UPSTREAM_DISTINCT") == "0" else set()


async def _read(receive: Any) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = await _read(receive)
    if scope["method"] == "GET" and scope["path"] == "/count":
        out = orjson.dumps({**counts, "distinct": None if seen is None else len(seen)})
    else:
        batch = orjson.loads(body)["batch"]
        counts["requests"] += 1
        counts["events"] += len(batch)
        if seen is not None:
            seen.update(str(event.get("messageId")) for event in batch)
        out = OK
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(out)).encode())]})
    await send({"type": "http.response.body", "body": out})
