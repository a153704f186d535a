"""Importing plans and inferring a plan from traffic over the REST API."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

PEER = Path(os.environ.get("GOVERNANCE_PEER_DATA") or Path(__file__).resolve().parents[3] / "shared" / "peer-data")


def test_import_creates_then_updates_a_draft(app_client) -> None:
    source = PEER / "segment" / "typewriter-plan-config-api-v1.json"
    if not source.exists():
        pytest.skip("shared/peer-data is not beside the checkout")
    created = app_client.post("/api/v1/plans/import", params={"format": "segment", "name": "imported"},
                              content=source.read_bytes(), headers={"content-type": "application/json"})
    assert created.status_code == 201, created.text
    assert created.json()["created"] is True and created.json()["plan"]["name"] == "imported"
    assert isinstance(created.json()["report"], list)
    draft = app_client.get("/api/v1/plans/imported/draft").json()
    assert draft["events"]
    again = app_client.post("/api/v1/plans/import", params={"format": "segment", "name": "imported"},
                            content=source.read_bytes())
    assert again.status_code == 200 and again.json()["created"] is False
    assert app_client.post("/api/v1/plans/imported/versions").status_code == 201


def test_import_errors_are_4xx(app_client) -> None:
    unknown = app_client.post("/api/v1/plans/import", params={"format": "avo"}, content=b"{}")
    assert unknown.status_code == 400 and unknown.json()["code"] == "invalid_body"
    truncated = app_client.post("/api/v1/plans/import", params={"format": "segment"}, content=b'{"rules": {"ev')
    assert 400 <= truncated.status_code < 500


def test_inferred_plan_from_a_sources_samples(app_client) -> None:
    assert app_client.post("/api/v1/sources", json={"name": "web", "mode": "shadow"}).status_code == 201
    source = app_client.get("/api/v1/sources/web").json()
    key = app_client.post(f"/api/v1/sources/{source['id']}/write-keys").json()["write_key"]
    app_client.app.state.proxy.runtime.reload()
    batch = [{"type": "track", "event": "Signup Started", "userId": f"u{i}", "messageId": f"m{i}",
              "properties": {"plan": "pro" if i % 2 else "free", "email": f"u{i}@example.com", "seats": i}}
             for i in range(8)]
    assert app_client.post("/v1/batch", json={"batch": batch}, auth=(key, "")).status_code == 200
    inferred = app_client.get("/api/v1/sources/web/inferred-plan").json()
    assert inferred["samples"] == 8
    props = inferred["plan"]["events"]["Signup Started"]["properties"]
    assert props["email"]["format"] == "email" and props["seats"]["type"] == "integer"
    as_yaml = app_client.get("/api/v1/sources/web/inferred-plan", params={"format": "yaml"})
    assert yaml.safe_load(as_yaml.text)["events"]["Signup Started"]
