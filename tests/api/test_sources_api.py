"""Sources, schema controls and write keys over the REST API."""

from __future__ import annotations

from sqlmodel import Session, select

from governance.registry.secrets import hash_secret
from governance.registry.sources import source_for_key
from governance.registry.tables import SourceRow, WriteKeyRow


def make_plan(client) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/api/v1/plans", json={"name": "shop"}).status_code == 201


def test_source_lifecycle_and_settings_in_segment_shape(app_client) -> None:
    make_plan(app_client)
    created = app_client.post("/api/v1/sources", json={
        "name": "web", "plan": "shop", "upstream_url": "https://api.segment.io",
        "upstream_write_key": "UPSTREAM-SECRET", "mode": "shadow"})
    assert created.status_code == 201, created.text
    source = created.json()
    assert source["write_key"].startswith("wk_") and source["mode"] == "shadow"
    assert "upstream_write_key" not in source and source["has_upstream_write_key"] is True
    assert source["settings"]["track"]["allowUnplannedEvents"] is True  # Segment's default: allow
    patched = app_client.patch(f"/api/v1/sources/{source['id']}/settings", json={
        "track": {"allowUnplannedEvents": False, "commonEventOnViolations": "OMIT_PROPERTIES"},
        "identify": {"allowUnplannedTraits": False}})
    assert patched.status_code == 200, patched.text
    settings = patched.json()
    assert settings["track"]["allowUnplannedEvents"] is False
    assert settings["track"]["allowUnplannedEventProperties"] is True  # untouched keys keep their value
    assert settings["identify"]["allowUnplannedTraits"] is False
    bad = app_client.patch(f"/api/v1/sources/{source['id']}/settings",
                           json={"track": {"commonEventOnViolations": "SOMETIMES"}})
    assert bad.status_code == 422 and bad.json()["code"] == "validation_failed"
    assert "track" in str(bad.json()["details"])
    unknown = app_client.patch(f"/api/v1/sources/{source['id']}/settings", json={"track": {"allowX": True}})
    assert unknown.status_code == 422
    assert app_client.get("/api/v1/sources/web/settings").json() == settings
    updated = app_client.patch("/api/v1/sources/web", json={"mode": "enforce", "plan_version": 1})
    assert updated.status_code == 200 and updated.json()["mode"] == "enforce"
    assert app_client.patch("/api/v1/sources/web", json={"mode": "loud"}).status_code == 422


def test_write_keys_are_hashed_rotated_and_revoked(app_client) -> None:
    make_plan(app_client)
    source = app_client.post("/api/v1/sources", json={"name": "web", "plan": "shop"}).json()
    first = source["write_key"]
    engine = app_client.app.state.engine
    with Session(engine) as session:
        stored = session.exec(select(WriteKeyRow)).one()
        assert stored.key_hash == hash_secret(first) and first not in stored.model_dump_json()
        assert source_for_key(session, first).id == source["id"]
    rotated = app_client.post(f"/api/v1/sources/{source['id']}/write-keys")
    assert rotated.status_code == 201
    second = rotated.json()["write_key"]
    keys = app_client.get(f"/api/v1/sources/{source['id']}/write-keys").json()
    assert len(keys) == 2 and all("write_key" not in k for k in keys)
    with Session(engine) as session:
        assert source_for_key(session, first) is not None and source_for_key(session, second) is not None
    old_id = next(k["id"] for k in keys if first.startswith(k["prefix"]))
    assert app_client.delete(f"/api/v1/sources/{source['id']}/write-keys/{old_id}").status_code == 204
    with Session(engine) as session:
        assert source_for_key(session, first) is None
        assert source_for_key(session, second) is not None
        assert session.exec(select(SourceRow)).one().upstream_write_key is None


def test_source_errors(app_client) -> None:
    missing_plan = app_client.post("/api/v1/sources", json={"name": "web", "plan": "nope"})
    assert missing_plan.status_code == 404 and missing_plan.json()["code"] == "plan_not_found"
    assert app_client.post("/api/v1/sources", json={"name": "web"}).status_code == 201
    dup = app_client.post("/api/v1/sources", json={"name": "web"})
    assert dup.status_code == 409 and dup.json()["code"] == "already_exists"
    assert app_client.post("/api/v1/sources", json={"name": ""}).status_code == 422
    assert app_client.get("/api/v1/sources/nope").json()["code"] == "source_not_found"
    assert app_client.post("/api/v1/sources", json={"name": "x", "upstream_url": "ftp://x"}).status_code == 422


def test_out_of_range_numbers_and_nulls_are_4xx(app_client) -> None:
    assert app_client.post("/api/v1/sources", json={"name": "web"}).status_code == 201
    assert app_client.patch("/api/v1/sources/web", json={"name": None}).status_code == 422
    assert app_client.get("/api/v1/sources/web").json()["name"] == "web"
    assert app_client.get("/api/v1/plans", params={"offset": 2**70}).status_code == 422
    huge = app_client.get(f"/api/v1/alerts/{2**70}")
    assert huge.status_code in (404, 422) and huge.json()["code"] in {"validation_failed", "not_found"}
