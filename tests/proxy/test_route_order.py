"""Ingestion is matched first: FastAPI tries the app's routes in order, each included router over all of its
routes, so ingestion behind the admin API cost 5-8 µs an event (docs/operations/capacity.md, "Compiled hot path")."""

from __future__ import annotations

from typing import Any

from starlette.routing import Match

from governance.app import create_app
from tests.conftest import make_settings


def _first_match(routes: list[Any], path: str) -> int:
    scope = {"type": "http", "path": path, "method": "POST", "root_path": "", "headers": [], "query_string": b""}
    return next(i for i, route in enumerate(routes) if route.matches(dict(scope))[0] == Match.FULL)


def test_every_ingestion_path_is_matched_before_any_admin_route_and_the_batch_paths_first(sqlite_url: str) -> None:
    from governance.proxy.routes import BEACON_PATH, router

    app = create_app(make_settings(sqlite_url))
    try:
        admin = _first_match(app.router.routes, "/api/v1/sources")
        for path in ("/v1/batch", "/v1/b", BEACON_PATH, "/v1/track", "/v1/t", "/v1/identify", "/v1/validate"):
            assert _first_match(app.router.routes, path) < admin, path
        assert [route.path for route in router.routes[:3]] == ["/v1/batch", "/v1/b", BEACON_PATH]
    finally:
        app.state.engine.dispose()
