"""Every route that takes a body reads it when it arrives chunked (``Transfer-Encoding: chunked``,
no ``Content-Length``), as streaming HTTP clients and proxies send it: never a 500.

The routes come from the OpenAPI document, so a new body-taking route is covered the day it exists.
Each gets a body it will accept or refuse on its merits; the assertion is only that the answer is
the route's own (not a 5xx), and, for the plan routes, that a valid chunked plan really lands.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from tests.conftest import ROOT

PLAN = (ROOT / "plans" / "ecommerce.yaml").read_bytes()


def _chunks(body: bytes, size: int = 97) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def _body_routes(client: TestClient) -> list[tuple[str, str, str]]:
    document = client.get("/openapi.json").json()
    routes = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                content = operation["requestBody"].get("content", {})
                routes.append((method.upper(), path, next(iter(content), "application/json")))
    return routes


def _fill(path: str) -> str:
    values = {"plan": "ecommerce", "source": "web", "event": "Order Completed"}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "x"), path)


def test_every_body_taking_route_reads_a_chunked_body(app_client: TestClient) -> None:
    created = app_client.post("/api/v1/plans", content=_chunks(PLAN), headers={"content-type": "application/yaml"})
    assert created.status_code == 201, created.text
    assert created.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in created.request.headers
    assert app_client.get("/api/v1/plans/ecommerce/draft").status_code == 200
    source = app_client.post("/api/v1/sources", content=_chunks(orjson.dumps({"name": "web", "plan": "ecommerce"})),
                             headers={"content-type": "application/json"})
    assert source.status_code == 201, source.text
    routes = _body_routes(app_client)
    assert len(routes) > 20
    answers: dict[str, int] = {}
    for method, path, content_type in routes:
        body: Any = PLAN if "yaml" in content_type else orjson.dumps({})
        headers = {"content-type": content_type, "if-match": "*"}
        if path.startswith("/v1/"):
            headers["authorization"] = "Basic d2tfbm9uZTo="
            body = orjson.dumps({"type": "track", "event": "x", "userId": "u"})
        response = app_client.request(method, _fill(path), content=_chunks(body), headers=headers)
        answers[f"{method} {path}"] = response.status_code
    server_errors = {route: status for route, status in answers.items() if status >= 500}
    assert server_errors == {}


@pytest.mark.parametrize("route", ["/api/v1/plans/import?format=segment", "/api/v1/plans/ecommerce/compatibility"])
def test_plan_documents_arrive_whole_when_chunked(app_client: TestClient, route: str) -> None:
    created = app_client.post("/api/v1/plans", content=PLAN, headers={"content-type": "application/yaml"})
    assert created.status_code == 201
    app_client.post("/api/v1/plans/ecommerce/versions", json={})
    body = PLAN if "compatibility" in route else orjson.dumps({"rules": {"events": []}})
    response = app_client.post(route, content=_chunks(body), headers={"content-type": "application/yaml" if
                               "compatibility" in route else "application/json"})
    assert response.status_code < 500, response.text
    if "compatibility" in route:
        assert response.json()["is_compatible"] is True
