"""Alerting in the console against a real serve with its worker, a real SMTP server (aiosmtpd) and a
webhook receiver on 127.0.0.1: a webhook channel whose test alert the receiver verifies (Standard
Webhooks, with the secret shown once), an email channel, routing rules with a dry run, the digest,
and an alert fired by the worker, opened from the link its webhook carried, acknowledged and
snoozed until its repeats stop — and the audit entries of all of it."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from conftest import Ops, check_a11y, sign_in, wait_for
from standardwebhooks.webhooks import Webhook


def _mails(ops: Ops, subject: str) -> list[Any]:
    """The messages the SMTP server accepted whose subject holds ``subject`` (alerts may arrive too)."""
    return [m for m in list(ops.smtp.messages) if subject in m[2]["Subject"]]


def _deliveries(ops: Ops, alert_id: int | None = None, path: str = "/hooks/alerts") -> list[dict[str, Any]]:
    """The webhook bodies received (about one alert when given), in order."""
    bodies = [json.loads(r.body) for r in list(ops.webhook.requests) if r.path.startswith(path)]
    return [b for b in bodies if alert_id is None or b["data"].get("id") == alert_id]


@pytest.fixture(scope="module", autouse=True)
def noisy(ops: Ops) -> str:
    """At the start of the module: a source sends an unplanned event, and a rule routes its alerts to
    the "pager" webhook. new_unplanned counts complete minutes, so it fires within a minute or so:
    the other tests run meanwhile. Returns the path the pager's notifications arrive at."""
    pager = ops.server.admin.post("/api/v1/alert-channels", json={"name": "pager", "kind": "webhook",
                                                                  "config": {"url": ops.webhook.url + "&pager=1"}})
    assert pager.status_code == 201
    rule = {"name": "noisy-app to pager", "matchers": {"source": "noisy-app"}, "channels": ["pager"]}
    assert ops.server.admin.post("/api/v1/alert-rules", json=rule).status_code == 201
    key = ops.server.source("noisy-app")
    check = {"kind": "new_unplanned", "source": "noisy-app", "for": 1}
    assert ops.server.admin.post("/api/v1/checks", json=check).status_code == 201
    ops.server.send(key, [{"type": "track", "event": "Promo Banner Clicked", "userId": "u1", "messageId": "pb-1"}])
    return "/hooks/alerts?team=data&pager=1"


def test_a_webhook_channel_test_alert_verifies_at_the_receiver(page: Any, ops: Ops, shoot: Any) -> None:
    sign_in(page, ops.server, at="#/channels")
    page.get_by_text("Create a channel").click()
    page.get_by_label("Channel name").fill("on-call hook")
    page.get_by_label("Kind").select_option("webhook")
    page.get_by_label("Webhook URL").fill(ops.webhook.url)
    page.get_by_role("button", name="Create channel").click()
    secret = page.locator("#channel-secret").inner_text()
    assert secret.startswith("whsec_")
    page.get_by_role("button", name="Copy the signing secret").click()
    assert page.evaluate("() => navigator.clipboard.readText()") == secret
    before = len(ops.webhook.requests)
    page.get_by_role("button", name="Send a test alert to on-call hook").click()
    page.get_by_text(re.compile("The receiver answered 200")).wait_for()
    [request] = [r for r in ops.webhook.requests[before:] if r.path == "/hooks/alerts?team=data"]
    payload = Webhook(secret).verify(request.body, request.headers)  # the signature holds, byte for byte
    assert payload["type"] == "alert.firing" and payload["data"]["title"] == "Test alert from governance (on-call hook)"
    assert payload["data"]["url"] == f"{ops.server.url}/#/alerts"
    page.reload()  # the secret was shown once
    page.get_by_role("heading", name=re.compile("on-call hook")).wait_for()
    assert secret not in page.content() and page.locator("#channel-secret").count() == 0
    page.get_by_text("Create a channel").click()
    page.get_by_label("Channel name").fill("data team mail")
    page.get_by_label("Kind").select_option("email")
    page.get_by_label("Recipients").fill("data@example.com, owner")
    page.get_by_role("button", name="Create channel").click()
    page.get_by_text("Created channel data team mail.").wait_for()
    page.get_by_label("Send the test to").fill("checkout@example.com")
    page.get_by_role("button", name="Send a test alert to data team mail").click()
    page.get_by_text(re.compile("The receiver accepted it")).wait_for()  # the SMTP server took it
    [(_, recipients, _)] = _mails(ops, "Test alert from governance")
    assert sorted(recipients) == ["checkout@example.com", "data@example.com"]
    check_a11y(page, "channels")
    shoot(page, "channels")
    entries = ops.server.admin.get("/api/v1/audit", params={"action": "channel."}).json()["data"]
    assert [e["action"] for e in entries][:4] == ["channel.test", "channel.create", "channel.test", "channel.create"]
    assert entries[0]["details"] == {"ok": True, "status": None, "error": None}
    assert entries[2]["details"] == {"ok": True, "status": 200, "error": None}


def test_rules_with_a_dry_run_and_the_digest(page: Any, ops: Ops, shoot: Any) -> None:
    channel = ops.server.admin.post("/api/v1/alert-channels", json={"name": "shop hook", "kind": "webhook",
                                                                    "config": {"url": ops.webhook.url}})
    assert channel.status_code == 201
    sign_in(page, ops.server, at="#/channels/rules")
    page.get_by_text("Create a rule").click()
    form = page.get_by_role("form", name="Create a rule")
    form.get_by_label("Rule name").fill("checkout to the shop hook")
    form.get_by_label("Event").fill("Order Completed, Checkout Started")
    form.get_by_label("Minimum severity").select_option("warning")
    form.get_by_label("shop hook").check()
    form.get_by_role("button", name="Create rule").click()
    page.get_by_text("Created the rule checkout to the shop hook.").wait_for()
    heading = page.get_by_role("heading", name=re.compile("checkout to the shop hook"))
    rule = page.get_by_role("listitem").filter(has=heading)
    assert "event Order Completed, Checkout Started" in rule.inner_text() and "shop hook" in rule.inner_text()
    dry = page.get_by_role("form", name="Dry run of the routing")
    dry.get_by_label("Event").fill("Order Completed")
    dry.get_by_label("Severity").select_option("info")  # below the rule's minimum
    dry.get_by_role("button", name="Where would it go?").click()
    page.get_by_text("would reach no channel").wait_for()
    dry.get_by_label("Severity").select_option("critical")
    dry.get_by_role("button", name="Where would it go?").click()
    page.get_by_text("An alert with these labels would reach:").wait_for()
    reached = page.get_by_role("status").filter(has_text="would reach").inner_text()
    assert "shop hook" in reached and "via rule" in reached and "pager" not in reached
    check_a11y(page, "routing rules")
    shoot(page, "rules")
    rule.get_by_role("button", name="Edit checkout to the shop hook").click()
    edit = page.get_by_role("form", name="Edit the rule checkout to the shop hook")
    edit.get_by_label("Labels").fill("team=checkout")
    edit.get_by_role("button", name="Save checkout to the shop hook").click()
    page.get_by_text("Saved the rule checkout to the shop hook.").wait_for()
    rules = ops.server.admin.get("/api/v1/alert-rules").json()["data"]
    [stored] = [r for r in rules if r["name"].startswith("checkout")]
    assert stored["matchers"]["labels"] == {"team": "checkout"} and stored["matchers"]["severity"] == "warning"
    page.get_by_role("link", name="Daily digest").click()
    page.get_by_label("Send the digest every day").check()
    page.get_by_label("Hour (UTC)").select_option("7")
    page.get_by_label("Recipients", exact=True).fill("digest@example.com")
    page.get_by_role("button", name="Save the digest settings").click()
    page.get_by_text("Saved the digest settings.").wait_for()
    assert ops.server.admin.get("/api/v1/digest").json() == {"enabled": True, "hour": 7,
                                                             "recipients": ["digest@example.com"]}
    page.get_by_text(re.compile("^Daily digest: .* violations on")).wait_for()  # the preview
    page.get_by_role("button", name="Send the digest now").click()
    page.get_by_text("to digest@example.com.").wait_for()
    [(_, recipients, _)] = _mails(ops, "[governance] Daily digest")
    assert recipients == ["digest@example.com"]
    check_a11y(page, "digest")
    shoot(page, "digest")


def test_an_alert_opened_from_its_webhook_link_is_acknowledged_and_snoozed_and_repeats_stop(
        page: Any, ops: Ops, noisy: str, shoot: Any) -> None:
    pager_path = noisy
    first = wait_for(lambda: _deliveries(ops, path=pager_path), timeout=80, what="the first alert notification")[0]
    alert_id, link = first["data"]["id"], first["data"]["url"]
    assert link == f"{ops.server.url}/#/alerts/{alert_id}" and "Promo Banner Clicked" in first["data"]["title"]
    wait_for(lambda: len(_deliveries(ops, alert_id, pager_path)) >= 2, timeout=15, what="a repeat")  # it repeats
    sign_in(page, ops.server, at=link.removeprefix(ops.server.url + "/"))  # the link the webhook carried
    page.get_by_role("heading", name=first["data"]["title"], level=1).wait_for()
    assert "firing" in page.locator("main").inner_text()
    notes = page.get_by_role("table", name=re.compile("notifications? about this alert"))
    assert notes.get_by_role("row").filter(has_text="pager").count() >= 2
    page.get_by_label("Comment (optional, kept in the history)").fill("looking at the banner")
    page.get_by_role("button", name="Acknowledge", exact=True).click()
    page.get_by_text("Acknowledged: no more repeats.").wait_for()
    time.sleep(0.5)  # a delivery already under way may still land
    acked = len(_deliveries(ops, alert_id, pager_path))
    time.sleep(7)  # more than two repeat intervals (3 s)
    assert len(_deliveries(ops, alert_id, pager_path)) == acked  # no repeat while acknowledged
    page.get_by_role("button", name="Withdraw the acknowledgement").click()
    page.get_by_text("Acknowledgement withdrawn: repeats resume.").wait_for()
    wait_for(lambda: len(_deliveries(ops, alert_id, pager_path)) > acked, timeout=15, what="the repeats to resume")
    page.get_by_label("Snooze for").select_option("60")
    page.get_by_role("button", name="Snooze", exact=True).click()
    page.get_by_text("Snoozed for 1 hour.").wait_for()
    time.sleep(0.5)
    snoozed = len(_deliveries(ops, alert_id, pager_path))
    time.sleep(7)
    assert len(_deliveries(ops, alert_id, pager_path)) == snoozed  # no repeat while snoozed
    page.reload()
    history = page.get_by_role("table", name=re.compile("What happened to this alert"))
    for action in ("fired", "acked", "unacked", "snoozed"):
        history.get_by_role("cell", name=action, exact=True).first.wait_for()
    assert "looking at the banner" in history.inner_text()
    check_a11y(page, "alert")
    shoot(page, "alert")
    page.get_by_role("link", name="Alerts", exact=True).first.click()
    row = page.get_by_role("row").filter(has_text=first["data"]["title"])
    assert "snoozed" in row.inner_text() and "firing" in row.inner_text()
    check_a11y(page, "alerts")
    shoot(page, "alerts")
    page.goto(f"{ops.server.url}/#/audit?entity=alert&entity_id={alert_id}")
    entries = page.get_by_role("table", name=re.compile("entr")).get_by_role("row")
    entries.filter(has_text="alert.snooze").wait_for()
    assert [entries.filter(has_text=f"alert.{a}").count() for a in ("ack", "unack", "snooze")] == [1, 1, 1]
