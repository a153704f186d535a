"""``create_app(settings)``: the web process — REST API, ingestion proxy and console."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse, Response

from governance import __version__
from governance.api.errors import error_response, install_error_handlers
from governance.api.openapi import install_docs
from governance.api.routes import (
    admin,
    events,
    formats,
    forwarding,
    insights,
    ledger,
    lint,
    me,
    plan_browse,
    plan_schema,
    plans,
    quarantine,
    regulations,
    sources,
    transformations,
)
from governance.api.routes import alerts as alert_routes
from governance.api.routes import channels as channel_routes
from governance.api.routes import checks as check_routes
from governance.api.routes import silences as silence_routes
from governance.api.routes import teaching as teaching_routes
from governance.bootstrap import bootstrap
from governance.console import mount_console
from governance.db import make_engine
from governance.health import health, ops_metric_lines
from governance.jsonresponse import FastJSON
from governance.proxy import routes as ingest
from governance.proxy.cors import IngestionCORS
from governance.proxy.metrics import CONTENT_TYPE
from governance.proxy.observe import outbox_gauges
from governance.proxy.service import Proxy
from governance.settings import Settings
from governance.timeouts import BodyDeadline
from governance.webgc import tune_for_ingestion

log = logging.getLogger("governance")


class BodyLimit:
    """Refuse REST bodies larger than the limit with 413 before they are read whole."""

    def __init__(self, app: Any, *, limit: int, prefix: str = "/api/") -> None:
        self.app, self.limit, self.prefix = app, limit, prefix

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            response = error_response(413, "payload_too_large", f"request body is larger than {self.limit} bytes")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def app_from_env() -> FastAPI:
    """The app of one of ``serve --workers N``'s web processes (uvicorn's factory, in a spawned
    process): its settings from the ``GOVERNANCE_*`` environment serve started it with."""
    from governance.logs import configure_logging
    from governance.timeouts import HeadTimeoutProtocol
    from governance.webprocs import JSON_LOGS_ENV

    settings = Settings()
    configure_logging(settings.log_level, json_lines=os.environ.get(JSON_LOGS_ENV) == "1")
    HeadTimeoutProtocol.head_timeout_s = settings.request_head_timeout_s  # this process's connections
    app = create_app(settings)
    app.state.tune_gc = True
    return app


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.proxy = Proxy.start(app.state.engine, settings)
        if app.state.tune_gc:  # governance serve's web processes (webgc: the collector's thresholds)
            tune_for_ingestion()
        try:
            yield
        finally:
            app.state.proxy.stop()
            app.state.engine.dispose()

    app = FastAPI(
        title="governance",
        version=__version__,
        description="Tracking-plan governance and data quality for Segment-spec event streams.",
        default_response_class=FastJSON,
        lifespan=lifespan,
        docs_url=None,  # served by install_docs from vendored files, not a CDN
        redoc_url=None,
    )
    engine = make_engine(settings.database_url, synchronous=settings.sqlite_synchronous)
    bootstrap(settings, engine)
    app.state.settings = settings
    app.state.engine = engine
    app.state.tune_gc = False  # serve sets it: tests and embedders keep the interpreter's collector
    install_error_handlers(app)
    # ingestion first: FastAPI tries the routers in order, each over all its routes (~5 µs an event
    # of a 100-event batch when ingestion came last); no admin path overlaps an ingestion path
    routers = (ingest.router, me.router, lint.router, plan_schema.router, formats.router, plans.router,
               plan_browse.router, insights.router, sources.router, transformations.router, events.router,
               quarantine.router, forwarding.router, admin.router, check_routes.router, alert_routes.router,
               teaching_routes.router, channel_routes.router, silence_routes.router, ledger.router,
               regulations.router)
    for router in routers:
        app.include_router(router)

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics", response_class=PlainTextResponse)
    def metrics() -> Response:
        ops = "".join(f"{line}\n" for line in ops_metric_lines(engine)).encode()  # the ledger, the worker
        return Response(app.state.proxy.metrics.render(outbox_gauges(engine)) + ops, media_type=CONTENT_TYPE)

    @app.get("/healthz", tags=["ops"], summary="Liveness: ok, or degraded while serve's worker is down")
    def healthz() -> dict[str, Any]:
        return health()

    install_docs(app)
    mount_console(app, settings.web_dir)  # after /vendor/swagger-ui, which /docs serves
    app.add_middleware(BodyLimit, limit=settings.max_api_body_bytes)
    app.add_middleware(BodyDeadline, timeout_s=settings.request_body_timeout_s)
    app.add_middleware(IngestionCORS, paths=[route.path for route in ingest.router.routes])  # type: ignore[attr-defined]
    return app
