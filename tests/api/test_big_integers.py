"""Integers beyond 64 bits anywhere in a request body (typed fields and free-form params alike) are
refused with 422 and their path, never stored, never a 500: JSON columns and the audit log hold 64
bits, and version numbers are 32-bit INTEGER columns on PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ROOT

BIG = 2**64 + 1


def _setup(client: TestClient) -> None:
    plan = (ROOT / "plans" / "ecommerce.yaml").read_bytes()
    assert client.post("/api/v1/plans", content=plan, headers={"content-type": "application/yaml"}).status_code == 201
    assert client.post("/api/v1/plans/ecommerce/versions", json={}).status_code == 201
    assert client.post("/api/v1/sources", json={"name": "web", "plan": "ecommerce"}).status_code == 201


@pytest.mark.parametrize(("method", "path", "body", "where"), [
    ("PATCH", "/api/v1/sources/web", {"plan_version": BIG}, "plan_version"),
    ("PATCH", "/api/v1/sources/web", {"plan_version": 2**40}, "plan_version"),
    ("POST", "/api/v1/plans/ecommerce/rollback", {"version": 2**40}, "version"),
    ("POST", "/api/v1/checks", {"kind": "volume", "source": "web", "event": "Order Completed",
                                "params": {"min_per_hour": BIG}}, "params.min_per_hour"),
    ("POST", "/api/v1/checks", {"kind": "volume", "source": "web", "for": 2**40}, "for"),
    ("POST", "/api/v1/alert-rules", {"name": "r", "channels": ["x"], "matchers": {"n": [BIG]}}, "matchers.n.0"),
])
def test_integers_out_of_range_are_422_with_their_path(app_client: TestClient, method: str, path: str,
                                                       body: dict[str, object], where: str) -> None:
    _setup(app_client)
    response = app_client.request(method, path, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_failed"
    assert where in response.text
    assert app_client.get("/api/v1/audit").status_code == 200  # nothing half-written broke the log
