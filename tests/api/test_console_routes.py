"""The REST routes the console needs, tested as any script would call them: who am I, lint, the
plan a page at a time, export, list stats, events seen with "did you mean", series, shadow impact,
violation timelines, and who changed a draft on a 412."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import yaml

from tests.conftest import ADMIN_TOKEN, wait_until

ROOT = Path(__file__).resolve().parents[2]
ECOMMERCE = (ROOT / "plans" / "ecommerce.yaml").read_text()


def _publish_ecommerce(client) -> None:  # type: ignore[no-untyped-def]
    created = client.post("/api/v1/plans", content=ECOMMERCE, headers={"content-type": "application/yaml"})
    assert created.status_code == 201, created.text
    assert client.post("/api/v1/plans/ecommerce/versions", json={"message": "v1"}).status_code == 201


def _source(client, name: str, mode: str = "enforce") -> str:  # type: ignore[no-untyped-def]
    created = client.post("/api/v1/sources", json={"name": name, "plan": "ecommerce", "mode": mode})
    assert created.status_code == 201, created.text
    key = created.json()["write_key"]
    runtime = client.app.state.proxy.runtime
    assert wait_until(lambda: runtime.reload() is None and runtime.source_for_key(key) is not None, timeout=5)
    return str(key)


def _send(client, key: str, events: list[dict]) -> None:  # type: ignore[no-untyped-def]
    answer = client.post("/v1/batch", json={"batch": events}, auth=(key, ""), headers={"Authorization": ""})
    assert answer.status_code == 200, answer.text


def test_me_names_the_role_and_401_without_a_token(app_client) -> None:
    me = app_client.get("/api/v1/me").json()
    assert me["role"] == "admin" and me["roles"] == ["viewer", "editor", "admin"] and me["name"] == "bootstrap"
    viewer = app_client.post("/api/v1/tokens", json={"role": "viewer", "name": "ana"}).json()["token"]
    as_viewer = app_client.get("/api/v1/me", headers={"Authorization": f"Bearer {viewer}"}).json()
    assert as_viewer["role"] == "viewer" and as_viewer["roles"] == ["viewer"] and as_viewer["name"] == "ana"
    assert app_client.get("/api/v1/me", headers={"Authorization": ""}).json()["code"] == "unauthorized"


def test_lint_route_places_findings_on_paths_and_lines(app_client) -> None:
    text = ("name: shop\nevents:\n  Order Completed:\n    description: done\n"
            "  Completed Order:\n    description: dup\n    properties:\n      orderId: {type: string}\n")
    answer = app_client.post("/api/v1/plans/lint", content=text, headers={"content-type": "application/yaml"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    by_code = {i["code"]: i for i in body["issues"]}
    assert by_code["near_duplicate_event"]["path"] == 'events."Completed Order"'
    assert by_code["near_duplicate_event"]["line"] == 5 and by_code["near_duplicate_event"]["severity"] == "error"
    assert by_code["property_naming"]["path"] == 'events."Completed Order".properties.orderId'
    assert by_code["missing_description"]["line"] == 8
    assert body["errors"] == 1 and body["warnings"] == len(body["issues"]) - 1
    broken = app_client.post("/api/v1/plans/lint", content="name: shop\nevents:\n  A B:\n    colour: red\n",
                             headers={"content-type": "application/yaml"}).json()
    assert broken["issues"][0]["code"] == "invalid_plan" and broken["issues"][0]["line"] == 4
    as_json = app_client.post("/api/v1/plans/lint", json={"name": "shop", "events": {"x": {}}}).json()
    assert {i["code"] for i in as_json["issues"]} >= {"event_naming", "missing_description"}
    assert app_client.post("/api/v1/plans/lint", content=b"  ").json()["code"] == "invalid_body"
    surrogate = app_client.post("/api/v1/plans/lint", content=b'{"name": "shop", "events": {"\\udc80": {}}}',
                                headers={"content-type": "application/json"})
    assert surrogate.status_code == 200 and 'events."\\udc80"' in {i["path"] for i in surrogate.json()["issues"]}


def test_plan_events_are_filtered_and_paginated_with_facets(app_client) -> None:
    events = {f"Thing {i:04d} Viewed": {"description": f"thing {i}", "owner": f"team{i % 3}@example.com",
                                         "labels": {"area": "odd" if i % 2 else "even"}} for i in range(120)}
    assert app_client.post("/api/v1/plans", json={"name": "big", "events": events}).status_code == 201
    draft = app_client.get("/api/v1/plans/big/events", params={"version": "draft", "limit": 50}).json()
    assert draft["count"] == draft["total"] == 120 and len(draft["data"]) == 50 and draft["version"] is None
    assert draft["data"][0]["name"] == "Thing 0000 Viewed" and draft["data"][0]["spec"]["owner"] == "team0@example.com"
    assert {"value": "area:odd", "count": 60} in draft["facets"]["labels"]
    assert [o["value"] for o in draft["facets"]["owners"]] == [f"team{i}@example.com" for i in range(3)]
    second = app_client.get("/api/v1/plans/big/events", params={"version": "draft", "offset": 100}).json()
    assert second["data"][0]["name"] == "Thing 0100 Viewed" and len(second["data"]) == 20
    filtered = app_client.get("/api/v1/plans/big/events", params={
        "version": "draft", "q": "thing 001", "label": "area:odd", "owner": "team1@example.com"}).json()
    assert [e["name"] for e in filtered["data"]] == ["Thing 0013 Viewed", "Thing 0019 Viewed"]
    assert app_client.get("/api/v1/plans/big/events").json()["code"] == "version_not_found"  # nothing published
    assert app_client.post("/api/v1/plans/big/versions", json={}).status_code == 201
    latest = app_client.get("/api/v1/plans/big/events", params={"label": "area"}).json()
    assert latest["version"] == 1 and latest["count"] == 120
    assert app_client.get("/api/v1/plans/nope/events").status_code == 404


def test_outline_and_export_in_every_format(app_client) -> None:
    _publish_ecommerce(app_client)
    outline = app_client.get("/api/v1/plans/ecommerce/outline").json()
    assert outline["version"] == 1 and outline["events_count"] > 10 and "events" not in outline["document"]
    assert "email" in outline["document"]["identify"]["traits"] and "context" in outline["document"]["common"][
        "properties"]
    exported = app_client.get("/api/v1/plans/ecommerce/export", params={"format": "yaml"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("application/yaml")
    assert 'filename="ecommerce-v1.yaml"' in exported.headers["content-disposition"]
    assert yaml.safe_load(exported.text)["name"] == "ecommerce"
    bundle = app_client.get("/api/v1/plans/ecommerce/export", params={"format": "jsonschema", "version": "draft"})
    assert bundle.status_code == 200 and bundle.headers["content-type"] == "application/zip"
    assert "index.json" in zipfile.ZipFile(io.BytesIO(bundle.content)).namelist()
    segment = app_client.get("/api/v1/plans/ecommerce/export", params={"format": "segment"})
    assert segment.status_code == 200 and segment.headers["content-type"].startswith(("application/json",
                                                                                      "application/zip"))
    unknown = app_client.get("/api/v1/plans/ecommerce/export", params={"format": "excel"})
    assert unknown.status_code == 400 and unknown.json()["code"] == "invalid_body"


def test_list_stats_for_plans_and_sources(app_client) -> None:
    _publish_ecommerce(app_client)
    key = _source(app_client, "web")
    _send(app_client, key, [{"type": "track", "event": "Order Completed", "userId": "u", "messageId": "m1",
                             "properties": {"order_id": "o", "total": "12"}}])
    plans = app_client.get("/api/v1/plans", params={"stats": "true"}).json()["data"]
    stats = plans[0]["stats"]
    assert stats["bound_sources"] == ["web"] and stats["draft_differs"] is False and stats["events"] > 10
    assert stats["violations_24h"] >= 1
    assert app_client.get("/api/v1/plans").json()["data"][0]["stats"] is None
    sources = app_client.get("/api/v1/sources", params={"stats": "true"}).json()["data"]
    assert sources[0]["stats"]["plan_name"] == "ecommerce" and sources[0]["stats"]["events_24h"] == 1
    assert sources[0]["stats"]["outbox_depth"] == 1 and sources[0]["stats"]["outbox_oldest_s"] >= 0
    draft = app_client.get("/api/v1/plans/ecommerce/draft")
    body = draft.json()
    body["description"] = "changed"
    assert app_client.put("/api/v1/plans/ecommerce/draft", json=body,
                          headers={"If-Match": draft.headers["etag"]}).status_code == 200
    assert app_client.get("/api/v1/plans?stats=true").json()["data"][0]["stats"]["draft_differs"] is True


def test_events_seen_say_did_you_mean_and_last_seen(app_client) -> None:
    _publish_ecommerce(app_client)
    key = _source(app_client, "android")
    _send(app_client, key, [{"type": "track", "event": "Completed Order", "userId": "u", "messageId": "m1"}])
    seen = app_client.get("/api/v1/sources/android/events").json()["data"]
    entry = next(e for e in seen if e["event"] == "Completed Order")
    assert entry["planned"] is False and entry["suggestion"] == "Order Completed"
    assert entry["last_seen"].startswith(time.strftime("%Y-%m-%d", time.gmtime()))


def test_series_sum_to_the_window_counts_and_shadow_impact(app_client) -> None:
    _publish_ecommerce(app_client)
    key = _source(app_client, "shadowed", mode="shadow")
    app_client.patch("/api/v1/sources/shadowed/settings", json={"track": {
        "allowUnplannedEvents": False, "allowEventOnViolations": False}})
    app_client.app.state.proxy.runtime.reload()
    _send(app_client, key, [
        {"type": "track", "event": "Completed Order", "userId": "u", "messageId": "a"},
        {"type": "track", "event": "Order Completed", "userId": "u", "messageId": "b",
         "properties": {"order_id": "o", "total": -1}},
        {"type": "track", "event": "Order Completed", "userId": "u", "messageId": "c",
         "properties": {"order_id": "o", "total": 3}},
    ])
    for window, step, points in (("1h", "minute", 60), ("24h", "hour", 24), ("7d", "hour", 168)):
        body = app_client.get("/api/v1/sources/shadowed/series", params={"window": window}).json()
        assert body["step"] == step and len(body["t"]) in (points, points + 1)
        assert all(len(v) == len(body["t"]) for v in body["outcomes"].values())
        counted = app_client.get("/api/v1/sources/shadowed/events", params={"window": window}).json()["total"]
        assert sum(sum(v) for v in body["outcomes"].values()) == counted == 3
        grouped = app_client.get("/api/v1/sources/shadowed/violations", params={"window": window}).json()["data"]
        assert sum(body["violations"]) == sum(g["count"] for g in grouped) > 0
    minutes = app_client.get("/api/v1/sources/shadowed/series", params={"window": "24h", "step": "minute",
                                                                        "event": "Order Completed"}).json()
    assert minutes["step_s"] == 60 and sum(sum(v) for v in minutes["outcomes"].values()) == 2
    assert app_client.get("/api/v1/sources/shadowed/series", params={"window": "2h"}).status_code == 422
    impact = app_client.get("/api/v1/sources/shadowed/shadow-impact", params={"window": "1h"}).json()
    assert impact["mode"] == "shadow" and impact["totals"]["events"] == 3
    by_event = {r["event"]: r for r in impact["data"]}
    assert by_event["Completed Order"]["would_block"] == 1 and not by_event["Completed Order"]["planned"]
    assert by_event["Completed Order"]["reasons"][0]["reason"] == "unplanned_event"
    assert by_event["Order Completed"]["would_block"] == 1 and by_event["Order Completed"]["total"] == 2
    assert {"reason": "range", "field": "properties.total", "count": 1} in by_event["Order Completed"]["reasons"]


def test_violation_groups_carry_first_last_seen_and_a_sparkline(app_client) -> None:
    _publish_ecommerce(app_client)
    key = _source(app_client, "web")
    _send(app_client, key, [{"type": "track", "event": "Order Completed", "userId": "u", "messageId": f"m{i}",
                             "properties": {"order_id": "o", "total": "x"}} for i in range(3)])
    groups = app_client.get("/api/v1/sources/web/violations", params={"window": "1h"}).json()["data"]
    group = next(g for g in groups if g["type"] == "type_mismatch")
    assert group["count"] == 3 and sum(group["series"]) == 3 and len(group["series"]) >= 60
    assert group["first_seen"] <= group["last_seen"] and group["samples"][0]["payload"]["properties"]["total"] == "x"


def test_a_stale_draft_edit_says_who_changed_it(app_client) -> None:
    assert app_client.post("/api/v1/plans", json={"name": "shop"}).status_code == 201
    editor = app_client.post("/api/v1/tokens", json={"role": "editor", "name": "maria"}).json()
    stale = app_client.get("/api/v1/plans/shop/draft").headers["etag"]
    changed = app_client.put("/api/v1/plans/shop/draft", json={"name": "shop", "description": "by maria"},
                             headers={"If-Match": stale, "Authorization": f"Bearer {editor['token']}"})
    assert changed.status_code == 200
    refused = app_client.put("/api/v1/plans/shop/draft", json={"name": "shop"},
                             headers={"If-Match": stale, "Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert refused.status_code == 412 and refused.json()["code"] == "etag_mismatch"
    details = refused.json()["details"]
    assert details["changed_by"] == f"token:{editor['id']}" and details["changed_by_name"] == "maria"
    assert details["action"] == "draft.replace" and details["etag"] == changed.headers["etag"]
