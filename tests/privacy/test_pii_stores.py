"""PII actions reach every stored copy, on both backends: with hash, mask or drop, no store (outbox,
quarantine, dead letter, event samples, violation samples) holds the raw value; with allow they do
(the documented trade), and the violation is reported either way."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from governance.registry.transformation_actions import pseudonym
from tests.conftest import ADMIN_TOKEN, make_settings, wait_until
from tests.privacy.conftest import payloads, text_of

PLAN = {"name": "shop", "events": {"Order Completed": {"properties": {"order_id": {"type": "string",
                                                                                 "required": True}}}}}
EMAIL, PHONE, CARD = "jo.smith@example.com", "+44 7400 123456", "4111 1111 1111 1111"
SALT = "stores-salt"


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    from governance.app import create_app

    app = create_app(make_settings(database_url, hash_salt=SALT))
    with TestClient(app, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as c:
        assert c.post("/api/v1/plans", json=PLAN).status_code == 201
        assert c.post("/api/v1/plans/shop/versions", json={}).status_code == 201
        yield c


def source(client: TestClient, action: str, transformations: tuple[dict[str, Any], ...] = ()) -> str:
    settings = {"track": {"allowUnplannedEvents": False}, "privacy": {"piiAction": action}}
    created = client.post("/api/v1/sources", json={"name": f"web-{action}", "plan": "shop", "settings": settings})
    assert created.status_code == 201, created.text
    for spec in transformations:
        assert client.post(f"/api/v1/sources/{created.json()['id']}/transformations", json=spec).status_code == 201
    key = str(created.json()["write_key"])
    probe = {"writeKey": key, "type": "track", "event": "x", "userId": "u"}
    assert wait_until(lambda: client.post("/v1/validate", json=probe).status_code == 200)
    client.app.state.proxy.runtime.reload()  # type: ignore[attr-defined]
    return key


def traffic() -> list[dict[str, Any]]:
    pii = {"contact": EMAIL, "mobile": PHONE, "card": CARD}
    return [
        {"type": "track", "event": "Unplanned", "userId": "u1", "properties": pii},  # quarantined
        {"type": "track", "event": "Order Completed", "userId": "u1", "properties": {"order_id": 7, **pii}},
        {"type": "track", "event": "Order Completed", "userId": "u1", "properties": {"order_id": "o", **pii}},
    ]  # forwarded with a violation (violation samples), and clean but for the unplanned PII (event samples)


def send(client: TestClient, key: str, messages: list[dict[str, Any]]) -> None:
    answer = client.post("/v1/batch", json={"writeKey": key, "batch": messages})
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("action", ["hash", "mask", "drop"])
def test_no_store_holds_the_raw_value(client: TestClient, action: str) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    send(client, source(client, action), traffic())
    stored = text_of(engine)
    assert stored and all(raw not in stored for raw in (EMAIL, PHONE, CARD, "4111111111111111"))
    assert {"outbox", "quarantine", "violation_samples", "event_samples"} <= {
        store for store in ("outbox", "quarantine", "violation_samples", "event_samples") if payloads(engine, store)}
    quarantined = payloads(engine, "quarantine")[0]["properties"]
    if action == "hash":
        assert quarantined == {"contact": pseudonym(EMAIL, SALT.encode()), "mobile": pseudonym(PHONE, SALT.encode()),
                               "card": pseudonym(CARD, SALT.encode())}
    elif action == "mask":
        masked = {"contact": "j***@example.com", "mobile": "+** **** **3456", "card": "**** **** **** 1111"}
        assert quarantined == masked
    else:
        assert quarantined == {}
    violations = client.get("/api/v1/sources/web-" + action + "/violations").json()["data"]
    assert {(v["type"], v["field"]) for v in violations} >= {("pii_detected", f"properties.{f}")
                                                             for f in ("contact", "mobile", "card")}
    for group in violations:
        for sample in group.get("samples", []):
            assert EMAIL not in str(sample) and EMAIL not in group.get("message", "")


def test_allow_keeps_the_value_and_reports_it(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    send(client, source(client, "allow"), traffic())
    assert EMAIL in text_of(engine)  # allow: detect and report, change nothing
    violations = client.get("/api/v1/sources/web-allow/violations").json()["data"]
    assert sum(v["count"] for v in violations if v["type"] == "pii_detected") == 9


def test_a_value_a_transformation_moved_is_changed_in_the_stored_original_too(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    move = {"name": "mail-to-contact", "action": "rename_property",
            "params": {"from": "properties.mail", "to": "properties.contact"}}
    key = source(client, "hash", (move,))
    send(client, key, [{"type": "track", "event": "Unplanned", "userId": "u1", "properties": {"mail": EMAIL}}])
    stored = payloads(engine, "quarantine")[0]
    assert stored["properties"] == {"mail": pseudonym(EMAIL, SALT.encode())}  # the original, as it arrived, hashed
    assert EMAIL not in text_of(engine)
