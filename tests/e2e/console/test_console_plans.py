"""Plans in the console: the list, a plan's events with filters and the property tree, the other
sections, history with rollback, import with its report, export as a download."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from conftest import Server, check_a11y, sign_in

SEGMENT_RULES = [
    {"type": "TRACK", "key": "Signup Completed", "version": 1, "jsonSchema": {
        "$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "properties": {
            "properties": {"type": "object", "properties": {"plan": {"type": "string", "enum": ["free", "pro"]}},
                           "required": ["plan"]}}}},
    {"type": "SCREEN", "key": "Settings", "version": 1, "jsonSchema": {
        "$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "properties": {
            "properties": {"type": "object", "properties": {"tab": {"type": "date-time"}}}}}},
]


def test_plans_list_and_a_plan_with_filters_tree_and_sections(page: Any, server: Server, shoot: Any) -> None:
    sign_in(page, server)
    table = page.get_by_role("table", name="Tracking plans")
    for name in ("E-commerce", "mobile", "saas"):
        table.get_by_role("link", name=name, exact=False).first.wait_for()
    row = table.get_by_role("row").filter(has_text="E-commerce")
    assert "v1" in row.inner_text() and "same" in row.inner_text() and "demo" in row.inner_text()
    check_a11y(page, "plans")
    shoot(page, "plans")
    table.get_by_role("link", name="E-commerce").click()
    page.get_by_role("heading", name="E-commerce v1", level=1).wait_for()
    assert page.evaluate("() => document.activeElement.tagName") == "H1"  # focus moved to the new screen
    page.get_by_label("Label").select_option("team:checkout")
    page.get_by_text("events match").wait_for()
    names = page.locator("li.event .event-name").all_inner_texts()
    assert "Order Completed" in names and "Product Viewed" not in names
    page.get_by_label("Label").select_option("area:promotions")
    page.get_by_label("Owner").select_option("cart-team@example.com")
    page.wait_for_function("() => document.querySelectorAll('li.event').length === 1")
    assert page.locator("li.event .event-name").all_inner_texts() == ["Coupon Applied"]
    page.get_by_label("Label").select_option("")
    page.get_by_label("Owner").select_option("")
    page.get_by_label("Name or description").fill("order completed")
    page.wait_for_function("() => [...document.querySelectorAll('li.event .event-name')].map(e => e.textContent)"
                           ".join() === 'Order Completed'")
    page.locator("li.event summary").first.click()
    tree = page.get_by_role("list", name="Order Completed: properties")
    tree.wait_for()
    total = tree.locator("li.prop").filter(has=page.locator("code.prop-name", has_text="total")).first
    assert "number" in total.inner_text() and "≥ 0" in total.inner_text()
    assert "required" in tree.locator("li.prop").filter(has_text="order_id").first.inner_text()
    assert "ecommerce" in page.url and "q=order" in page.url
    page.get_by_text("Identify traits").click()
    traits = page.get_by_role("list", name="Identify traits: traits")
    assert "PII" in traits.locator("li.prop").filter(has_text="email").first.inner_text()
    check_a11y(page, "plan")
    shoot(page, "plan")


def test_history_rolls_back_and_export_downloads(page: Any, server: Server, shoot: Any) -> None:
    draft = server.admin.get("/api/v1/plans/saas/draft")
    body = draft.json()
    body["description"] = "second version"
    saved = server.admin.put("/api/v1/plans/saas/draft", json=body, headers={"If-Match": draft.headers["etag"]})
    assert saved.is_success, saved.text
    assert server.admin.post("/api/v1/plans/saas/versions", json={"message": "describe it"}).status_code == 201
    sign_in(page, server, at="#/plans/saas/history")
    table = page.get_by_role("table", name="Published versions")
    table.get_by_text("describe it").wait_for()
    assert "revision" in table.get_by_role("row").filter(has_text="v2").inner_text()
    check_a11y(page, "history")
    shoot(page, "history")
    table.get_by_role("button", name="Roll back to v1").click()
    page.get_by_text("v1 is published again as v3").wait_for()
    versions = server.admin.get("/api/v1/plans/saas/versions").json()["data"]
    assert versions[0]["version"] == 3 and versions[0]["rollback_of"] == 1
    page.get_by_role("link", name="Export").click()
    page.get_by_label("Format").select_option("yaml")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download").click()
    download = info.value
    assert download.suggested_filename == "saas-v3.yaml"
    assert yaml.safe_load(Path(download.path()).read_text())["name"] == "saas"
    check_a11y(page, "export")
    shoot(page, "export")


def test_import_a_segment_plan_shows_the_report(page: Any, server: Server, shoot: Any, tmp_path: Path) -> None:
    upload = tmp_path / "rules.json"
    upload.write_text(json.dumps(SEGMENT_RULES))
    sign_in(page, server, at="#/plans/import")
    page.get_by_label("Format").select_option("segment")
    page.get_by_label("Plan file").set_input_files(str(upload))
    page.get_by_label("Plan name (optional)").fill("signup")
    page.get_by_role("button", name="Import").click()
    report = page.get_by_role("table", name="What did not carry over")
    report.wait_for()
    assert "undeclared keys are unplanned properties" in report.inner_text()
    page.get_by_role("link", name="signup").click()
    page.get_by_role("heading", name="Edit the draft of signup").wait_for()
    assert server.admin.get("/api/v1/plans/signup/draft").json()["events"]["Signup Completed"]["properties"]["plan"][
        "enum"] == ["free", "pro"]
    page.go_back()
    check_a11y(page, "import")
    shoot(page, "import")
