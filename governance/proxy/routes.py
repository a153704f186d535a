"""Segment's HTTP Tracking API: ``POST /v1/{track,identify,page,screen,group,alias,batch}``.

Authenticated by the source's write key (HTTP Basic ``writeKey:`` or ``writeKey`` in the body);
``Content-Encoding: gzip`` accepted. Accepted requests answer 200 ``{"success": true}`` once their
outcome is committed, even when events are blocked (SDKs must not retry a block). ``/v1/validate``
judges without storing or forwarding.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
import zlib
from typing import Any

import orjson
from fastapi import APIRouter, Request

from governance.jsonresponse import FastJSON
from governance.proxy import spec
from governance.proxy.pipeline import SourceState, Verdict, judge, suppressed
from governance.proxy.spec import MessageError
from governance.proxy.violation_events import violation_events
from governance.settings import Settings

router = APIRouter(tags=["ingestion"])
WRITE_KEY_CHALLENGE = {"WWW-Authenticate": 'Basic realm="governance ingestion", charset="UTF-8"'}


def _error(status: int, error: MessageError, headers: dict[str, str] | None = None) -> FastJSON:
    return FastJSON(error.to_dict(), status_code=status, headers=headers)


class BodyError(Exception):
    def __init__(self, status: int, error: MessageError) -> None:
        self.status, self.error = status, error


async def read_payload(request: Request, settings: Settings) -> Any:
    """The body, gunzipped and parsed, within the batch size limit."""
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
    except orjson.JSONDecodeError:
        raise BodyError(400, spec.INVALID_JSON) from None
    if raw.translate(DIGITS_AS_ZERO).find(TWENTY_DIGITS) >= 0 and has_big_int(raw):
        raise BodyError(400, spec.INVALID_JSON)
    return body, len(raw)


# a run of 20 digits, found by mapping every digit to "0" (20x faster than a regex on 100 KB bodies)
DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
TWENTY_DIGITS = b"0" * 20


def _refuse_big(text: str) -> int:
    value = int(text)
    if not -(2**63) <= value < 2**64:
        raise OverflowError(text)
    return value


def has_big_int(raw: bytes) -> bool:
    """orjson reads integers beyond 64 bits as floats, silently changing them: refuse them instead
    (checked only when the body holds a run of 20+ digits, so the common path pays one cheap scan)."""
    try:
        json.loads(raw, parse_int=_refuse_big)
    except OverflowError:
        return True
    except (ValueError, RecursionError):
        return False
    return False


def write_key_of(request: Request, body: Any) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            user = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            user = ""
        if user:
            return user
    if isinstance(body, dict) and isinstance(body.get("writeKey"), str) and body["writeKey"]:
        return str(body["writeKey"])
    return None


def _messages(body: Any, kind: str | None, single_or_batch: bool) -> list[Any] | MessageError:
    if kind is not None:
        return [body]
    batch = body.get("batch") if isinstance(body, dict) else None
    if single_or_batch and batch is None:
        return [body]
    if not isinstance(batch, list) or not batch:
        return spec.EMPTY_BATCH
    return batch


async def _judge_request(request: Request, kind: str | None, *, single_or_batch: bool = False
                         ) -> tuple[SourceState, list[Verdict]] | FastJSON:  # fmt: skip
    proxy = request.app.state.proxy
    settings: Settings = request.app.state.settings
    try:
        body, size = await read_payload(request, settings)
    except BodyError as exc:
        return _error(exc.status, exc.error)
    key = write_key_of(request, body)
    if key is None:
        return _error(401, spec.MISSING_WRITE_KEY, WRITE_KEY_CHALLENGE)
    state = proxy.runtime.source_for_key(key)
    if state is None:
        return _error(401, spec.INVALID_WRITE_KEY, WRITE_KEY_CHALLENGE)
    messages = _messages(body, kind, single_or_batch)
    if isinstance(messages, MessageError):
        return _error(400, messages)
    if len(messages) > settings.max_batch_events:
        return _error(413, spec.TOO_MANY_EVENTS)
    received_at = spec.now_iso()
    salt = settings.hash_salt.get_secret_value().encode()
    started = time.perf_counter()
    verdicts = []
    check_size = size > settings.max_event_bytes  # a small body cannot hold an oversized event
    suppressions = proxy.runtime.suppressions.current
    for message in messages:
        if suppressions.count and suppressions.suppressed(state.id, message) is not None:
            verdicts.append(suppressed(message, kind))  # before anything else: nothing of it is kept
            continue
        if check_size and len(orjson.dumps(message)) > settings.max_event_bytes:
            fields = message if isinstance(message, dict) else {}
            verdicts.append(Verdict("rejected", kind=str(fields.get("type", kind or ""))[:20],
                                    message_id=str(fields.get("messageId") or "")[:200], original=message,
                                    reason="invalid_message", error=spec.EVENT_TOO_LARGE))  # fmt: skip
            continue
        verdicts.append(judge(message, state, kind=kind, received_at=received_at,
                              max_depth=settings.max_json_depth, salt=salt))  # fmt: skip
    proxy.metrics.observe_validation(time.perf_counter() - started, len(messages))
    return state, verdicts


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
    extra = []
    target = proxy.runtime.violations_target(state)
    if target is not None:
        received_at = spec.now_iso()
        extra = [(target, v) for verdict in verdicts if verdict.violations
                 for v in violation_events(state, verdict, received_at)]  # fmt: skip
    try:
        outcomes = await asyncio.wrap_future(proxy.store.submit(state.id, verdicts, extra))
    except Exception:
        proxy.metrics.request(kind or "batch", 503)
        return FastJSON({"code": "unavailable", "message": "cannot commit events; retry later"},
                              status_code=503, headers={"Retry-After": "5"})  # fmt: skip
    proxy.metrics.events(outcomes)  # final: the store reports duplicates back
    proxy.metrics.request(kind or "batch", 200)
    return FastJSON({"success": True})


for _kind in ("track", "identify", "page", "screen", "group", "alias"):

    async def _endpoint(request: Request, _k: str = _kind) -> FastJSON:
        return await ingest(request, _k)

    router.add_api_route(f"/v1/{_kind}", _endpoint, methods=["POST"], summary=f"Segment {_kind} call",
                         name=f"ingest_{_kind}")  # fmt: skip


@router.post("/v1/batch", summary="Segment batch (what every SDK sends)")
async def batch(request: Request) -> FastJSON:
    return await ingest(request, None)


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
    })  # fmt: skip
