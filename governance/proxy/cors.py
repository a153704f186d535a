"""CORS for the ingestion routes, so that analytics.js can post from any web page.

analytics.js sends ``Authorization: Basic …`` (and ``X-Retry-Count`` on retries) next to its
``Content-Type: text/plain``, so every request it makes is preflighted. ``IngestionCORS`` answers
the preflight of every ingestion path itself, and adds ``Access-Control-Allow-Origin`` (the
request's own origin) to every ingestion answer, error answers included, so that an SDK can read a
4xx. Write keys are public in a browser and the ingestion routes read no cookies, so any origin may
send by default; a source narrows that with its ``allowedOrigins`` setting, checked once the write
key names the source (``origin_allowed``, called by the routes: a refused origin answers 403).

The admin API (``/api/v1``) is not covered: the console is same-origin, and a cross-origin page
gets no ``Access-Control-Allow-Origin`` from it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

# What the browser SDKs send: analytics.js (authorization, content-type, x-retry-count) and
# RudderStack's JavaScript SDK (anonymousid, sentat, rsa-*). Other requested headers are allowed too:
# analytics.js lets a page add its own, and a header refused here would lose events silently.
SDK_HEADERS = ("authorization", "content-type", "content-encoding", "x-retry-count", "anonymousid", "sentat",
               "rsa-recovered", "rsa-retry-attempt", "rsa-since-last-attempt", "rsa-since-first-attempt",
               "rsa-retry-reason")
MAX_AGE_S = 7200  # Chromium caps a preflight's cache at two hours
_TOKEN = re.compile(r"^[a-z0-9!#$%&'*+.^_`|~-]{1,100}$")
_ORIGIN = re.compile(r"^[\x21-\x7e]{1,300}$")

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def origin_allowed(allowed: list[str], origin: str) -> bool:
    """Whether a source whose ``allowedOrigins`` is ``allowed`` takes requests from ``origin``."""
    if not allowed:
        return True
    origin = origin.lower()
    for entry in allowed:
        if entry == origin:
            return True
        scheme, sep, rest = entry.partition("://*.")
        if sep and origin.startswith(scheme + "://") and origin.endswith("." + rest):
            return True
    return False


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers") or ():
        if key == name:
            return bytes(value)
    return None


def _requested_headers(value: bytes | None) -> list[str]:
    names = list(SDK_HEADERS)
    if value:
        for item in value.decode("latin-1").split(",")[:50]:
            name = item.strip().lower()
            if _TOKEN.match(name) and name not in names:
                names.append(name)
    return names


class IngestionCORS:
    """ASGI middleware: preflights and ``Access-Control-Allow-Origin`` on the given paths only."""

    def __init__(self, app: Any, *, paths: Iterable[str]) -> None:
        self.app = app
        self.paths = frozenset(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        raw = _header(scope, b"origin")
        origin = raw if raw is not None and _ORIGIN.match(raw.decode("latin-1")) else None
        if scope["method"] == "OPTIONS":
            await self._preflight(scope, send, origin)
            return
        if origin is None:
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", ()), (b"access-control-allow-origin", origin),
                           (b"access-control-expose-headers", b"retry-after"), (b"vary", b"Origin")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(self, scope: Scope, send: Send, origin: bytes | None) -> None:
        headers = [(b"allow", b"POST, OPTIONS"), (b"content-length", b"0"),
                   (b"vary", b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers")]
        if origin is not None:
            requested = _requested_headers(_header(scope, b"access-control-request-headers"))
            headers += [(b"access-control-allow-origin", origin), (b"access-control-allow-methods", b"POST"),
                        (b"access-control-allow-headers", ", ".join(requested).encode()),
                        (b"access-control-max-age", str(MAX_AGE_S).encode())]
            if _header(scope, b"access-control-request-private-network") == b"true":
                headers.append((b"access-control-allow-private-network", b"true"))
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
