"""Proxy fixtures: a real upstream HTTP server on 127.0.0.1 that records what arrives."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Upstream:
    """Records every /v1/batch it receives; ``status`` decides what it answers."""

    url: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # how long it takes to answer (a hanging upstream)
    body: bytes = b'{"success": true}'  # what it answers with
    script: list[int] = field(default_factory=list)  # statuses answered first, one a request, before ``status``
    requests: list[dict[str, Any]] = field(default_factory=list)
    auth: list[str] = field(default_factory=list)
    arrived: list[datetime] = field(default_factory=list)  # the upstream's receivedAt of each request
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [event for body in self.requests for event in body.get("batch", [])]

    def message_ids(self) -> list[str]:
        return [e["messageId"] for e in self.events]

    def received_at(self, message_id: str) -> datetime:
        """When the request that carried this message arrived (the upstream's own clock)."""
        with self.lock:
            for body, at in zip(self.requests, self.arrived, strict=True):
                if any(e.get("messageId") == message_id for e in body.get("batch", [])):
                    return at
        raise KeyError(message_id)


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    yield from serve_upstream()


@pytest.fixture
def other_upstream() -> Iterator[Upstream]:
    """A second recording upstream (for a second source)."""
    yield from serve_upstream()


def serve_upstream() -> Iterator[Upstream]:
    state = Upstream()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            if state.delay_s:
                time.sleep(state.delay_s)
            with state.lock:
                status = state.script.pop(0) if state.script else state.status
            if status < 300:
                with state.lock:
                    state.requests.append(json.loads(body))
                    state.arrived.append(datetime.now(UTC))
                    auth = self.headers.get("authorization", "")
                    if auth.startswith("Basic "):
                        state.auth.append(base64.b64decode(auth[6:]).decode())
            self.send_response(status)
            for key, value in state.headers.items():
                self.send_header(key, value)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
