"""Checks declared in a plan are validated at create, draft, lint and publish: 422 with the path."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from sqlmodel import Session, select

from governance.db import make_engine
from governance.plan.lint import lint_text
from governance.quality.sync import desired_checks
from governance.registry.tables import PlanRow

EVENT: dict[str, Any] = {"description": "An order was completed", "properties": {"order_id": {"type": "string"}}}
BROKEN = [  # the three a trial published with 201, and two more the engine must refuse
    ({"expectations": [{"type": "expect_column_values_to_be_in_sett", "column": "properties.currency",
                        "value_set": ["USD"]}]},
     'events."Order Completed".expectations[0].type', 'did you mean "expect_column_values_to_be_in_set"'),
    ({"checks": [{"kind": "volumee"}]}, 'events."Order Completed".checks[0].kind', 'did you mean "volume"'),
    ({"checks": [{"kind": "volume", "params": {"min_per_hour": 10}}]},
     'events."Order Completed".checks[0].params.min_per_hour', "unknown parameter of volume"),
    ({"checks": [{"kind": "silence", "params": {"after_minutes": -5}}]},
     'events."Order Completed".checks[0].params.after_minutes', "greater than 0"),
    ({"expectations": [{"type": "expect_column_values_to_match_regex", "column": "properties.order_id",
                        "regex": "^(a+)+\\1$"}]},
     'events."Order Completed".expectations[0].regex', "linear-time engine"),
]


def _plan(extra: dict[str, Any]) -> dict[str, Any]:
    return {"name": "shop", "events": {"Order Completed": {**EVENT, **extra}}}


@pytest.mark.parametrize(("extra", "path", "message"), BROKEN)
def test_a_broken_check_is_refused_with_its_path(app_client, extra: dict[str, Any], path: str,
                                                 message: str) -> None:  # type: ignore[no-untyped-def]
    response = app_client.post("/api/v1/plans", json=_plan(extra))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "plan_invalid" and any(d["path"] == path and message in d["message"]
                                                    for d in body["details"]), body


def test_publish_refuses_a_draft_stored_before_checks_were_validated(app_client, database_url: str) -> None:  # type: ignore[no-untyped-def]
    assert app_client.post("/api/v1/plans", json=_plan({})).status_code == 201
    engine = make_engine(database_url)
    with Session(engine) as session:  # a draft from before this release, with a misspelt kind
        row = session.exec(select(PlanRow).where(PlanRow.name == "shop")).one()
        draft = orjson.loads(row.draft_body)
        draft["events"]["Order Completed"]["checks"] = [{"kind": "volumee"}]
        row.draft_body = orjson.dumps(draft).decode()
        session.add(row)
        session.commit()
    engine.dispose()
    response = app_client.post("/api/v1/plans/shop/versions", json={})
    assert response.status_code == 422, response.text
    assert response.json()["details"][0]["path"] == 'events."Order Completed".checks[0].kind'


def test_lint_places_a_broken_check_on_its_line() -> None:
    text = "name: shop\nchecks:\n  - kind: volume\n    params: {min_per_hour: 10}\n"
    [issue] = lint_text(text, file="plans/shop.yaml")
    assert (issue.code, issue.path, issue.line) == ("invalid_plan", "checks[0].params.min_per_hour", 4)


def test_a_stored_invalid_check_never_replaces_the_working_default() -> None:
    from governance.plan.model import Plan

    plan = Plan.model_validate(_plan({"checks": [{"kind": "volume", "params": {"min_per_hour": 10}}]}))
    found = {(d.kind, d.origin) for d in desired_checks(plan, defaults=True) if d.event == "Order Completed"}
    assert ("volume", "default") in found and ("volume", "plan") not in found
    good = Plan.model_validate(_plan({"checks": [{"kind": "volume", "params": {"min_volume": 10}}]}))
    found = {(d.kind, d.origin) for d in desired_checks(good, defaults=True) if d.event == "Order Completed"}
    assert ("volume", "plan") in found and ("volume", "default") not in found
    assert {d.severity for d in desired_checks(good, defaults=True) if d.kind == "decline"} == {"info"}


def test_a_published_version_with_a_broken_check_keeps_the_default_running(app_client, database_url: str) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from governance.alerts.tables import AlertRow
    from governance.quality.tables import CheckRow, CheckRunRow
    from governance.registry.tables import PlanVersionRow
    from governance.worker.jobs import check_cycle
    from tests.conftest import make_settings

    assert app_client.post("/api/v1/plans", json=_plan({})).status_code == 201
    assert app_client.post("/api/v1/plans/shop/versions", json={}).status_code == 201
    assert app_client.post("/api/v1/sources", json={"name": "web", "plan": "shop"}).status_code == 201
    engine = make_engine(database_url)
    with Session(engine) as session:  # a version published before checks were validated
        row = session.exec(select(PlanVersionRow)).one()
        body = orjson.loads(row.body)
        body["events"]["Order Completed"]["checks"] = [{"kind": "volume", "params": {"min_per_hour": 10}}]
        row.body = orjson.dumps(body).decode()
        session.add(row)
        session.commit()
    check_cycle(engine, make_settings(database_url), datetime.now(UTC))
    with Session(engine) as session:
        volume = session.exec(select(CheckRow).where(CheckRow.kind == "volume",
                                                     CheckRow.event == "Order Completed")).all()
        assert [c.origin for c in volume] == ["default"]  # the broken plan check did not replace it
        runs = session.exec(select(CheckRunRow).where(CheckRunRow.check_id == volume[0].id)).all()
        assert [r.outcome for r in runs] == ["learning"]  # it runs (no history yet), it does not error
        assert session.exec(select(AlertRow)).all() == []
    engine.dispose()
