"""The plans REST API over a real database, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session, select

from governance.registry.tables import AuditRow, PlanRow, PlanVersionRow
from tests.conftest import ROOT

SHOP = {
    "name": "shop",
    "events": {
        "Order Completed": {
            "description": "An order was completed",
            "properties": {
                "order_id": {"type": "string", "required": True},
                "total": {"type": "number", "minimum": 0},
                "currency": {"type": "string", "enum": ["USD", "EUR"]},
            },
        }
    },
}


def create(client, body=SHOP) -> dict:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/plans", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def draft_etag(client, plan: str = "shop") -> str:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/plans/{plan}/draft")
    assert response.status_code == 200
    return response.headers["etag"]


def publish(client, plan: str = "shop", **body):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/plans/{plan}/versions", json=body)


def test_create_publish_and_read_versions(app_client) -> None:
    plan = create(app_client)
    assert plan["name"] == "shop" and plan["latest_version"] == 0
    first = publish(app_client, message="first")
    assert first.status_code == 201, first.text
    assert first.json()["version"] == 1 and len(first.json()["content_hash"]) == 64
    # identical draft: nothing to publish
    again = publish(app_client)
    assert again.status_code == 409 and again.json()["code"] == "nothing_to_publish"
    # an optional property is additive and publishes under BACKWARD
    body = {**SHOP, "events": {"Order Completed": {**SHOP["events"]["Order Completed"]}}}
    body["events"]["Order Completed"]["properties"] = {
        **SHOP["events"]["Order Completed"]["properties"], "coupon": {"type": "string"}}
    put = app_client.put("/api/v1/plans/shop/draft", json=body, headers={"If-Match": draft_etag(app_client)})
    assert put.status_code == 200, put.text
    second = publish(app_client)
    assert second.status_code == 201, second.text
    assert second.json()["category"] == "additive"
    versions = app_client.get("/api/v1/plans/shop/versions").json()
    assert versions["count"] == 2 and [v["version"] for v in versions["data"]] == [2, 1]
    latest = app_client.get("/api/v1/plans/shop/versions/latest").json()
    assert "coupon" in latest["body"]["events"]["Order Completed"]["properties"]
    schemas = app_client.get("/api/v1/plans/shop/versions/2/schemas").json()
    keys = {(s["kind"], s["event"], s["event_version"]) for s in schemas["schemas"]}
    assert ("track", "Order Completed", 1) in keys and ("common", "", 0) in keys
    track = next(s for s in schemas["schemas"] if s["kind"] == "track")["schema"]
    assert track["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    diff = app_client.get("/api/v1/plans/shop/diff", params={"from": "1", "to": "2"}).json()
    assert diff["category"] == "additive"
    assert any("coupon" in c["path"] for c in diff["changes"])


def test_breaking_publish_is_refused_with_the_changes(app_client) -> None:
    create(app_client)
    assert publish(app_client).status_code == 201
    body = {"name": "shop", "events": {"Order Completed": {"properties": {
        "order_id": {"type": "string", "required": True}, "total": {"type": "integer", "minimum": 0},
        "currency": {"type": "string", "enum": ["USD", "EUR"]}}}}}
    assert app_client.put("/api/v1/plans/shop/draft", json=body,
                          headers={"If-Match": draft_etag(app_client)}).status_code == 200
    refused = publish(app_client)
    assert refused.status_code == 409
    error = refused.json()
    assert error["code"] == "incompatible_plan"
    assert any(c["kind"].startswith("type_") and "total" in c["path"] for c in error["details"]["changes"])
    assert app_client.get("/api/v1/plans/shop").json()["latest_version"] == 1
    # the compatibility check endpoint says the same without publishing
    report = app_client.post("/api/v1/plans/shop/compatibility", json=body).json()
    assert report["is_compatible"] is False
    # the operator may force it; then roll back to version 1 as version 3
    forced = publish(app_client, allow_breaking=True)
    assert forced.status_code == 201 and forced.json()["category"] == "breaking"
    rolled = app_client.post("/api/v1/plans/shop/rollback", json={"version": 1})
    assert rolled.status_code == 201, rolled.text
    assert rolled.json()["version"] == 3 and rolled.json()["rollback_of"] == 1
    v1 = app_client.get("/api/v1/plans/shop/versions/1").json()
    assert rolled.json()["content_hash"] == v1["content_hash"]


def test_mode_none_allows_breaking_changes(app_client) -> None:
    create(app_client)
    assert app_client.patch("/api/v1/plans/shop", json={"compatibility": "NONE"}).status_code == 200
    assert publish(app_client).status_code == 201
    body = {"name": "shop", "events": {}}
    assert app_client.put("/api/v1/plans/shop/draft", json=body,
                          headers={"If-Match": draft_etag(app_client)}).status_code == 200
    assert publish(app_client).status_code == 201


def test_etag_preconditions(app_client) -> None:
    create(app_client)
    etag = draft_etag(app_client)
    missing = app_client.put("/api/v1/plans/shop/draft", json=SHOP)
    assert missing.status_code == 428 and missing.json()["code"] == "if_match_required"
    ok = app_client.put("/api/v1/plans/shop/draft", json=SHOP, headers={"If-Match": etag})
    assert ok.status_code == 200 and ok.headers["etag"] != etag
    stale = app_client.put("/api/v1/plans/shop/draft", json=SHOP, headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.json()["code"] == "etag_mismatch"


def test_event_upsert_and_delete_in_draft(app_client) -> None:
    create(app_client)
    spec = {"description": "x", "properties": {"coupon_id": {"type": "string", "required": True}}}
    response = app_client.put("/api/v1/plans/shop/draft/events/Coupon Applied", json=spec,
                              headers={"If-Match": draft_etag(app_client)})
    assert response.status_code == 200, response.text
    draft = app_client.get("/api/v1/plans/shop/draft").json()
    assert set(draft["events"]) == {"Order Completed", "Coupon Applied"}
    deleted = app_client.delete("/api/v1/plans/shop/draft/events/Coupon Applied",
                                headers={"If-Match": draft_etag(app_client)})
    assert deleted.status_code == 204
    assert set(app_client.get("/api/v1/plans/shop/draft").json()["events"]) == {"Order Completed"}


@pytest.mark.parametrize(
    ("body", "content_type", "path_fragment"),
    [
        (b"name: shop\nevents: [unclosed", "application/yaml", ""),
        (b'{"name": "shop", "events": {', "application/json", ""),
        (b'{"name": "shop", "evnets": {}}', "application/json", "evnets"),
        (b'{"name": "shop", "events": {"A B": {"properties": {"x": {"type": "string", "pattern": "(?=a)b"}}}}}',
         "application/json", 'events."A B".properties.x'),
        (b'{"name": "shop", "events": {"A B": {"properties": {"x": {"schema": {"type": 12}}}}}}',
         "application/json", 'events."A B"'),
        (b'{"name": "shop", "events": {"A B": {"properties": {"total": {"minimum": "zero"}}}}}',
         "application/json", 'events."A B".properties.total.minimum'),
    ],
)
def test_bad_plan_documents_get_a_4xx_with_a_path_and_change_nothing(
    app_client, body: bytes, content_type: str, path_fragment: str
) -> None:
    create(app_client)
    etag = draft_etag(app_client)
    before = app_client.get("/api/v1/plans/shop/draft").json()
    response = app_client.put("/api/v1/plans/shop/draft", content=body,
                              headers={"If-Match": etag, "content-type": content_type})
    assert 400 <= response.status_code < 500, response.text
    error = response.json()
    assert error["code"] in {"plan_invalid", "invalid_body"}
    if path_fragment:
        assert path_fragment in str(error.get("details")) + error["message"]
    assert app_client.get("/api/v1/plans/shop/draft").json() == before
    assert draft_etag(app_client) == etag


def test_huge_and_deep_bodies_are_refused(app_client) -> None:
    create(app_client)
    etag = draft_etag(app_client)
    huge = b'{"name": "shop", "description": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    response = app_client.put("/api/v1/plans/shop/draft", content=huge,
                              headers={"If-Match": etag, "content-type": "application/json"})
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"
    deep = b'{"name": "shop", "x": ' + b"[" * 3000 + b"]" * 3000 + b"}"
    response = app_client.put("/api/v1/plans/shop/draft", content=deep,
                              headers={"If-Match": etag, "content-type": "application/json"})
    assert response.status_code in (400, 422) and response.json()["code"] in {"invalid_body", "plan_invalid"}
    deep_yaml = b"name: shop\nx: " + b"[" * 3000 + b"]" * 3000
    response = app_client.put("/api/v1/plans/shop/draft", content=deep_yaml,
                              headers={"If-Match": etag, "content-type": "application/yaml"})
    assert response.status_code in (400, 422)
    # a deep body on a pydantic-typed route is a 4xx too, never a 500
    response = app_client.post("/api/v1/sources", content=b'{"name": ' + b"[" * 3000 + b"]" * 3000 + b"}",
                               headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500
    assert draft_etag(app_client) == etag


def test_soft_then_hard_delete_and_plan_in_use(app_client) -> None:
    create(app_client)
    source = app_client.post("/api/v1/sources", json={"name": "web", "plan": "shop"})
    assert source.status_code == 201, source.text
    assert app_client.delete("/api/v1/plans/shop").status_code == 204
    assert app_client.get("/api/v1/plans/shop").status_code == 404
    listed = app_client.get("/api/v1/plans", params={"include_deleted": True}).json()
    assert [p["name"] for p in listed["data"]] == ["shop"]
    in_use = app_client.delete("/api/v1/plans/shop", params={"permanent": True})
    assert in_use.status_code == 409 and in_use.json()["code"] == "plan_in_use"
    assert app_client.delete("/api/v1/sources/web").status_code == 204
    assert app_client.delete("/api/v1/plans/shop", params={"permanent": True}).status_code == 204
    assert app_client.get("/api/v1/plans", params={"include_deleted": True}).json()["count"] == 0


def test_every_mutation_writes_an_audit_row(app_client) -> None:
    create(app_client)
    publish(app_client)
    app_client.patch("/api/v1/plans/shop", json={"description": "d"})
    actions = [row["action"] for row in app_client.get("/api/v1/audit").json()["data"]]
    assert actions[:3] == ["plan.update", "plan.publish", "plan.create"]


def test_pagination(app_client) -> None:
    for i in range(7):
        create(app_client, {"name": f"plan{i}"})
    page = app_client.get("/api/v1/plans", params={"limit": 3, "offset": 3}).json()
    assert page["count"] == 7 and [p["name"] for p in page["data"]] == ["plan3", "plan4", "plan5"]
    assert app_client.get("/api/v1/plans", params={"limit": 0}).status_code == 422


def _engine(client):  # type: ignore[no-untyped-def]
    return client.app.state.engine


def test_concurrent_publishes_make_exactly_one_version(app_client) -> None:
    create(app_client)
    barrier = threading.Barrier(8)

    def go(_: int) -> int:
        barrier.wait()
        return publish(app_client).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(go, range(8)))
    assert sorted(codes).count(201) == 1, codes
    assert all(code in (201, 409) for code in codes), codes
    with Session(_engine(app_client)) as session:
        assert len(session.exec(select(PlanVersionRow)).all()) == 1
        publishes = session.exec(select(AuditRow).where(AuditRow.action == "plan.publish")).all()
        assert len(publishes) == 1


def test_concurrent_draft_edits_with_one_etag_have_one_winner(app_client) -> None:
    create(app_client)
    etag = draft_etag(app_client)
    barrier = threading.Barrier(8)

    def go(i: int) -> int:
        body = {**SHOP, "description": f"edit {i}"}
        barrier.wait()
        return app_client.put("/api/v1/plans/shop/draft", json=body, headers={"If-Match": etag}).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(go, range(8)))
    assert codes.count(200) == 1 and codes.count(412) == 7, codes
    with Session(_engine(app_client)) as session:
        assert session.exec(select(PlanRow)).one().draft_revision == 2


def test_auth_roles(app_client) -> None:
    viewer = app_client.post("/api/v1/tokens", json={"role": "viewer"}).json()["token"]
    editor = app_client.post("/api/v1/tokens", json={"role": "editor"}).json()["token"]
    anonymous = app_client.get("/api/v1/plans", headers={"Authorization": ""})
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthorized"
    bad = app_client.get("/api/v1/plans", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    as_viewer = {"Authorization": f"Bearer {viewer}"}
    assert app_client.get("/api/v1/plans", headers=as_viewer).status_code == 200
    denied = app_client.post("/api/v1/plans", json=SHOP, headers=as_viewer)
    assert denied.status_code == 403 and denied.json()["code"] == "forbidden"
    as_editor = {"Authorization": f"Bearer {editor}"}
    assert app_client.post("/api/v1/plans", json=SHOP, headers=as_editor).status_code == 201
    assert app_client.get("/api/v1/tokens", headers=as_editor).status_code == 403
    tokens = app_client.get("/api/v1/tokens").json()
    assert tokens["count"] == 3 and len(tokens["data"]) == 3  # bootstrap, viewer, editor: {data, count}
    assert all("token" not in t and "token_hash" not in t for t in tokens["data"])
    second = app_client.get("/api/v1/tokens", params={"limit": 1, "offset": 1}).json()
    assert second["count"] == 3 and [t["role"] for t in second["data"]] == ["viewer"]


def test_unknown_routes_and_methods_use_the_error_shape(app_client) -> None:
    missing = app_client.get("/api/v1/plans/nope")
    assert missing.status_code == 404 and missing.json()["code"] == "plan_not_found"
    assert app_client.get("/api/v1/nothing-here").json()["code"] == "not_found"


def test_unicode_digits_in_version_references_are_a_4xx(app_client) -> None:
    create(app_client)
    response = app_client.get("/api/v1/plans/shop/diff", params={"from": "\u00b9"})  # "¹".isdigit() is True
    assert response.status_code == 400 and response.json()["code"] == "invalid_version_ref"
    assert response.json()["details"][0]["path"] == "from"
    assert app_client.get("/api/v1/plans/shop/versions/\u00b2").json()["code"] == "invalid_version_ref"


def test_a_diff_or_compatibility_without_changes_answers_category_none(app_client) -> None:  # type: ignore[no-untyped-def]
    plan = (ROOT / "plans" / "ecommerce.yaml").read_bytes()
    created = app_client.post("/api/v1/plans", content=plan, headers={"content-type": "application/yaml"})
    assert created.status_code == 201
    assert app_client.post("/api/v1/plans/ecommerce/versions", json={}).status_code == 201
    diff = app_client.get("/api/v1/plans/ecommerce/diff", params={"from": "latest", "to": "draft"})
    assert diff.status_code == 200 and diff.json()["category"] == "none" and diff.json()["changes"] == []
    same = app_client.post("/api/v1/plans/ecommerce/compatibility", content=plan,
                           headers={"content-type": "application/yaml"})
    assert same.status_code == 200 and same.json() | {"mode": None} == {
        "is_compatible": True, "mode": None, "category": "none", "changes": [], "messages": [],
        "against_version": None}
