"""Kept-alive HTTP/1.1 connections to the upstreams, on the standard library's ``http.client``.

The worker sends one ``/v1/batch`` of up to ``forward_batch_size`` events per request, tens of
times a second. Through httpx a request cost about 560 µs of the worker's CPU (its request, URL
and header models, httpcore's pool and h11's state machine; ``governance bench hotpath
--forward``, docs/operations/capacity.md, phase 6b), about 6 µs per forwarded event. The same
exchange on a kept-alive ``http.client`` connection costs a fraction of that. What the forwarder
asks of its transport (``upstream.post``), kept here:

* the connection goes to the vetted IP (``ssrf.VettedTarget.ip``), never to a fresh DNS answer; the
  ``Host`` header carries the URL's host; for https the TLS handshake sends that host as SNI and
  the certificate is verified against it (certifi's roots, as httpx used);
* ``timeout_s`` bounds the connect and every send and receive (httpx's timeout did the same), and
  the caller's deadline bounds the drain of the response body, of which at most ``limit`` bytes
  are read;
* redirects are never followed and no proxy from the environment is used (``http.client`` does
  neither);
* a connection is kept for the next request only after a response read to its end that did not
  ask to close; an idle one that became readable (the server closed it, or sent what it should
  not) is dropped before it is used again, as httpcore does.
"""

from __future__ import annotations

import http.client
import select
import ssl
import threading
import time

from governance.ssrf import VettedTarget

MAX_IDLE = 8  # idle connections kept per upstream address (a worker runs forward_concurrency lanes)
NetworkError = (OSError, http.client.HTTPException)  # TimeoutError (a socket timeout) is an OSError
Key = tuple[str, str, int, str]


class _Https(http.client.HTTPSConnection):
    """TLS to the vetted IP, with the URL's host as SNI and as the name the certificate must have."""

    def __init__(self, ip: str, port: int, *, server_name: str, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(ip, port, timeout=timeout, context=context)
        self.server_name, self.tls = server_name, context

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self.tls.wrap_socket(self.sock, server_hostname=self.server_name)


def _stale(conn: http.client.HTTPConnection) -> bool:
    """Whether an idle connection cannot carry a request: closed, or readable before we wrote."""
    sock = conn.sock
    if sock is None:
        return True
    try:
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


def _drained(response: http.client.HTTPResponse, deadline: float, limit: int) -> bool:
    """Read (and drop) the response body within ``deadline`` and ``limit`` bytes; whether it was read
    to its end (then the connection can carry the next request)."""
    read = 0
    while not response.isclosed():
        if read > limit or time.monotonic() > deadline:
            return False
        chunk = response.read(16384)
        if not chunk:
            break
        read += len(chunk)
    return response.isclosed()


class Pool:
    """Idle connections per (scheme, IP, port, host); thread-safe (the forwarder's lanes share it)."""

    def __init__(self, timeout_s: float, *, tls: ssl.SSLContext | None = None) -> None:
        self.timeout_s = timeout_s
        self._idle: dict[Key, list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()
        self._tls = tls  # None: certifi's roots, made at the first https request
        self.opened = 0  # connections made so far (tests read it: kept-alive means few)

    def _context(self) -> ssl.SSLContext:
        if self._tls is None:
            import certifi

            self._tls = ssl.create_default_context(cafile=certifi.where())
        return self._tls

    def _take(self, key: Key) -> http.client.HTTPConnection:
        while True:
            with self._lock:
                idle = self._idle.get(key)
                conn = idle.pop() if idle else None
            if conn is None:
                break
            if not _stale(conn):
                return conn
            conn.close()
        scheme, ip, port, host = key
        self.opened += 1
        if scheme == "https":
            return _Https(ip, port, server_name=host, timeout=self.timeout_s, context=self._context())
        return http.client.HTTPConnection(ip, port, timeout=self.timeout_s)

    def _give(self, key: Key, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < MAX_IDLE:
                idle.append(conn)
                return
        conn.close()

    def post(self, target: VettedTarget, body: bytes, headers: dict[str, str], *, deadline: float,
             limit: int) -> tuple[int, str | None]:
        """POST ``body`` to the target's path at its vetted address: (status, Retry-After header).
        Network errors and timeouts raise (``NetworkError``)."""
        key = (target.scheme, target.ip, target.port, target.host)
        conn = self._take(key)
        keep = False
        try:
            conn.request("POST", target.path, body=body, headers={**headers, "host": target.host_header})
            response = conn.getresponse()
            status, retry_after = response.status, response.getheader("retry-after")
            keep = _drained(response, deadline, limit) and not response.will_close
            return status, retry_after
        finally:
            if keep:
                self._give(key, conn)
            else:
                conn.close()

    def close(self) -> None:
        with self._lock:
            idle = [conn for conns in self._idle.values() for conn in conns]
            self._idle.clear()
        for conn in idle:
            conn.close()
