"""The benchmarks' load generator: keep-alive clients posting ``/v1/batch`` bodies, every messageId unique.

Bodies are made from templates (100 events of ~1 KB from the e-commerce plan, 10 % invalid) whose
messageIds are placeholders. Each request fills them with ids that are unique by construction,
shaped as ``ids`` says:

    sdk       (the default) like the real SDKs' ids (``ids.py``): each template is one library's
              request, 40 % ``ajs-next-<ms>-<uuid v4>`` (analytics.js), 20 %
              ``node-next-<ms>-<uuid v4>`` (analytics-node), 40 % plain UUIDv4s (the server and
              mobile libraries), with ``context.library`` set to match; ``<ms>`` is the wall
              clock when the body is built
    uuid4     every template a UUIDv4 library's (the mobile and server SDKs alone)
    ordered   the bench's ids before the SDK shapes, kept to compare: ordered within a stream,
              ``<run: 8 hex>-<stream: 4 hex>-<request seq: 4+4 hex>-<event index: 12 hex>``

``stream`` tells the peer and the client apart, so no two clients, requests or peers of one run
send the same id, and a run id is random, so two runs on one database do not collide either.
Each client also starts at its own template (client ``c`` at ``c mod templates``), so they do not
send the same events in lockstep.
"""

from __future__ import annotations

import asyncio
import copy
import random
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import orjson

from governance.bench.ids import LIBRARIES, SDK_MIX, Ids

PLACEHOLDER = "00000000-0000-0000-0000-0000000000ID"  # as long as a UUID, like the real messageIds
ID_SHAPES = ("sdk", "uuid4", "ordered")


def sample_events(n: int, *, invalid_share: float = 0.1, seed: int = 0) -> list[dict[str, Any]]:
    """~1 KB e-commerce events (Product Viewed / Order Completed), ``invalid_share`` invalid."""
    rng = random.Random(seed)
    events = []
    for i in range(n):
        product = {"product_id": f"p{rng.randint(1, 9999)}", "sku": f"SKU-{rng.randint(1, 99999)}",
                   "category": "Games", "name": "Monopoly: 3rd Edition", "brand": "Hasbro", "variant": "200 pieces",
                   "price": round(rng.uniform(1, 100), 2), "quantity": rng.randint(1, 3), "coupon": "MAYDEALS",
                   "position": 3, "url": "https://www.example.com/product/path",
                   "image_url": "https://www.example.com/product/path.jpg"}
        if i % 2:
            props: dict[str, Any] = {"order_id": f"o{i}", "checkout_id": f"c{i}", "affiliation": "Google Store",
                                     "total": 27.5, "revenue": 25.0, "shipping": 3.0, "tax": 2.0, "discount": 2.5,
                                     "coupon": "hasbros", "currency": "USD", "products": [product]}
            event = "Order Completed"
        else:
            props, event = {**product, "currency": "USD", "value": 18.99}, "Product Viewed"
        if rng.random() < invalid_share:
            props["price" if event == "Product Viewed" else "total"] = "not a number"
        events.append({"type": "track", "event": event, "userId": f"user-{rng.randint(1, 5000)}",
                       "anonymousId": str(uuid.UUID(int=rng.getrandbits(128))), "messageId": PLACEHOLDER,
                       "timestamp": "2026-11-28T12:00:00.000Z",
                       "context": {"library": {"name": "analytics-python", "version": "2.3.4"},
                                   "ip": "203.0.113.7", "userAgent": "Mozilla/5.0 (X11; Linux x86_64)"},
                       "properties": props})
    return events


class Bodies:
    """``/v1/batch`` bodies of ``batch`` events, each request with its own messageIds (``ids``: one of
    ``ID_SHAPES``)."""

    def __init__(self, events: list[dict[str, Any]], batch: int, ids: str = "sdk") -> None:
        if ids not in ID_SHAPES:
            raise ValueError(f"ids must be one of {', '.join(ID_SHAPES)}, not {ids!r}")
        self.batch, self.ids = batch, ids
        self.run = secrets.token_hex(4)
        self._ids = Ids()
        marker = PLACEHOLDER.encode()
        self.templates: list[list[bytes]] = []
        self.shapes: list[str] = []  # each template's id shape
        self.template_events: list[list[dict[str, Any]]] = []  # what each template sends, ids aside
        for n, start in enumerate(range(0, len(events) - batch + 1, batch)):
            shape = {"sdk": SDK_MIX[n % len(SDK_MIX)], "uuid4": "uuid4"}.get(ids, "ordered")
            chunk = copy.deepcopy(events[start : start + batch])
            if shape != "ordered":
                libraries = LIBRARIES[shape]
                for event in chunk:
                    event["context"]["library"] = dict(libraries[(n // len(SDK_MIX)) % len(libraries)])
            body = orjson.dumps({"batch": chunk, "sentAt": "2026-11-28T12:00:00Z"})
            parts = body.split(marker)
            assert len(parts) == batch + 1, "the placeholder must occur once per event"
            self.templates.append(parts)
            self.shapes.append(shape)
            self.template_events.append(chunk)
        self.suffixes = [b"%012x" % j for j in range(batch)]
        self.event_bytes = round(sum(len(orjson.dumps(e)) for t in self.template_events for e in t)
                                 / sum(len(t) for t in self.template_events))

    def body(self, stream: int, seq: int) -> bytes:
        """The ``seq``-th body of ``stream`` (peer and client): unique messageIds, template by turn."""
        n = (stream + seq) % len(self.templates)
        parts, shape = self.templates[n], self.shapes[n]
        if shape == "ordered":
            prefix = f"{self.run}-{stream & 0xFFFF:04x}-{(seq >> 16) & 0xFFFF:04x}-{seq & 0xFFFF:04x}-".encode()
            pieces = [parts[0]]
            for suffix, part in zip(self.suffixes, parts[1:], strict=True):
                pieces += (prefix, suffix, part)
            return b"".join(pieces)
        ids = self._ids.batch(shape, stream, seq, self.batch)
        pieces = [parts[0]]
        for message_id, part in zip(ids, parts[1:], strict=True):
            pieces += (message_id.encode(), part)
        return b"".join(pieces)


FAILURES_KEPT = 50  # a run's first failures are reported one by one (kind, when, after how long)


@dataclass
class Tally:
    """What one load run saw: answered requests, their latencies, and every failure by kind (the
    first ``FAILURES_KEPT`` also one by one)."""

    requests: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    failures: list[dict[str, Any]] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)

    def failed(self, kind: str, stream: int, sent_at: float | None) -> None:
        """A request that got no 200: ``after_ms`` from when it was sent (as its latency would
        be) to the failure, None when it failed before (the connection was refused); ``at_s`` into
        the run."""
        self.errors[kind] += 1
        if len(self.failures) < FAILURES_KEPT:
            now = time.perf_counter()
            self.failures.append({"kind": kind, "client": stream & 0xFF, "at_s": round(now - self.started, 3),
                                  "after_ms": None if sent_at is None else round((now - sent_at) * 1000, 1)})


async def _client(port: int, bodies: Bodies, stream: int, auth: str, stop_at: float, tally: Tally,
                  seqs: list[int]) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while time.perf_counter() < stop_at:
        started: float | None = None
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            assert reader is not None
            body = bodies.body(stream, seqs[stream & 0xFF])
            seqs[stream & 0xFF] += 1  # never reused, even when the request fails
            head = (f"POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    f"Authorization: Basic {auth}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
            started = time.perf_counter()
            writer.write(head + body)
            await writer.drain()
            headers = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in headers.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            status = headers.split(b" ", 2)[1].decode()
            if status != "200":
                tally.failed(f"HTTP {status}", stream, started)
                continue
            tally.latencies.append(time.perf_counter() - started)
            tally.requests += 1
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            tally.failed(type(exc).__name__, stream, started)
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.05)
    if writer is not None:
        writer.close()


def run_loop(main: Callable[[], Coroutine[Any, Any, float]]) -> float:
    """``asyncio.run(main())``, in a thread of its own when this thread already runs a loop (a
    notebook, or a sync Playwright still open in the same test session), where it would refuse."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result()


def load(port: int, bodies: Bodies, auth: str, *, seconds: float, concurrency: int, stream_base: int,
         seqs: list[int] | None = None) -> dict[str, Any]:
    """``concurrency`` keep-alive clients for ``seconds``; client ``c`` is stream ``stream_base + c``.

    ``seqs`` (per client) carries request numbers over from an earlier run of the same streams, so a
    soak made of several runs never repeats an id. Returns throughput, latencies and errors."""
    tally = Tally()
    seqs = seqs if seqs is not None else [0] * 256
    assert concurrency <= 256 and (stream_base & 0xFF) == 0, "stream = peer << 8 | client"

    async def main() -> float:
        started = time.perf_counter()
        stop_at = started + seconds
        await asyncio.gather(*(_client(port, bodies, stream_base + c, auth, stop_at, tally, seqs)
                               for c in range(concurrency)))
        return time.perf_counter() - started

    elapsed = run_loop(main)
    latencies = sorted(tally.latencies)
    return {
        "requests": tally.requests,
        "events": tally.requests * bodies.batch,
        "errors": sum(tally.errors.values()),
        "error_kinds": dict(tally.errors),
        "failures": tally.failures,
        "elapsed_s": round(elapsed, 3),
        "events_per_s": round(tally.requests * bodies.batch / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2) if latencies else None,
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 2)
        if latencies else None,
    }
