"""Silences: matchers, recurring windows, and the REST API (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from governance.alerts.recurrence import RecurrenceError, around
from governance.matchers import Matcher, alert_labels, matches, parse_text
from tests.conftest import ADMIN_TOKEN, make_settings

ALERT = SimpleNamespace(source_name="web", source_id="src_1", event="Order Completed", field="", owner=None,
                        check_kind="volume", check_id="chk_9", severity="warning", labels='{"team": "checkout"}')


def m(text: str) -> Matcher:
    return Matcher.model_validate(parse_text(text))


@pytest.mark.parametrize(("text", "expected"), [
    ('source="web"', True), ("source=src_1", True), ("source!=web", False), ("source!=ios", True),
    ('event=~"Order.*"', True), ('event=~"Order"', False),  # anchored at both ends, as Alertmanager
    ('event!~"Order.*"', False), ("check=volume", True), ("check=chk_9", True), ("check_kind=silence", False),
    ('owner=""', True), ('labels.team="checkout"', True), ('labels.area=""', True), ("labels.team=~check.*", True),
    ('severity=~"warning|critical"', True),
])
def test_matchers(text: str, expected: bool) -> None:
    assert matches(m(text), alert_labels(ALERT)) is expected


def test_matchers_refuse_unknown_labels_backtracking_regexes_and_gibberish() -> None:
    with pytest.raises(ValidationError, match="unknown label"):
        m("team=checkout")
    with pytest.raises(ValidationError, match="linear-time engine"):
        m(r'event=~"(a)\1"')
    with pytest.raises(ValidationError, match="invalid regular expression"):
        m('event=~"("')
    with pytest.raises(ValueError, match="not a matcher"):
        parse_text("event")


PARIS_SUNDAY = "FREQ=WEEKLY;BYDAY=SU"


def test_a_weekly_window_keeps_its_wall_clock_time_across_daylight_saving() -> None:
    first = datetime(2026, 3, 22, 9, 0, tzinfo=UTC)  # Sunday 10:00 in Paris (CET, UTC+1)
    three_hours = timedelta(hours=3)
    inside, following = around(PARIS_SUNDAY, first, "Europe/Paris", three_hours, first + timedelta(hours=1))
    assert inside is not None and inside.start == first and following is not None
    assert following.start == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)  # 10:00 CEST (UTC+2) after the change
    current, _ = around(PARIS_SUNDAY, first, "Europe/Paris", three_hours, datetime(2026, 3, 29, 10, 59, tzinfo=UTC))
    assert current is not None and current.end == datetime(2026, 3, 29, 11, 0, tzinfo=UTC)
    between, _ = around(PARIS_SUNDAY, first, "Europe/Paris", three_hours, datetime(2026, 3, 29, 11, 0, tzinfo=UTC))
    assert between is None
    until = datetime(2026, 3, 28, tzinfo=UTC)  # the series ends before the second Sunday
    assert around(PARIS_SUNDAY, first, "Europe/Paris", three_hours, first + timedelta(hours=5), until)[1] is None


def test_holidays_as_dates_and_refused_rules() -> None:
    first = datetime(2026, 12, 1, tzinfo=UTC)
    holidays = "RDATE:20261225T000000,20270101T000000"
    day = timedelta(days=1)
    inside, following = around(holidays, first, "UTC", day, datetime(2026, 12, 25, 13, 0, tzinfo=UTC))
    assert inside is not None and inside.start == datetime(2026, 12, 25, tzinfo=UTC)
    assert following is not None and following.start == datetime(2027, 1, 1, tzinfo=UTC)
    christmas = "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25"
    assert around(christmas, first, "UTC", day, datetime(2027, 12, 25, 8, tzinfo=UTC))[0] is not None
    for rule, field in (("FREQ=MINUTELY", "rrule"), ("FREQ=SOMETIMES", "rrule"),
                        ("DTSTART:20260101T000000\nRRULE:FREQ=DAILY", "rrule")):
        with pytest.raises(RecurrenceError) as refused:
            around(rule, first, "UTC", day, first)
        assert refused.value.field == field
    with pytest.raises(RecurrenceError) as zone:
        around(christmas, first, "Mars/Olympus", day, first)
    assert zone.value.field == "timezone"


# -- REST -------------------------------------------------------------------------------------------


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    from governance.app import create_app

    app = create_app(make_settings(database_url))
    with TestClient(app, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as c:
        yield c


def iso(moment: datetime) -> str:
    return moment.isoformat()


def test_silences_over_rest(client: TestClient) -> None:
    now = datetime.now(UTC)
    body = {"matchers": [{"name": "source", "value": "web"}, 'event=~"Order.*"'], "comment": "deploy of 4.2",
            "starts_at": iso(now - timedelta(minutes=1)), "ends_at": iso(now + timedelta(hours=1))}
    created = client.post("/api/v1/silences", json=body)
    assert created.status_code == 201, created.text
    active = created.json()
    assert active["state"] == "active" and active["created_by"].startswith("token:")
    assert active["matchers"][1] == {"name": "event", "op": "=~", "value": "Order.*"}
    assert created.headers["location"] == f"/api/v1/silences/{active['id']}"
    later = {"matchers": ["check_kind=silence"], "comment": "maintenance", "starts_at": iso(now + timedelta(days=1)),
             "duration_minutes": 90}
    pending = client.post("/api/v1/silences", json=later).json()
    assert pending["state"] == "pending" and pending["next"]["start"].startswith(iso(now + timedelta(days=1))[:16])
    weekly = {"matchers": ["source=web"], "comment": "Sunday maintenance", "starts_at": iso(now - timedelta(days=30)),
              "recurrence": {"rrule": "FREQ=WEEKLY", "duration_minutes": 60, "timezone": "Europe/Paris"}}
    recurring = client.post("/api/v1/silences", json=weekly)
    assert recurring.status_code == 201, recurring.text
    assert recurring.json()["recurrence"] == {"rrule": "FREQ=WEEKLY", "duration_minutes": 60.0,
                                              "timezone": "Europe/Paris"}
    states = {s["id"]: s["state"] for s in client.get("/api/v1/silences").json()["data"]}
    assert states[active["id"]] == "active" and states[pending["id"]] == "pending"
    assert [s["id"] for s in client.get("/api/v1/silences", params={"state": "pending"}).json()["data"]] == [
        pending["id"]] or states[recurring.json()["id"]] == "pending"

    expired = client.post(f"/api/v1/silences/{active['id']}/expire")
    assert expired.status_code == 200 and expired.json()["state"] == "expired"
    assert client.get(f"/api/v1/silences/{active['id']}").json()["expired_by"].startswith("token:")
    again = client.post(f"/api/v1/silences/{active['id']}/expire")
    assert again.status_code == 409 and again.json()["code"] == "silence_expired"
    assert client.get("/api/v1/silences", params={"state": "expired"}).json()["count"] == 1
    missing = client.get("/api/v1/silences/sil_nope")
    assert missing.status_code == 404 and missing.json()["code"] == "silence_not_found"
    audit = client.get("/api/v1/audit").json()["data"]
    assert {"silence.create", "silence.expire"} <= {a["action"] for a in audit}

    viewer = client.post("/api/v1/tokens", json={"role": "viewer", "name": "ro"}).json()["token"]
    as_viewer = {"Authorization": f"Bearer {viewer}"}
    assert client.get("/api/v1/silences", headers=as_viewer).status_code == 200
    assert client.post("/api/v1/silences", json=body, headers=as_viewer).status_code == 403


@pytest.mark.parametrize(("change", "path"), [
    ({"matchers": []}, "matchers"),
    ({"matchers": ["team=checkout"]}, "matchers.0"),
    ({"matchers": [r'event=~"(a)\1"']}, "matchers.0"),
    ({"matchers": ['owner=""']}, "matchers"),  # would mute every alert without an owner... and the rest
    ({"ends_at": None}, "ends_at"),
    ({"ends_at": "2020-01-01T00:00:00Z", "starts_at": "2019-01-01T00:00:00Z"}, "ends_at"),
    ({"comment": ""}, "comment"),
    ({"recurrence": {"rrule": "FREQ=MINUTELY", "duration_minutes": 5}}, "recurrence.rrule"),
    ({"recurrence": {"rrule": "FREQ=DAILY", "duration_minutes": 5, "timezone": "Nowhere/Land"}}, "recurrence.timezone"),
    ({"recurrence": {"rrule": "FREQ=DAILY;COUNT=1", "duration_minutes": 5}, "starts_at": "2020-01-01T00:00:00Z"},
     "recurrence.rrule"),
    ({"recurrence": {"rrule": "FREQ=DAILY", "duration_minutes": 0}}, "recurrence.duration_minutes"),
    ({"extra": 1}, "extra"),
])
def test_bad_silences_get_a_422_with_the_path(client: TestClient, change: dict[str, object], path: str) -> None:
    ends = iso(datetime.now(UTC) + timedelta(hours=1))
    body = {"matchers": ["source=web"], "comment": "x", "ends_at": ends, **change}
    answer = client.post("/api/v1/silences", json=body)
    assert answer.status_code == 422, answer.text
    paths = [d["path"] for d in answer.json().get("details", [])]
    assert any(p == path or p.startswith(path + ".") or p.startswith(path + "[") for p in paths), answer.json()


def test_a_holiday_calendar_in_one_line() -> None:
    first = datetime(2026, 12, 1, tzinfo=UTC)
    day = timedelta(days=1)
    thanksgiving = datetime(2027, 11, 25, 15, 0, tzinfo=UTC)  # 10:00 in New York
    inside, following = around("HOLIDAYS:US", first, "America/New_York", day, thanksgiving)
    assert inside is not None and inside.start == datetime(2027, 11, 25, 5, 0, tzinfo=UTC)  # 00:00 EST
    assert following is not None and following.start == datetime(2027, 12, 24, 5, 0, tzinfo=UTC)  # observed
    assert around("HOLIDAYS:US", first, "America/New_York", day, datetime(2027, 11, 26, 15, tzinfo=UTC))[0] is None
    # a subdivision, and a company day off beside the calendar
    bavaria = "HOLIDAYS:DE-BY\nRDATE:20270502T000000"
    assert around(bavaria, first, "Europe/Berlin", day, datetime(2027, 1, 6, 12, tzinfo=UTC))[0] is not None
    assert around(bavaria, first, "Europe/Berlin", day, datetime(2027, 5, 2, 12, tzinfo=UTC))[0] is not None
    for rule in ("HOLIDAYS:XX", "HOLIDAYS:DE-ZZ"):
        with pytest.raises(RecurrenceError) as refused:
            around(rule, first, "UTC", day, first)
        assert refused.value.field == "rrule" and "unknown holiday calendar" in str(refused.value)
