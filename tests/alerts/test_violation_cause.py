"""A violation-rate alert names its cause: events sent through the real proxy, judged by ``run_cycle``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import insert

from governance.db import writer
from governance.proxy.tables import EventSampleRow
from governance.worker.jobs import check_cycle
from tests.conftest import ADMIN_TOKEN, make_settings, wait_until

PLAN = {"name": "shop", "owner": "data@example.com", "events": {
    "Order Completed": {"owner": "checkout@example.com",
                        "properties": {"total": {"type": "number", "required": True}}}}}


def order(n: int, total: Any, app: str, library: str = "analytics-ios") -> dict[str, Any]:
    return {"type": "track", "event": "Order Completed", "userId": f"u{n}", "messageId": f"m{n}",
            "properties": {"total": total}, "context": {"app": {"version": app},
                                                        "library": {"name": library, "version": "4.1.0"}}}


def test_a_violation_rate_alert_names_fields_types_a_sample_the_plan_and_the_app_version(sqlite_url: str) -> None:
    from governance.app import create_app

    settings = make_settings(sqlite_url)
    with TestClient(create_app(settings), headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as client:
        assert client.post("/api/v1/plans", json=PLAN).status_code == 201
        assert client.post("/api/v1/plans/shop/versions").status_code == 201
        created = client.post("/api/v1/sources", json={"name": "ios", "plan": "shop"}).json()
        key, engine = created["write_key"], client.app.state.engine
        runtime = client.app.state.proxy.runtime
        assert wait_until(lambda: runtime.reload() is None and runtime.source_for_key(key) is not None, timeout=5)
        yesterday = datetime.now(UTC) - timedelta(hours=3)  # the day before: app 4.1.0 only
        with writer(engine).begin() as conn:
            conn.execute(insert(EventSampleRow), [
                {"source_id": created["id"], "kind": "track", "event": "Order Completed", "planned": True,
                 "received_at": yesterday, "payload": orjson.dumps(order(i, 10, "4.1.0")).decode()}
                for i in range(5)])
        good = [order(i, 12.5, "4.1.0") for i in range(60)]
        bad = [order(100 + i, "12.50", "4.2.0") for i in range(40)]
        answer = client.post("/v1/batch", json={"batch": good + bad}, auth=(key, ""), headers={"Authorization": ""})
        assert answer.status_code == 200
        report = check_cycle(engine, settings, datetime.now(UTC) + timedelta(minutes=1))
        assert report.errors == 0
        runs = client.get("/api/v1/checks", params={"source": "ios", "kind": "violation_rate"}).json()["data"]
        [rate] = [c for c in runs if c["kind"] == "violation_rate"]
        [run] = client.get(f"/api/v1/checks/{rate['id']}/runs").json()["data"]
    [finding] = [o["finding"] for o in run["observations"] if o["finding"]]
    details = finding["details"]
    assert details["top_violations"][0] == {"field": "properties.total", "type": "type_mismatch", "count": 40,
                                            "share": 1.0}
    assert details["plan_version"] == 1 and details["sample"] == {
        "message": "Invalid type. Expected: number, given: string", "plan_version": 1}
    assert details["top_app_versions"][0]["value"] == "4.2.0" and details["top_app_versions"][0]["new"] is True
    assert details["top_libraries"][0]["value"] == "analytics-ios 4.1.0"
    assert datetime.fromisoformat(details["onset"]) <= datetime.now(UTC)
    assert "mostly properties.total type_mismatch (100%)" in finding["message"]
    assert "started with app 4.2.0" in finding["message"] and "plan v1" in finding["message"]
