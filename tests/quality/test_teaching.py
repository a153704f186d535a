"""Teaching: an alert marked expected leaves its period out of the baselines (REST, CLI, worker),
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import orjson
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from governance.alerts.tables import AlertRow
from governance.app import create_app
from governance.clock import epoch_minute
from governance.db import make_engine, write_session
from governance.migrations import upgrade
from governance.quality.tables import CheckRow, CheckRunRow, ExpectedPeriodRow
from governance.registry.tables import AuditRow
from governance.worker.jobs import check_cycle
from governance.worker.teaching import close_expected_periods
from tests.cli_support import cli
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.quality.test_checks_db import BASE, at, insert_counts, seed

DAY = 1440


def _alert(engine: Any, source_id: str, *, kind: str = "volume", resolved: bool = True,
           started: datetime | None = None) -> int:
    started = started or at(7 * DAY + 60)  # an hour into the campaign
    with write_session(engine) as session:
        row = AlertRow(fingerprint="fp-campaign", check_id="chk", check_kind=kind, source_id=source_id,
                       source_name="web", event="Order Completed", title="Volume spike: Order Completed on web",
                       started_at=started, last_firing_at=started + timedelta(days=2),
                       status="resolved" if resolved else "firing",
                       resolved_at=started + timedelta(days=3) if resolved else None)
        session.add(row)
        session.flush()
        return int(row.id or 0)


def _last_condition(engine: Any) -> bool:
    with Session(engine) as session:
        check = session.exec(select(CheckRow).where(CheckRow.kind == "volume",
                                                    CheckRow.event == "Order Completed")).one()
        run = session.exec(select(CheckRunRow).where(CheckRunRow.check_id == check.id)
                           .order_by(CheckRunRow.id.desc())).first()  # type: ignore[union-attr]
        assert run is not None
        return bool(orjson.loads(run.observations) and orjson.loads(run.observations)[0]["condition"])


def test_a_campaign_marked_expected_no_longer_hides_next_weeks_spike(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    ids = seed(engine)
    rng = np.random.default_rng(3)
    counts = rng.poisson(10.0, (1, 14 * DAY + 12 * 60)).astype(np.int64)  # 600/h for two weeks
    campaign = slice(7 * DAY, 10 * DAY)  # Monday to Wednesday of the second week at 2.5x
    counts[0, campaign] = rng.poisson(25.0, 3 * DAY)
    counts[0, -30:] = rng.poisson(30.0, 30)  # a real 3x spike now, on the third Monday
    insert_counts(engine, ids["web"], ["Order Completed"], counts)
    now = at(14 * DAY + 12 * 60)
    settings = make_settings(database_url, default_checks=True)
    check_cycle(engine, settings, now)
    assert not _last_condition(engine)  # the campaign week says 2.5x is normal at this hour: 3x is no spike
    alert_id = _alert(engine, ids["web"])
    with TestClient(create_app(make_settings(database_url)), headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as c:
        marked = c.post(f"/api/v1/alerts/{alert_id}/expected", json={"note": "spring campaign"})
        assert marked.status_code == 201, marked.text
        period = marked.json()
        assert period["event"] == "Order Completed" and period["note"] == "spring campaign"
        assert period["starts_at"].startswith("2024-03-11T00:00")  # an hour before it fired
        assert period["ends_at"].startswith("2024-03-14T01:00")  # when it resolved
        listed = c.get("/api/v1/expected-periods", params={"source": "web"}).json()
        assert listed["count"] == 1 and listed["data"][0]["id"] == period["id"]
        history = c.get(f"/api/v1/alerts/{alert_id}").json()["history"]
        assert [h["action"] for h in history] == ["expected"]
    check_cycle(engine, settings, now + timedelta(seconds=1))
    assert _last_condition(engine)  # taught: the baseline is the normal weeks', and 3x is a spike again
    with Session(engine) as session:
        audit = session.exec(select(AuditRow).where(AuditRow.action == "alert.expected")).one()
        assert audit.entity_id == str(alert_id) and json.loads(audit.details)["note"] == "spring campaign"
    engine.dispose()


def test_only_alerts_that_judge_history_are_taught_and_a_period_can_be_forgotten(app_client: Any,
                                                                                 database_url: str) -> None:
    engine = make_engine(database_url)
    ids = seed(engine)
    unplanned = _alert(engine, ids["web"], kind="new_unplanned")
    refused = app_client.post(f"/api/v1/alerts/{unplanned}/expected", json={})
    assert refused.status_code == 422 and refused.json()["details"][0]["path"] == "alert"
    assert app_client.post("/api/v1/alerts/999999/expected", json={}).json()["code"] == "alert_not_found"
    fired = datetime.now(UTC) - timedelta(hours=3)
    firing = _alert(engine, ids["web"], resolved=False, started=fired)
    backwards = app_client.post(f"/api/v1/alerts/{firing}/expected",
                                json={"starts_at": "2024-03-12T00:00:00Z", "ends_at": "2024-03-11T00:00:00Z"})
    assert backwards.status_code == 422 and backwards.json()["details"][0]["path"] == "ends_at"
    unknown = app_client.post(f"/api/v1/alerts/{firing}/expected", json={"until": "tomorrow"})
    assert unknown.status_code == 422
    too_long = app_client.post(f"/api/v1/alerts/{firing}/expected", json={"starts_at": "2024-03-11T00:00:00Z"})
    assert too_long.status_code == 422 and "31 days" in too_long.json()["message"]
    open_period = app_client.post(f"/api/v1/alerts/{firing}/expected", json={}).json()
    assert open_period["ends_at"] is None  # until the alert resolves
    with write_session(engine) as session:
        alert = session.get(AlertRow, firing)
        assert alert is not None
        alert.status, alert.resolved_at = "resolved", fired + timedelta(hours=2)
    assert close_expected_periods(engine, datetime.now(UTC)) == 1
    with Session(engine) as session:
        closed = session.get(ExpectedPeriodRow, open_period["id"])
        assert closed is not None and closed.ends_at == fired + timedelta(hours=2)
    assert app_client.delete(f"/api/v1/expected-periods/{open_period['id']}").status_code == 204
    gone = app_client.delete(f"/api/v1/expected-periods/{open_period['id']}")
    assert gone.status_code == 404 and gone.json()["code"] == "expected_period_not_found"
    engine.dispose()


def test_the_cli_marks_an_alert_expected(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    ids = seed(engine)
    alert_id = _alert(engine, ids["web"], kind="silence")
    engine.dispose()
    done = cli("quality", "expected", str(alert_id), "--note", "migration", "--start", "2024-03-11T00:00:00",
               "--database-url", sqlite_url, "--json")
    assert done.code == 0, done.err
    period = done.json()
    assert period["alert_id"] == alert_id and period["starts_at"].startswith("2024-03-11T00:00:00")
    assert epoch_minute(at(0)) == BASE
