"""Sources in the console: the list, settings (schema controls, mode, write keys), events seen with
"did you mean" and its two one-click fixes (found after a real POST /v1/batch), transformations
with a preview, shadow impact and the violations explorer."""

from __future__ import annotations

import re
from typing import Any

from conftest import Server, check_a11y, sign_in

STRICT = {"track": {"allowUnplannedEvents": False, "allowEventOnViolations": False}}


def _order(message_id: str, total: Any) -> dict[str, Any]:
    return {"type": "track", "event": "Order Completed", "userId": "u1", "messageId": message_id,
            "properties": {"order_id": "o-1", "total": total, "currency": "EUR"}}


def test_flip_a_schema_control_change_mode_and_manage_write_keys(page: Any, server: Server, shoot: Any) -> None:
    sign_in(page, server, at="#/sources/demo")
    switch = page.get_by_role("switch", name="allowUnplannedEvents")
    assert switch.is_checked()
    switch.uncheck()
    page.get_by_text("Saved: track.allowUnplannedEvents is now false.").wait_for()
    assert server.admin.get("/api/v1/sources/demo/settings").json()["track"]["allowUnplannedEvents"] is False
    assert page.locator("#sc-track-allowUnplannedEvents-state").inner_text() == "Block"
    page.get_by_label("commonEventOnViolations common-schema violations").first.select_option("BLOCK")
    page.get_by_text("Saved: track.commonEventOnViolations").wait_for()
    assert server.admin.get("/api/v1/sources/demo/settings").json()["track"]["commonEventOnViolations"] == "BLOCK"
    page.get_by_role("radio", name=re.compile("^shadow")).check()
    page.get_by_text("Saved: the source is now in shadow mode.").wait_for()
    assert server.admin.get("/api/v1/sources/demo").json()["mode"] == "shadow"
    page.get_by_role("radio", name=re.compile("^enforce")).check()
    page.get_by_text("Saved: the source is now in enforce mode.").wait_for()
    page.get_by_role("button", name="Create a write key").click()
    secret = page.locator("#new-key").inner_text()
    assert secret.startswith("wk_")
    page.get_by_role("button", name="Copy the write key").click()
    assert page.evaluate("() => navigator.clipboard.readText()") == secret
    keys = server.admin.get("/api/v1/sources/demo/write-keys").json()
    new = next(k for k in keys if secret.startswith(k["prefix"]))
    page.get_by_role("button", name=f"Revoke {new['prefix']}…").click()
    page.get_by_text("1 active key").wait_for()
    assert next(k for k in server.admin.get("/api/v1/sources/demo/write-keys").json()
                if k["id"] == new["id"])["revoked_at"] is not None
    page.get_by_label("Upstream URL").fill("http://127.0.0.1:9/collect")
    page.get_by_role("button", name="Save the upstream").click()
    page.get_by_text("Saved the upstream.").wait_for()
    assert server.admin.get("/api/v1/sources/demo").json()["upstream_url"] == "http://127.0.0.1:9/collect"
    check_a11y(page, "source settings")
    shoot(page, "source")


def test_events_seen_did_you_mean_rename_and_add_to_draft(page: Any, server: Server, shoot: Any) -> None:
    key = server.source("android")
    server.send(key, [{"type": "track", "event": "Completed Order", "userId": "u1", "messageId": "m-1",
                       "properties": {"order_id": "o-1", "total": 12}},
                      _order("m-2", "12")])
    sign_in(page, server, at="#/sources")
    row = page.get_by_role("table", name="Sources").get_by_role("row").filter(has_text="android")
    row.wait_for()
    assert "ecommerce" in row.inner_text() and "2" in row.inner_text()
    check_a11y(page, "sources")
    shoot(page, "sources")
    row.get_by_role("link", name="android").click()
    page.get_by_role("link", name="Events seen").click()
    seen = page.get_by_role("table", name="event names").or_(page.locator("table.grid").last)
    entry = page.get_by_role("row").filter(has_text="Completed Order").filter(has_text="unplanned")
    entry.get_by_text("did you mean Order Completed?").wait_for()
    assert "forwarded: 1" in entry.inner_text()
    page.get_by_role("figure").filter(has_text="Events by outcome").wait_for()
    assert seen.is_visible()
    check_a11y(page, "events seen")
    shoot(page, "events-seen")
    entry.get_by_role("button", name="Rename to “Order Completed”").click()
    page.get_by_text("Created the transformation renaming “Completed Order” to “Order Completed”.").wait_for()
    made = server.admin.get("/api/v1/sources/android/transformations").json()
    assert [(t["action"], t["params"], t["if"]) for t in made] == [
        ("rename_event", {"to": "Order Completed"}, {"kind": "track", "event": "Completed Order"})]
    entry.get_by_role("button", name="Add “Completed Order” to the plan's draft").click()
    page.get_by_text("Added “Completed Order” to the draft of ecommerce.").wait_for()
    added = server.admin.get("/api/v1/plans/ecommerce/draft").json()["events"]["Completed Order"]
    assert added["properties"]["order_id"]["type"] == "string"


def test_transformations_add_reorder_edit_and_preview(page: Any, server: Server, shoot: Any) -> None:
    server.source("ios")
    sign_in(page, server, at="#/sources/ios/transformations")
    page.get_by_text("No transformations.").wait_for()
    for name, action, fields in (("rename", "rename_event", {"Only for the event or name": "Completed Order",
                                                              "to": "Order Completed"}),
                                 ("drop coupon", "drop_property", {"path": "properties.coupon"})):
        page.get_by_role("button", name="Add a transformation").click()
        form = page.locator("form.transformation-form")
        form.get_by_label("Transformation name").fill(name)
        form.get_by_label("Action").select_option(action)
        for label, value in fields.items():
            form.get_by_label(label, exact=True).fill(value)
        form.get_by_role("button", name="Add the transformation").click()
        page.get_by_text(f"Added “{name}”.").wait_for()
    page.get_by_role("button", name="Move drop coupon up").click()
    page.get_by_text("Moved “drop coupon” up.").wait_for()
    order = [t["name"] for t in server.admin.get("/api/v1/sources/ios/transformations").json()]
    assert order == ["drop coupon", "rename"]
    page.get_by_role("button", name="Edit rename").click()
    page.locator("form.transformation-form").get_by_label("Transformation name").fill("rename android event")
    page.get_by_role("button", name="Save the transformation").click()
    page.get_by_text("Saved “rename android event”.").wait_for()
    page.get_by_role("button", name="Preview").click()
    verdict = page.locator(".verdict-box")
    verdict.wait_for()
    assert "forwarded Order Completed" in verdict.locator("p").inner_text()  # renamed before it was judged
    assert '"planned": true' in verdict.inner_text() and '"rename android event"' in verdict.inner_text()
    check_a11y(page, "transformations")
    shoot(page, "transformations")


def test_shadow_impact_and_violations_explorer(page: Any, server: Server, shoot: Any) -> None:
    made = server.admin.post("/api/v1/sources", json={"name": "web", "plan": "ecommerce", "mode": "shadow",
                                                      "settings": STRICT})
    assert made.status_code == 201, made.text
    server.send(made.json()["write_key"], [
        {"type": "track", "event": "Completed Order", "userId": "u1", "messageId": "s-1"},
        _order("s-2", -5), _order("s-3", 10)])
    sign_in(page, server, at="#/sources/web/shadow")
    summary = page.get_by_role("table", name="What enforce would have done")
    summary.get_by_role("row").filter(has_text="Last 24 hours").wait_for()
    assert "3" in summary.get_by_role("row").filter(has_text="Last hour").inner_text()
    detail = page.get_by_role("table", name="Events enforce would have blocked or trimmed")
    unplanned = detail.get_by_role("row").filter(has_text="Completed Order")
    assert "unplanned_event" in unplanned.inner_text()
    assert "range at properties.total" in detail.get_by_role("row").filter(has_text="Order Completed").inner_text()
    check_a11y(page, "shadow impact")
    shoot(page, "shadow-impact")
    page.get_by_role("link", name="Violations").click()
    group = page.locator("li.vevent").filter(has_text="Order Completed")
    group.locator("li.vfield").filter(has_text="properties.total").wait_for()
    kind = group.locator("li.vtype").filter(has_text="range")
    assert kind.get_by_role("img").get_attribute("aria-label").startswith("Order Completed properties.total range: 1")
    assert "first seen" in kind.inner_text() and "last seen" in kind.inner_text()
    kind.get_by_text("1 sample payload").click()
    assert '"total": -5' in kind.locator("mark.hit").inner_text()
    kind.get_by_text("← violation here").wait_for()
    page.get_by_role("radio", name="Last 7 days").check()
    page.wait_for_url("**window=7d**")
    check_a11y(page, "violations")
    shoot(page, "violations")
