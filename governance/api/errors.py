"""One table from exception class to response; one handler walks ``type(exc).__mro__``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError, StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException

from governance.errors import GovernanceError, Unauthorized
from governance.jsonresponse import FastJSON

log = logging.getLogger("governance.api")

HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 412: "etag_mismatch", 413: "payload_too_large", 415: "unsupported_media_type",
    422: "validation_failed", 428: "if_match_required", 503: "unavailable",
}


def error_response(status: int, code: str, message: str, details: object = None,
                   headers: dict[str, str] | None = None) -> FastJSON:
    body: dict[str, object] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return FastJSON(body, status_code=status, headers=headers)


def validation_detail(error: Any) -> dict[str, str]:
    """``{path, message}`` of one request validation error; body paths start at the body's root."""
    loc = tuple(error.get("loc", ()))
    if loc[:1] == ("body",) and len(loc) > 1:
        loc = loc[1:]
    kind = error.get("type", "")
    message = "unknown key" if kind == "extra_forbidden" else str(error.get("msg", "")).removeprefix("Value error, ")
    return {"path": ".".join(str(p) for p in loc), "message": message}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(GovernanceError)
    async def _governance(_request: Request, exc: GovernanceError) -> FastJSON:
        headers = {"Retry-After": "5"} if exc.status == 503 else None
        if isinstance(exc, Unauthorized):  # RFC 9110: a 401 names the scheme that would work
            headers = {"WWW-Authenticate": exc.challenge}
        return error_response(exc.status, exc.code, exc.message, exc.details, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> FastJSON:
        details = [validation_detail(e) for e in exc.errors()]
        first = details[0] if details else {"path": "", "message": "invalid request"}
        return error_response(422, "validation_failed", f"{first['path']}: {first['message']}", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> FastJSON:
        code = HTTP_CODES.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(_request: Request, exc: Exception) -> FastJSON:
        # a number the database cannot hold (an id or offset beyond 64 bits) is bad input, not a crash
        return error_response(422, "validation_failed", "a number in the request is out of range")

    @app.exception_handler(StatementError)
    async def _statement(request: Request, exc: StatementError) -> FastJSON:
        if isinstance(exc.orig, OverflowError | ValueError):
            return error_response(422, "validation_failed", "a value in the request cannot be stored or compared")
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> FastJSON:
        log.exception("unexpected error", exc_info=exc)
        return error_response(500, "internal_error", "internal error; see the server log")
