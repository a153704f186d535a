"""What notifications say: times in the recipient's zone, resolve notices, per-route grouping over REST,
and settings that refuse a bad inhibition rule."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from governance.alerts.channels.email import render_alert_email
from governance.alerts.channels.slack import slack_body
from governance.alerts.timefmt import duration, human, iso
from tests.conftest import ADMIN_TOKEN, make_settings


def test_human_times_and_durations() -> None:
    moment = datetime(2026, 7, 1, 9, 42, 13, 512345, tzinfo=UTC)
    assert human(moment) == "Wed 1 Jul 2026, 09:42 UTC"
    assert human(moment, "Europe/Paris") == "Wed 1 Jul 2026, 11:42 CEST"
    assert human("2026-12-01T09:42:13Z", "America/New_York") == "Tue 1 Dec 2026, 04:42 EST"
    assert human(moment, "Nowhere/Land") == "Wed 1 Jul 2026, 09:42 UTC"  # never fails a delivery
    assert iso(moment) == "2026-07-01T09:42:13Z"
    assert [duration(s) for s in (42, 27 * 60, 3 * 3600 + 300, 50 * 3600)] == ["42 s", "27 min", "3 h 05 min",
                                                                                  "2 d 2 h"]


def test_emails_and_slack_show_the_onset_in_the_recipients_zone() -> None:
    alert = {"title": "Silence: all events on web", "severity": "warning", "status": "firing", "source": "web",
             "summary": "no events for 20 min", "since": "2026-12-01T09:40:00Z", "timezone": "Europe/Paris",
             "details": {}, "url": "/#/alerts/1"}
    _, text, html = render_alert_email(alert, "http://127.0.0.1:8000")
    assert "Since: Tue 1 Dec 2026, 10:40 CET" in text and "2026-12-01T09:40:00Z" not in text
    assert "10:40 CET" in html
    fields = [f["text"] for b in slack_body(alert)["blocks"] if b["type"] == "section" for f in b.get("fields", [])]
    assert "*Since*\nTue 1 Dec 2026, 10:40 CET" in fields


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    from governance.app import create_app

    with TestClient(create_app(make_settings(sqlite_url)), headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as c:
        yield c


def test_channels_take_a_timezone_and_rules_a_grouping(client: TestClient) -> None:
    mail = {"name": "m", "kind": "email", "config": {"to": "owner", "timezone": "Europe/Paris"}}
    created = client.post("/api/v1/alert-channels", json=mail)
    assert created.status_code == 201 and created.json()["config"]["timezone"] == "Europe/Paris"
    bad = client.post("/api/v1/alert-channels", json={**mail, "name": "x", "config": {"to": "owner",
                                                                                       "timezone": "Mars/Base"}})
    assert bad.status_code == 422 and bad.json()["details"][0]["path"] == "config.timezone"
    grouping = {"group_by": ["source", "labels.team"], "group_wait_s": 0, "repeat_interval_s": 600}
    rule = client.post("/api/v1/alert-rules", json={"name": "r", "channels": ["m"], "grouping": grouping})
    assert rule.status_code == 201, rule.text
    assert rule.json()["grouping"] == {**grouping, "group_by": ["source", "labels.team"]}
    plain = client.post("/api/v1/alert-rules", json={"name": "p", "channels": ["m"]}).json()
    assert plain["grouping"] == {"group_by": ["source_id", "check_kind"]}  # the defaults
    changed = client.patch(f"/api/v1/alert-rules/{plain['id']}", json={"grouping": {"group_by": []}})
    assert changed.status_code == 200 and changed.json()["grouping"] == {"group_by": []}
    wrong = client.post("/api/v1/alert-rules", json={"name": "w", "channels": ["m"], "grouping": {"group_by": ["x"]}})
    assert wrong.status_code == 422 and wrong.json()["details"][0]["path"].startswith("grouping.group_by")
    routed = client.post("/api/v1/alert-rules/route", json={"owner": "a@example.com"}).json()["routes"]
    assert routed[0]["group_by"] in (["source", "labels.team"], ["source_id", "check_kind"])


def test_a_bad_inhibition_rule_stops_the_settings_with_its_path(sqlite_url: str) -> None:
    with pytest.raises(ValidationError, match=r"(?s)inhibit_rules: .*0\.target"):
        make_settings(sqlite_url, inhibit_rules=[{"source": ["check_kind=silence"], "target": ["nonsense"]}])
    assert make_settings(sqlite_url, inhibit_rules=[]).inhibit_rules == []
