"""The OpenAPI document as the service really behaves, and ``/docs`` without a CDN.

FastAPI derives the document from the routes; this module adds what it cannot see:

* security: admin routes take ``Authorization: Bearer <token>`` (scheme ``bearerToken``, which
  FastAPI emits from the ``HTTPBearer`` dependency of ``api/deps.current_actor``), ingestion
  routes a source's write key as HTTP Basic ``writeKey:`` (scheme ``writeKey``, added here for
  every ``/v1/`` operation), so "Authorize" in ``/docs`` works; public routes carry neither;
* the plan format: plan documents reference ``#/components/schemas/Plan``, the JSON Schema of
  ``governance/plan/schema.py``, instead of a bare ``object``;
* errors: every error body is ``{code, message, details}`` (``ErrorBody``), not FastAPI's
  ``{detail}``; authenticated operations list their 401 and 403.

``/docs`` is Swagger UI from ``web/vendor/swagger-ui/`` (vendored from npm, see
``web/vendor/README.md``), served at ``/vendor/swagger-ui/``: it works offline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

from governance.plan.schema import plan_json_schema

SWAGGER_DIR = Path(__file__).resolve().parents[2] / "web" / "vendor" / "swagger-ui"
SWAGGER_PATH = "/vendor/swagger-ui"
PLAN_REF = {"$ref": "#/components/schemas/Plan"}
EVENT_REF = {"$ref": "#/components/schemas/EventSpec"}
ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
WRITE_KEY_SCHEME = {"type": "http", "scheme": "basic", "description": (
    "A source's write key as the HTTP Basic user name, with an empty password (what every Segment SDK sends); "
    "`writeKey` in the JSON body also works.")}
ERROR_BODY = {
    "type": "object", "title": "ErrorBody", "required": ["code", "message"],
    "properties": {
        "code": {"type": "string", "description": "Stable machine code (see the error codes table)"},
        "message": {"type": "string", "description": "What went wrong, for people"},
        "details": {"description": "Where: for validation errors a list of {path, message}"},
    },
}


def _rehome(node: Any) -> Any:
    """A copy with ``#/$defs/X`` references pointing at ``#/components/schemas/X``."""
    if isinstance(node, dict):
        return {k: (v.replace("#/$defs/", "#/components/schemas/") if k == "$ref" and isinstance(v, str)
                    else _rehome(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_rehome(item) for item in node]
    return node


def _plan_components() -> dict[str, Any]:
    schema = plan_json_schema()
    defs = schema.pop("$defs")
    for key in ("$schema", "$id"):
        schema.pop(key)
    return {name: _rehome(value) for name, value in {**defs, "Plan": schema}.items()}


def _secure(path: str, operation: dict[str, Any]) -> None:
    """Security and error responses of one operation (FastAPI has set bearerToken from the dependency)."""
    responses = operation.setdefault("responses", {})
    if {"bearerToken": []} in operation.get("security", []):
        responses.setdefault("401", {"description": "No valid API token (WWW-Authenticate: Bearer)", "content": {
            "application/json": {"schema": ERROR_REF}}})
        responses.setdefault("403", {"description": "The token's role is too low for this route", "content": {
            "application/json": {"schema": ERROR_REF}}})
    elif path.startswith("/v1/"):
        operation["security"] = [{"writeKey": []}, {}]  # {}: or writeKey in the body
    for response in responses.values():
        media = response.get("content", {}).get("application/json", {})
        if media.get("schema", {}).get("$ref") == "#/components/schemas/HTTPValidationError":
            media["schema"] = ERROR_REF


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """The document, built once per app and cached as FastAPI does."""
    if app.openapi_schema:
        return app.openapi_schema
    document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name, schema in _plan_components().items():
        if name in schemas:
            raise RuntimeError(f"OpenAPI component {name!r} is both an API model and part of the plan format")
        schemas[name] = schema
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["ErrorBody"] = ERROR_BODY
    components.setdefault("securitySchemes", {})["writeKey"] = WRITE_KEY_SCHEME
    for path, methods in document.get("paths", {}).items():
        for operation in methods.values():
            _secure(path, operation)
    app.openapi_schema = document
    return document


def install_docs(app: FastAPI) -> None:
    """``/openapi.json`` with the additions above, and Swagger UI at ``/docs`` from vendored files."""
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]
    app.mount(SWAGGER_PATH, StaticFiles(directory=SWAGGER_DIR), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} API",
            swagger_js_url=f"{SWAGGER_PATH}/swagger-ui-bundle.js", swagger_css_url=f"{SWAGGER_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER_PATH}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": True},
        )
