"""Strict inputs over REST, on SQLite and PostgreSQL: one test per rule of issue 8.

Duplicate keys, unknown keys, bad version refs, rollback judged like a publish, empty imports,
and an inferred plan that counts the samples it cannot read.
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest
from sqlmodel import Session

from governance.proxy.tables import EventSampleRow

PEER = Path(os.environ.get("GOVERNANCE_PEER_DATA") or Path(__file__).resolve().parents[3] / "shared" / "peer-data")
SHOP = {"name": "shop", "events": {"Order Completed": {"properties": {
    "order_id": {"type": "string", "required": True}, "total": {"type": "number"}}}}}
DUPLICATED = b"""{
  "name": "shop",
  "events": {"Order Completed": {"properties": {
    "total": {"type": "strng",
              "type": "number"}}}}
}"""


def _etag(client) -> str:  # type: ignore[no-untyped-def]
    return client.get("/api/v1/plans/shop/draft").headers["etag"]


def _detail(response) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == 422, response.text
    return response.json()["details"][0]


def test_duplicate_keys_in_plan_documents_are_refused_with_both_lines(app_client) -> None:
    created = app_client.post("/api/v1/plans", content=DUPLICATED, headers={"content-type": "application/json"})
    body = created.json()
    assert created.status_code == 422 and body["code"] == "plan_invalid"
    assert body["details"] == [{"path": 'events."Order Completed".properties.total.type',
                                "message": "duplicate key 'type': first at line 4, again at line 5",
                                "line": 5, "file": None}]
    assert app_client.get("/api/v1/plans/shop").status_code == 404  # nothing stored
    assert app_client.post("/api/v1/plans", json=SHOP).status_code == 201
    as_yaml = b"name: shop\nevents:\n  Order Completed: {}\n  Order Completed: {description: x}\n"
    for method, path, extra in [("PUT", "/api/v1/plans/shop/draft", {"If-Match": _etag(app_client)}),
                                ("POST", "/api/v1/plans/shop/compatibility", {})]:
        refused = app_client.request(method, path, content=as_yaml, headers={"content-type": "application/yaml",
                                                                               **extra})
        assert _detail(refused) == {"path": 'events."Order Completed"', "line": 4, "file": None,
                                    "message": "duplicate key 'Order Completed': first at line 3, again at line 4"}
    event = app_client.put("/api/v1/plans/shop/draft/events/Signed%20Up", content=b'{"owner": "a", "owner": "b"}',
                           headers={"If-Match": _etag(app_client), "content-type": "application/json"})
    assert _detail(event)["path"] == "owner"
    imported = app_client.post("/api/v1/plans/import", params={"format": "segment"},
                               content=b'{"rules": [], "rules": [{"type": "TRACK", "key": "A"}]}')
    assert imported.status_code == 400 and imported.json()["code"] == "invalid_body"
    assert "duplicate key 'rules'" in imported.json()["message"]


@pytest.mark.parametrize(("method", "path", "body", "where"), [
    ("PATCH", "/api/v1/plans/shop", {"colour": "red"}, "colour"),
    ("POST", "/api/v1/plans/shop/versions", {"mesage": "first"}, "mesage"),
    ("POST", "/api/v1/plans/shop/rollback", {"version": 1, "force": True}, "force"),
    ("POST", "/api/v1/sources", {"name": "web", "settings": {"track": {"allowUnplanedEvents": False}}},
     "settings.track.allowUnplanedEvents"),
    ("PATCH", "/api/v1/sources/web/settings", {"track": {"allowX": True}}, "track.allowX"),
    ("PATCH", "/api/v1/sources/web", {"upstream": "https://x.example"}, "upstream"),
    ("POST", "/api/v1/sources/web/transformations", {"name": "t", "action": "drop_event", "iff": {}}, "iff"),
    ("POST", "/api/v1/tokens", {"role": "viewer", "scope": "all"}, "scope"),
    ("POST", "/api/v1/quarantine/replay", {"limt": 5}, "limt"),
    ("POST", "/api/v1/alert-rules", {"name": "r", "channels": ["x"], "matchers": {"sevrity": "info"}},
     "matchers.sevrity"),
])
def test_unknown_keys_are_refused_with_their_path(app_client, method: str, path: str, body: dict,
                                                  where: str) -> None:
    assert app_client.post("/api/v1/plans", json=SHOP).status_code == 201
    assert app_client.post("/api/v1/sources", json={"name": "web"}).status_code == 201
    response = app_client.request(method, path, json=body)
    assert response.json()["code"] == "validation_failed"
    assert _detail(response) == {"path": where, "message": "unknown key"}
    assert response.json()["message"] == f"{where}: unknown key"
    assert app_client.get("/api/v1/plans/shop").json()["latest_version"] == 0  # nothing happened


def test_unknown_transformation_params_and_channel_config_are_refused(app_client) -> None:
    assert app_client.post("/api/v1/sources", json={"name": "web"}).status_code == 201
    bad = app_client.post("/api/v1/sources/web/transformations", json={
        "name": "t", "action": "rename_event", "params": {"to": "B", "form": "A"}})
    assert bad.status_code == 422 and "unknown: ['form']" in bad.json()["message"]
    channel = app_client.post("/api/v1/alert-channels", json={"name": "c", "kind": "webhook", "config": {
        "url": "https://hooks.example/x", "secrte": "s"}})
    assert _detail(channel)["path"] == "config.secrte"


@pytest.mark.parametrize("ref", ["-1", "abc", "0", "1.5", "\u00b2", "99999999999999999999"])
def test_a_bad_version_ref_says_so(app_client, ref: str) -> None:
    assert app_client.post("/api/v1/plans", json=SHOP).status_code == 201
    assert app_client.post("/api/v1/plans/shop/versions", json={}).status_code == 201
    for path in (f"/api/v1/plans/shop/versions/{ref}", f"/api/v1/plans/shop/versions/{ref}/schemas"):
        response = app_client.get(path)
        assert response.status_code == 400 and response.json()["code"] == "invalid_version_ref"
        assert repr(ref) in response.json()["message"] and "no version" not in response.json()["message"]
    diff = app_client.get("/api/v1/plans/shop/diff", params={"from": "1", "to": ref})
    assert diff.json()["code"] == "invalid_version_ref" and diff.json()["details"][0]["path"] == "to"
    assert "'draft'" in diff.json()["message"]
    # well-formed refs to versions that do not exist are still a 404
    assert app_client.get("/api/v1/plans/shop/versions/7").json()["code"] == "version_not_found"
    assert app_client.get("/api/v1/plans/shop/versions/latest").json()["version"] == 1


def test_rollback_is_judged_like_a_publish_and_keeps_its_message(app_client) -> None:
    assert app_client.post("/api/v1/plans", json={"name": "shop", "events": {"Order Completed": {}}}).status_code \
        == 201
    assert app_client.post("/api/v1/plans/shop/versions", json={"message": "v1"}).status_code == 201
    required = {"name": "shop", "events": {"Order Completed": {"properties": {
        "order_id": {"type": "string", "required": True}}}}}
    assert app_client.put("/api/v1/plans/shop/draft", json=required,
                          headers={"If-Match": _etag(app_client)}).status_code == 200
    assert app_client.patch("/api/v1/plans/shop", json={"compatibility": "FORWARD"}).status_code == 200
    assert app_client.post("/api/v1/plans/shop/versions", json={}).status_code == 201  # adding required: FORWARD ok
    # back to version 1 drops a required property: not FORWARD-compatible with version 2
    refused = app_client.post("/api/v1/plans/shop/rollback", json={"version": 1, "message": "undo"})
    assert refused.status_code == 409, refused.text
    error = refused.json()
    assert error["code"] == "incompatible_plan" and error["message"].startswith("rollback to version 1 refused")
    assert "allow_breaking" in error["message"]
    assert error["details"]["against_version"] == 2 and error["details"]["changes"]
    assert app_client.get("/api/v1/plans/shop").json()["latest_version"] == 2
    forced = app_client.post("/api/v1/plans/shop/rollback", json={"version": 1, "message": "undo the required id",
                                                                  "allow_breaking": True})
    assert forced.status_code == 201, forced.text
    version = forced.json()
    assert (version["version"], version["rollback_of"], version["message"]) == (3, 1, "undo the required id")
    assert version["category"] == "breaking"
    # without a message the default names the version
    assert app_client.patch("/api/v1/plans/shop", json={"compatibility": "NONE"}).status_code == 200
    again = app_client.post("/api/v1/plans/shop/rollback", json={"version": 2}).json()
    assert again["message"] == "rollback to version 2"


def test_a_lone_rudderstack_tracking_plan_imports_nothing_and_says_so(app_client) -> None:
    lone = PEER / "rudderstack" / "create" / "trackingplan.yaml"
    if not lone.exists():
        pytest.skip("shared/peer-data is not beside the checkout")
    response = app_client.post("/api/v1/plans/import", params={"format": "rudderstack"}, content=lone.read_bytes(),
                               headers={"content-type": "application/yaml"})
    assert response.status_code == 422 and response.json()["code"] == "nothing_imported"
    assert len(response.json()["details"]) == 3
    assert app_client.get("/api/v1/plans").json()["count"] == 0


def test_segment_import_over_rest_keeps_the_plan_name(app_client) -> None:
    body = {"data": {"trackingPlan": {"name": "Mobile App (iOS)"}, "rules": [
        {"type": "TRACK", "key": "Order Completed", "version": 1, "jsonSchema": {}}]}}
    response = app_client.post("/api/v1/plans/import", params={"format": "segment"}, content=orjson.dumps(body))
    assert response.status_code == 201, response.text
    assert response.json()["plan"]["name"] == "mobile-app-ios"
    assert response.json()["plan"]["display_name"] == "Mobile App (iOS)"


def test_inferred_plan_counts_samples_it_cannot_read(app_client) -> None:
    source = app_client.post("/api/v1/sources", json={"name": "web"}).json()
    good = {"type": "track", "event": "Signup Started", "properties": {"planName": "pro"}}
    with Session(app_client.app.state.engine) as session:
        for payload in (orjson.dumps(good).decode(), '{"type": "track", "event": "Sig', orjson.dumps(good).decode()):
            session.add(EventSampleRow(source_id=source["id"], kind="track", event="Signup Started", payload=payload))
        session.commit()
    inferred = app_client.get("/api/v1/sources/web/inferred-plan")
    assert inferred.status_code == 200, inferred.text
    report = inferred.json()["report"]
    assert inferred.json()["samples"] == 3 and report["invalid_lines"] == 1 and report["messages"] == 2
    assert inferred.json()["plan"]["naming"] == {"properties": "camelCase"}
