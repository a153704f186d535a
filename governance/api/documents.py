"""Reading JSON or YAML request bodies safely: size limit, depth limit, duplicate keys, clear 4xx errors."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request

from governance.errors import InvalidBody, PayloadTooLarge
from governance.plan.loader import MAX_DEPTH, check_json_duplicates, parse_document


def check_depth(value: Any, max_depth: int) -> None:
    """Refuse documents nested deeper than ``max_depth`` (iteratively: no recursion to exhaust), or
    holding an integer beyond 64 bits (YAML reads any integer; nothing after it can write one)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            raise InvalidBody(f"document nests deeper than {max_depth} levels")
        if type(item) is int and not -(2**63) <= item < 2**64:
            raise InvalidBody(f"document holds an integer beyond 64 bits ({str(item)[:30]}...)")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")  # absent for chunked bodies
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_document(request: Request) -> Any:
    """A JSON body, or YAML when the content type says so; a key written twice is refused (422)."""
    limit = request.app.state.settings.max_api_body_bytes
    raw = await read_body(request, limit)
    if not raw.strip():
        raise InvalidBody("request body is empty")
    content_type = request.headers.get("content-type", "application/json")
    if "yaml" in content_type:
        data, _ = parse_document(raw)
    else:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InvalidBody(f"malformed JSON: {exc}") from None
        check_depth(data, MAX_DEPTH)
        check_json_duplicates(raw)  # orjson keeps the last of two equal keys; a plan document must not
        return data
    check_depth(data, MAX_DEPTH)
    return data
