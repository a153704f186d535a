"""Silences in the console against a real serve with its worker and a webhook receiver on 127.0.0.1:
a maintenance window made in the browser before anything fires, an alert that then fires on the
source it covers and is recorded as silenced (its page says by which silence, and the receiver
hears nothing), a recurring window, and expiring the first one — after which the alert, still
firing, is notified."""

from __future__ import annotations

import json
from typing import Any

from conftest import Ops, check_a11y, sign_in, wait_for


def _alert(ops: Ops, source: str) -> dict[str, Any] | None:
    found = ops.server.admin.get("/api/v1/alerts", params={"source": source, "status": "firing"}).json()["data"]
    return found[0] if found else None


def _heard(ops: Ops, alert_id: int) -> list[dict[str, Any]]:
    bodies = [json.loads(r.body) for r in list(ops.webhook.requests) if r.path.endswith("&silences=1")]
    return [b for b in bodies if any(a["id"] == alert_id for a in b["data"].get("alerts", []))]


def test_a_silence_made_in_the_console_mutes_an_alert_and_expiring_it_notifies(page: Any, ops: Ops,
                                                                               shoot: Any) -> None:
    hook = {"name": "silences hook", "kind": "webhook", "config": {"url": ops.webhook.url + "&silences=1"}}
    assert ops.server.admin.post("/api/v1/alert-channels", json=hook).status_code == 201
    rule = {"name": "maintained-app", "matchers": {"source": "maintained-app"}, "channels": ["silences hook"]}
    assert ops.server.admin.post("/api/v1/alert-rules", json=rule).status_code == 201

    sign_in(page, ops.server, at="#/silences")
    page.get_by_role("heading", name="Silences", level=1).wait_for()
    form = page.get_by_role("form", name="Create a silence")
    form.get_by_label("Value 1").fill("maintained-app")
    form.get_by_role("button", name="Add a matcher").click()
    form.get_by_label("Label 2").select_option("event")
    form.get_by_label("Operator 2").select_option("=~")
    form.get_by_label("Value 2").fill("Promo.*")
    form.get_by_label("Comment").fill("database maintenance")
    form.get_by_label("Ends (your local time)").fill("2099-01-01T00:00")
    form.get_by_role("button", name="Create the silence").click()
    page.get_by_text("(active).").wait_for()
    [made] = ops.server.admin.get("/api/v1/silences").json()["data"]
    assert [(m["name"], m["op"], m["value"]) for m in made["matchers"]] == [
        ("source", "=", "maintained-app"), ("event", "=~", "Promo.*")]
    row = page.locator(f"#silence-{made['id']}")
    assert "database maintenance" in row.inner_text() and 'event=~"Promo.*"' in row.inner_text()

    key = ops.server.source("maintained-app")
    check = {"kind": "new_unplanned", "source": "maintained-app", "for": 1}
    assert ops.server.admin.post("/api/v1/checks", json=check).status_code == 201
    ops.server.send(key, [{"type": "track", "event": "Promo Banner Clicked", "userId": "u1", "messageId": "m-1"}])
    alert = wait_for(lambda: (a := _alert(ops, "maintained-app")) and a["silenced_by"] and a, timeout=80,
                     what="the alert, silenced")
    page.goto(f"{ops.server.url}/#/alerts/{alert['id']}")
    facts = page.get_by_role("definition").filter(has_text="database maintenance")
    facts.wait_for()
    assert made["id"] in facts.inner_text()
    assert page.get_by_text("silenced", exact=True).count() >= 1  # the badge beside its state
    history = page.get_by_role("table").filter(has_text="What happened to this alert")
    history.get_by_role("cell", name="silenced", exact=True).wait_for()
    check_a11y(page, "a silenced alert")
    assert _heard(ops, alert["id"]) == []  # nothing was sent about it

    page.goto(f"{ops.server.url}/#/silences")
    form = page.get_by_role("form", name="Create a silence")
    form.get_by_label("Label 1").select_option("check_kind")
    form.get_by_label("Value 1").fill("volume")
    form.get_by_label("Comment").fill("Sunday backups")
    form.get_by_label("Repeats").check()
    form.get_by_label("Recurrence rule").fill("FREQ=WEEKLY;BYDAY=SU")
    form.get_by_label("Each occurrence lasts (minutes)").fill("180")
    form.get_by_label("Time zone of the rule").fill("Europe/Paris")
    form.get_by_role("button", name="Create the silence").click()
    page.locator("table.grid").get_by_text("Sunday backups").wait_for()
    listed = ops.server.admin.get("/api/v1/silences").json()["data"]
    weekly = next(s for s in listed if s["comment"] == "Sunday backups")
    assert weekly["recurrence"] == {"rrule": "FREQ=WEEKLY;BYDAY=SU", "duration_minutes": 180.0,
                                    "timezone": "Europe/Paris"}
    assert weekly["state"] in ("active", "pending") and (weekly["next"] or weekly["current"])
    check_a11y(page, "silences")
    shoot(page, "silences")

    page.get_by_role("button", name=f"Expire {made['id']}").click()
    page.get_by_text(f"Expired the silence {made['id']}.").wait_for()
    page.get_by_label("State").select_option("expired")
    page.locator(f"#silence-{made['id']}").get_by_text("expired").wait_for()
    wait_for(lambda: _heard(ops, alert["id"]), timeout=30, what="the notification once the silence ended")
    entries = ops.server.admin.get("/api/v1/audit", params={"action": "silence."}).json()["data"]
    assert [e["action"] for e in entries][:3] == ["silence.expire", "silence.create", "silence.create"]
