"""Bounded waits for slow clients: the time to send a request's head, and its body.

    head   ``request_head_timeout_s`` from the connection's first byte (or from the end of the
           previous response on a kept-alive connection) to the end of the request headers, which
           may be ``MAX_HEAD_BYTES`` long (431 beyond);
           enforced in the HTTP protocol (``HeadTimeoutProtocol``, uvicorn's httptools protocol
           with a timer), since no ASGI application runs before the head is complete. On expiry
           the connection gets ``408 Request Timeout`` and is closed.
    body   ``request_body_timeout_s`` from the application's first read of the body to its last
           chunk; enforced in ASGI (``BodyDeadline``), so it holds under any ASGI server. On
           expiry the request is answered ``408`` with code ``request_timeout`` (unless a
           response was already started), and nothing of it is stored.

Idle kept-alive connections are closed after uvicorn's ``timeout_keep_alive`` (5 s). A reverse
proxy in front should still buffer request bodies, cap connections per client address and
terminate TLS (docs/operations/durability.md, "Slow clients").
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import orjson
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from governance.api.errors import error_response
from governance.settings import Settings

MAX_HEAD_BYTES = 64 * 1024  # a request line and headers longer than this are refused with 431


_TOO_LARGE = orjson.dumps({"code": "head_too_large",
                           "message": f"request line and headers are larger than {MAX_HEAD_BYTES} bytes"})


def _answer(status: bytes, body: bytes) -> bytes:
    return (b"HTTP/1.1 " + status + b"\r\ncontent-type: application/json\r\nconnection: close\r\n"
            b"content-length: %d\r\n\r\n%s" % (len(body), body))


REQUEST_TIMEOUT_408 = _answer(b"408 Request Timeout", orjson.dumps({"code": "request_timeout",
                                                                    "message": "request head not received in time"}))
HEAD_TOO_LARGE_431 = _answer(b"431 Request Header Fields Too Large", _TOO_LARGE)


async def _head_too_large(scope: Any, receive: Any, send: Any) -> None:
    """The application a request whose complete head is too large gets instead of ours."""
    await send({"type": "http.response.start", "status": 431,
                "headers": [(b"content-type", b"application/json"), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": _TOO_LARGE})


class HeadTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing connections whose request head takes too long."""

    head_timeout_s = 10.0  # set per server by ``protocol_for``

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        reading_head = getattr(self, "_head_timer", None) is not None
        if reading_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if reading_head and self._head_timer is not None and self._head_bytes > MAX_HEAD_BYTES:
            self._refuse(HEAD_TOO_LARGE_431)  # still no end of the head after this many bytes

    def _arm_head_timer(self) -> None:
        if getattr(self, "_head_timer", None) is None:
            self._head_timer = self.loop.call_later(self.head_timeout_s, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        timer, self._head_timer = getattr(self, "_head_timer", None), None
        if timer is not None:
            timer.cancel()

    def _head_timed_out(self) -> None:
        self._head_timer = None
        self._refuse(REQUEST_TIMEOUT_408)

    def _refuse(self, answer: bytes) -> None:
        self._disarm_head_timer()
        if not self.transport.is_closing():
            self.transport.write(answer)
            self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0
        self._arm_head_timer()

    def on_headers_complete(self) -> None:
        self._disarm_head_timer()
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size <= MAX_HEAD_BYTES:
            super().on_headers_complete()
            return
        app, self.app = self.app, _head_too_large  # this request only
        try:
            super().on_headers_complete()
        finally:
            self.app = app

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._disarm_head_timer()  # idle now: uvicorn's keep-alive timeout takes over

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)


def protocol_for(settings: Settings) -> type[HeadTimeoutProtocol]:
    return type("HeadTimeout", (HeadTimeoutProtocol,), {"head_timeout_s": settings.request_head_timeout_s})


class BodyTimeout(Exception):
    pass


class BodyDeadline:
    """ASGI middleware: a request body must arrive within ``timeout_s`` of the first read."""

    def __init__(self, app: Any, *, timeout_s: float) -> None:
        self.app, self.timeout_s = app, timeout_s

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline: float | None = None
        started = False

        async def timed_receive() -> Any:
            nonlocal deadline
            if deadline is None:
                deadline = time.monotonic() + self.timeout_s
            elif deadline == float("inf"):
                return await receive()
            remaining = deadline - time.monotonic()
            try:  # asyncio.timeout, not wait_for: no task of its own (~15 µs less a read of the body)
                async with asyncio.timeout(max(remaining, 0.001)):
                    message = await receive()
            except TimeoutError:
                raise BodyTimeout from None
            if message.get("type") == "http.request" and not message.get("more_body", False):
                deadline = float("inf")  # the whole body arrived: later reads wait for a disconnect
            return message

        async def tracked_send(message: Any) -> None:
            nonlocal started
            started = started or message.get("type") == "http.response.start"
            await send(message)

        try:
            await self.app(scope, timed_receive, tracked_send)
        except BodyTimeout:
            if not started:
                response = error_response(408, "request_timeout",
                                          f"request body not received within {self.timeout_s:g} s")
                response.headers["connection"] = "close"
                await response(scope, receive, send)


def run_web(app: Any, settings: Settings, on_exit: Callable[[], None]) -> None:
    """uvicorn with the head timeout; ``on_exit`` runs as soon as a signal asks it to stop."""

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            on_exit()
            super().handle_exit(sig, frame)

    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_config=None, http=protocol_for(settings),
                            log_level=settings.log_level.lower(), access_log=settings.access_log)
    Server(config).run()
