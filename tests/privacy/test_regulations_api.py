"""``/api/v1/regulations`` on both backends: each type, its status and receipt, the suppression rows
and sequence it writes, the audit row, and every refusal with its code and path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from governance.registry.tables import ConfigStateRow, SuppressionRow
from tests.conftest import ADMIN_TOKEN, make_settings


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    from governance.app import create_app

    app = create_app(make_settings(database_url))
    with TestClient(app, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as c:
        yield c


def regulate(client: TestClient, kind: str, subjects: list[str], **extra: Any) -> dict[str, Any]:
    answer = client.post("/api/v1/regulations", json={"regulationType": kind, "subjectType": "USER_ID",
                                                      "subjectIds": subjects, **extra})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def rows(client: TestClient) -> dict[tuple[str, str], SuppressionRow]:
    from sqlmodel import Session

    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        return {(r.scope, r.subject_id): r for r in session.exec(select(SuppressionRow)).scalars()}


def suppression_seq(client: TestClient) -> int:
    from sqlmodel import Session

    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        return int(session.get(ConfigStateRow, 1).suppression_seq)  # type: ignore[union-attr]


def test_each_type_its_status_rows_and_receipt(client: TestClient) -> None:
    web = client.post("/api/v1/sources", json={"name": "web"}).json()["id"]
    start = suppression_seq(client)
    suppress = regulate(client, "SUPPRESS_ONLY", ["u-1", "u-2", "u-1"])
    assert suppress["id"].startswith("reg_") and suppress["overallStatus"] == "FINISHED"
    assert suppress["subjectIds"] == ["u-1", "u-2"] and suppress["sourceIds"] is None
    step = suppress["receipt"]["steps"][0]
    assert (step["action"], step["scopes"], step["subjects"], step["new_suppressions"]) == ("suppressed", ["*"], 2, 2)
    assert set(rows(client)) == {("*", "u-1"), ("*", "u-2")} and suppression_seq(client) == start + 1

    scoped = regulate(client, "SUPPRESS_WITH_DELETE", ["u-3"], sourceIds=["web"])
    assert scoped["overallStatus"] == "INITIALIZED" and scoped["sourceIds"] == [web]  # a name is stored as its id
    assert (web, "u-3") in rows(client) and suppression_seq(client) == start + 2

    delete_only = regulate(client, "DELETE_ONLY", ["u-4"])
    assert delete_only["overallStatus"] == "INITIALIZED" and delete_only["receipt"]["steps"] == []
    assert ("*", "u-4") not in rows(client) and suppression_seq(client) == start + 2  # nothing to propagate

    lift = regulate(client, "UNSUPPRESS", ["u-1", "nobody"])
    assert lift["overallStatus"] == "FINISHED"
    assert lift["receipt"]["steps"][0]["lifted_suppressions"] == 1
    kept = rows(client)
    assert kept[("*", "u-1")].lifted_at is not None and kept[("*", "u-2")].lifted_at is None
    assert kept[("*", "u-1")].seq == start + 3  # the change is stamped with its sequence number

    again = regulate(client, "SUPPRESS_ONLY", ["u-1"])
    assert again["receipt"]["steps"][0]["new_suppressions"] == 1 and rows(client)[("*", "u-1")].lifted_at is None

    listed = client.get("/api/v1/regulations").json()
    assert listed["count"] == 5 and listed["data"][0]["id"] == again["id"]  # newest first
    waiting = client.get("/api/v1/regulations", params={"status": "INITIALIZED"}).json()
    assert {r["id"] for r in waiting["data"]} == {scoped["id"], delete_only["id"]}
    one = client.get(f"/api/v1/regulations/{scoped['id']}").json()
    assert one == scoped
    audit = client.get("/api/v1/audit", params={"entity": "regulation"}).json()
    assert audit["count"] == 5 and {a["action"] for a in audit["data"]} == {"regulation.create"}
    assert all("u-" not in str(a["details"]) for a in audit["data"])  # the audit names counts, not people


def test_unsuppress_for_sources_lifts_only_those(client: TestClient) -> None:
    web = client.post("/api/v1/sources", json={"name": "web"}).json()["id"]
    app = client.post("/api/v1/sources", json={"name": "app"}).json()["id"]
    regulate(client, "SUPPRESS_ONLY", ["u-1"])
    regulate(client, "SUPPRESS_ONLY", ["u-1"], sourceIds=[web, app])
    regulate(client, "UNSUPPRESS", ["u-1"], sourceIds=["web"])
    in_force = {k for k, r in rows(client).items() if r.lifted_at is None}
    assert in_force == {("*", "u-1"), (app, "u-1")}
    regulate(client, "UNSUPPRESS", ["u-1"])  # every scope
    assert not {k for k, r in rows(client).items() if r.lifted_at is None}


@pytest.mark.parametrize(("body", "path"), [
    ({"regulationType": "FORGET", "subjectIds": ["u"]}, "regulationType"),
    ({"regulationType": "SUPPRESS_ONLY", "subjectType": "EMAIL", "subjectIds": ["u"]}, "subjectType"),
    ({"regulationType": "SUPPRESS_ONLY", "subjectIds": []}, "subjectIds"),
    ({"regulationType": "SUPPRESS_ONLY", "subjectIds": [""]}, "subjectIds.0"),
    ({"regulationType": "SUPPRESS_ONLY", "subjectIds": ["ok", "a\u0000b"]}, "subjectIds.1"),
    ({"regulationType": "SUPPRESS_ONLY", "subjectIds": ["u"], "sourceIds": []}, "sourceIds"),
    ({"regulationType": "SUPPRESS_ONLY", "subjectIds": ["u"], "sourceIds": ["nowhere"]}, "sourceIds.0"),
    ({"regulationType": "SUPPRESS_ONLY", "subjectIds": ["u"], "notify": ["no-channel"]}, "notify.0"),
    ({"regulationType": "SUPPRESS_ONLY", "subjectIds": ["u"], "colour": "red"}, "colour"),
    ({"regulationType": "SUPPRESS_ONLY", "subjectIds": [f"u{i}" for i in range(5001)]}, "subjectIds"),
])
def test_refusals_name_the_path(client: TestClient, body: dict[str, Any], path: str) -> None:
    answer = client.post("/api/v1/regulations", json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "validation_failed" and answer.json()["details"][0]["path"] == path
    assert client.get("/api/v1/regulations").json()["count"] == 0  # nothing half-done


def test_only_webhook_channels_are_notified_and_only_admins_regulate(client: TestClient) -> None:
    slack = client.post("/api/v1/alert-channels", json={"name": "chat", "kind": "slack",
                                                        "config": {"url": "https://hooks.slack.com/services/x"}})
    assert slack.status_code == 201, slack.text
    answer = client.post("/api/v1/regulations", json={"regulationType": "SUPPRESS_ONLY", "subjectIds": ["u"],
                                                      "notify": ["chat"]})
    assert answer.status_code == 422 and "webhook" in answer.json()["message"]
    editor = client.post("/api/v1/tokens", json={"role": "editor"}).json()["token"]
    as_editor = {"Authorization": f"Bearer {editor}"}
    body = {"regulationType": "SUPPRESS_ONLY", "subjectIds": ["u"]}
    assert client.post("/api/v1/regulations", json=body, headers=as_editor).status_code == 403
    assert client.get("/api/v1/regulations", headers=as_editor).status_code == 403
    missing = client.get("/api/v1/regulations/reg_nope")
    assert missing.status_code == 404 and missing.json()["code"] == "regulation_not_found"
