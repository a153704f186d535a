"""Segment's HTTP Tracking API: ``POST /v1/{track,identify,page,screen,group,alias,batch}``.

analytics.js's short paths are aliases: ``/v1/t /p /i /s /g /a`` and ``/v1/b`` (batch), as is
RudderStack's ``/beacon/v1/batch?writeKey=…`` (its sendBeacon delivery). Authenticated
by the source's write key: HTTP Basic ``writeKey:``, else ``writeKey`` in the body (on the batch
envelope or on its messages, as analytics.js and ``navigator.sendBeacon`` send it). Bodies are
JSON whatever their ``Content-Type`` (analytics.js sends ``text/plain``); ``Content-Encoding: gzip``
accepted. Accepted requests answer 200 ``{"success": true}`` once their outcome is committed, even
when events are blocked (SDKs must not retry a block). ``/v1/validate`` judges without storing or
forwarding. CORS is ``cors.IngestionCORS``'s; a source's ``allowedOrigins`` is checked here.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
import zlib
from concurrent.futures import Future
from typing import Any, NamedTuple

import orjson
from fastapi import APIRouter, Request

from governance.jsonresponse import FastJSON
from governance.proxy import spec
from governance.proxy.cors import origin_allowed
from governance.proxy.cross_source import rows_for_other_sources
from governance.proxy.limits import Refused, limit_messages, out_of_range_integer, spells_nul
from governance.proxy.pipeline import SourceState, Verdict, judge, suppressed
from governance.proxy.runtime import LookupUnavailable
from governance.proxy.spec import MessageError
from governance.proxy.suppression import Suppressions
from governance.proxy.timestamps import stamp
from governance.settings import Settings

router = APIRouter(tags=["ingestion"])
BEACON_PATH = "/beacon/v1/batch"  # RudderStack's JavaScript SDK with useBeacon
WRITE_KEY_CHALLENGE = {"WWW-Authenticate": 'Basic realm="governance ingestion", charset="UTF-8"'}


def _error(status: int, error: MessageError, headers: dict[str, str] | None = None) -> FastJSON:
    return FastJSON(error.to_dict(), status_code=status, headers=headers)


def _unavailable() -> FastJSON:
    return FastJSON({"code": "unavailable", "message": "cannot commit events; retry later"},
                    status_code=503, headers={"Retry-After": "5"})


class BodyError(Exception):
    def __init__(self, status: int, error: MessageError) -> None:
        self.status, self.error = status, error


class Payload(NamedTuple):
    body: Any
    size: int  # bytes after gzip
    nul: bool  # the text spells U+0000 somewhere (``limits.limit_messages`` then checks each message)


async def read_payload(request: Request, settings: Settings) -> Payload:
    """The body, gunzipped and parsed, within the batch size limit (``limits`` has the rest)."""
    limit = settings.max_batch_bytes
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise BodyError(413, spec.BATCH_TOO_LARGE)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyError(413, spec.BATCH_TOO_LARGE)
        chunks.append(chunk)
    raw = b"".join(chunks)
    if "gzip" in request.headers.get("content-encoding", "").lower():
        try:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            raw = inflater.decompress(raw, limit + 1)
        except zlib.error:
            raise BodyError(400, spec.INVALID_JSON) from None
        if len(raw) > limit or inflater.unconsumed_tail:
            raise BodyError(413, spec.BATCH_TOO_LARGE)
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        too_deep = "depth limit" in str(exc)  # orjson reads 1,024 levels at most
        raise BodyError(400, spec.TOO_DEEP if too_deep else spec.INVALID_JSON) from None
    if out_of_range_integer(raw):
        raise BodyError(400, spec.INVALID_JSON)
    return Payload(body, len(raw), spells_nul(raw))


def _body_key(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def write_key_of(request: Request, body: Any) -> str | None:
    """HTTP Basic's user, else ``writeKey`` on the body, else on the first batch message that has one.

    RudderStack's beacon path alone takes it from the query string too (``?writeKey=``), where that
    SDK puts it.
    """
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            user = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            user = ""
        if user:
            return user
    if request.url.path == BEACON_PATH and (query := _body_key(request.query_params.get("writeKey"))):
        return query
    if not isinstance(body, dict):
        return None
    key = _body_key(body.get("writeKey"))
    batch = body.get("batch")
    if key is None and isinstance(batch, list):
        key = next((k for m in batch if isinstance(m, dict) and (k := _body_key(m.get("writeKey")))), None)
    return key


def _messages(body: Any, kind: str | None, single_or_batch: bool) -> list[Any] | MessageError:
    if kind is not None:
        return [body]
    batch = body.get("batch") if isinstance(body, dict) else None
    if single_or_batch and batch is None:
        return [body]
    if not isinstance(batch, list) or not batch:
        return spec.EMPTY_BATCH
    return batch


async def _source(request: Request, key: str) -> SourceState | None:
    """The key's source; a key not loaded yet (perhaps created a moment ago) is looked up once.

    Raises ``LookupUnavailable`` when that lookup cannot reach the database.
    """
    runtime = request.app.state.proxy.runtime
    state = runtime.source_for_key(key)
    if state is None and not runtime.known_unknown(key):
        state = await asyncio.to_thread(runtime.lookup_key, key)
    return state


def _rejected(message: Any, kind: str | None, error: MessageError, max_depth: int) -> Verdict:
    return Refused.of(message, error, max_depth=max_depth, kind=kind).verdict()


def _judge_all(messages: list[Any], state: SourceState, *, kind: str | None, key: str, size: int, nul: bool,
               envelope_sent_at: Any, settings: Settings, suppressions: Suppressions) -> list[Verdict]:
    received_at = spec.now_iso()
    salt = settings.hash_salt.get_secret_value().encode()
    verdicts = []
    limited = limit_messages(messages, kind=kind, max_depth=settings.max_json_depth,
                             max_event_bytes=settings.max_event_bytes, body_bytes=size, nul=nul)
    for original, message in zip(messages, limited, strict=True):
        if suppressions.count and suppressions.suppressed(state.id, original) is not None:
            verdicts.append(suppressed(original, kind))  # before anything else: nothing of it is kept
            continue
        if isinstance(message, Refused):  # its preview keeps no credentials
            verdicts.append(message.verdict())
            continue
        # a write key is never stored, not even with a rejected message in the quarantine
        own_key = _body_key(message.pop("writeKey", None)) if isinstance(message, dict) else None
        if own_key not in (None, key):
            verdicts.append(_rejected(message, kind, spec.WRITE_KEY_MISMATCH, settings.max_json_depth))
            continue
        if isinstance(message, dict):
            stamp(message, envelope_sent_at=envelope_sent_at, received_at=received_at)
        # max_depth None: limit_messages checked every message's depth, once
        verdicts.append(judge(message, state, kind=kind, received_at=received_at, max_depth=None, salt=salt,
                              owned=True))  # parsed from this request: nothing else holds it
    return verdicts


async def _judge_request(request: Request, kind: str | None, *, single_or_batch: bool = False
                         ) -> tuple[SourceState, list[Verdict]] | FastJSON:
    proxy = request.app.state.proxy
    settings: Settings = request.app.state.settings
    try:
        body, size, nul = await read_payload(request, settings)
    except BodyError as exc:
        return _error(exc.status, exc.error)
    key = write_key_of(request, body)
    if key is None:
        return _error(401, spec.MISSING_WRITE_KEY, WRITE_KEY_CHALLENGE)
    try:
        state = await _source(request, key)
    except LookupUnavailable:
        return _unavailable()
    if state is None:
        return _error(401, spec.INVALID_WRITE_KEY, WRITE_KEY_CHALLENGE)
    origin = request.headers.get("origin")
    if origin is not None and not origin_allowed(state.settings.allowedOrigins, origin):
        return _error(403, spec.ORIGIN_NOT_ALLOWED)
    messages = _messages(body, kind, single_or_batch)
    if isinstance(messages, MessageError):
        return _error(400, messages)
    if len(messages) > settings.max_batch_events:
        return _error(413, spec.TOO_MANY_EVENTS)
    envelope_sent_at = body.get("sentAt") if kind is None and isinstance(body, dict) else None
    started = time.perf_counter()
    verdicts = _judge_all(messages, state, kind=kind, key=key, size=size, nul=nul,
                          envelope_sent_at=envelope_sent_at, settings=settings,
                          suppressions=proxy.runtime.suppressions.current)
    proxy.metrics.observe_validation(time.perf_counter() - started, len(messages))
    return state, verdicts


async def committed(future: Future[list[str]], settings: Settings) -> list[str]:
    """The commit's outcomes, or TimeoutError after ``commit_timeout_s`` (answered 503: the commit
    may still land, and the SDK's retry is then deduplicated by its messageIds).

    One loop future, settled from the writer thread through ``call_soon_threadsafe``, and one
    timer: what ``wait_for(shield(wrap_future(future)))`` did with three futures, a task's worth of
    callbacks and ~48 µs a request (~0.4 µs an event) against ~8 (capacity.md, phase 7). Neither
    a timeout nor a cancelled request cancels the commit: ``future`` is only read."""
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[list[str]] = loop.create_future()

    def settle(done: Future[list[str]]) -> None:  # on the loop
        if waiter.done():  # timed out, or the request was cancelled
            return
        error = done.exception()
        if error is None:
            waiter.set_result(done.result())
        else:
            waiter.set_exception(error)

    def on_commit(done: Future[list[str]]) -> None:  # in the writer thread (or here, if done already)
        if not loop.is_closed():
            loop.call_soon_threadsafe(settle, done)

    def expire() -> None:
        if not waiter.done():
            waiter.set_exception(TimeoutError(f"not committed within {settings.commit_timeout_s:g} s"))

    future.add_done_callback(on_commit)
    timer = loop.call_later(settings.commit_timeout_s, expire)
    try:
        return await waiter
    finally:
        timer.cancel()


async def ingest(request: Request, kind: str | None) -> FastJSON:
    judged = await _judge_request(request, kind)
    proxy = request.app.state.proxy
    if isinstance(judged, FastJSON):
        proxy.metrics.request(kind or "batch", judged.status_code)
        return judged
    state, verdicts = judged
    if kind is not None and verdicts[0].outcome == "rejected" and verdicts[0].error is not None:
        status = 413 if verdicts[0].error is spec.EVENT_TOO_LARGE else 400
        proxy.metrics.request(kind, status)
        return _error(status, verdicts[0].error)
    extra = rows_for_other_sources(proxy.runtime, state, verdicts, spec.now_iso())
    try:
        outcomes = await committed(proxy.store.submit(state.id, verdicts, extra), request.app.state.settings)
    except Exception:
        proxy.metrics.request(kind or "batch", 503)
        return _unavailable()
    proxy.metrics.events(outcomes)  # final: the store reports duplicates back
    proxy.metrics.request(kind or "batch", 200)
    return FastJSON({"success": True})


# the batch routes first: FastAPI matches routes in order, and SDKs send batches
async def batch(request: Request) -> FastJSON:
    return await ingest(request, None)


router.add_api_route("/v1/batch", batch, methods=["POST"], summary="Segment batch (what every SDK sends)")
router.add_api_route("/v1/b", batch, methods=["POST"], name="batch_short",
                     summary="Segment batch (analytics.js short path, batching delivery)")
router.add_api_route(BEACON_PATH, batch, methods=["POST"], name="batch_beacon",
                     summary="Segment batch (RudderStack's sendBeacon delivery; writeKey in the query)")


SHORT = {"track": "t", "identify": "i", "page": "p", "screen": "s", "group": "g", "alias": "a"}  # analytics.js


for _kind, _short in SHORT.items():

    async def _endpoint(request: Request, _k: str = _kind) -> FastJSON:
        return await ingest(request, _k)

    router.add_api_route(f"/v1/{_kind}", _endpoint, methods=["POST"], summary=f"Segment {_kind} call",
                         name=f"ingest_{_kind}")
    router.add_api_route(f"/v1/{_short}", _endpoint, methods=["POST"], name=f"ingest_{_kind}_short",
                         summary=f"Segment {_kind} call (analytics.js short path)")


@router.post("/v1/validate", summary="Judge a message or batch: verdicts and violations, nothing stored")
async def validate(request: Request) -> FastJSON:
    judged = await _judge_request(request, None, single_or_batch=True)
    if isinstance(judged, FastJSON):
        return judged
    state, verdicts = judged
    return FastJSON({
        "success": True, "source": state.name, "mode": state.mode, "plan": state.plan_name,
        "plan_version": state.plan_version,
        "verdicts": [{**v.to_dict(), "forwarded": v.forward} for v in verdicts],
    })
