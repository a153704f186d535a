"""Editing a draft in the console: add a property in the form, see lint findings appear as one
types, save through the draft API with If-Match, see the diff, publish an additive change, and see
a breaking change refused with its list of changes; the YAML tab, and a 412 that says who changed
the draft and offers to compare or reload."""

from __future__ import annotations

from typing import Any

from conftest import Server, check_a11y, sign_in


def _event(page: Any, name: str) -> Any:
    page.get_by_role("navigation", name="Parts of the plan").get_by_role("button", name=name, exact=True).click()
    editor = page.locator("section.editor")
    editor.get_by_role("heading", name=f"Event “{name}”").wait_for()
    return editor


def _add_property(editor: Any, name: str) -> Any:
    editor.get_by_label("New property name").last.fill(name)
    editor.get_by_role("button", name="Add property").last.click()
    row = editor.locator("li.prop-edit").filter(has=editor.page.locator("summary code.prop-name", has_text=name))
    row.get_by_label("Property name").wait_for()
    return row


def test_form_lint_diff_publish_and_a_refused_breaking_change(page: Any, server: Server, shoot: Any) -> None:
    page.expect_http(409)
    sign_in(page, server, at="#/plans/ecommerce/draft")
    page.get_by_text("Lint: 0 errors, 0 warnings").wait_for()
    editor = _event(page, "Order Completed")
    # a lint finding appears inline as one types: a camelCase property name
    bad = _add_property(editor, "giftWrap")
    bad.get_by_role("list", name='Lint findings for events."Order Completed".properties.giftWrap').get_by_text(
        "does not follow the snake_case convention").wait_for()
    page.get_by_text("Lint: 0 errors, 2 warnings").wait_for()  # the name, and no description
    bad.get_by_role("button", name="Remove property giftWrap").click()
    # the property that stays: boolean, described
    row = _add_property(editor, "gift_wrap")
    row.get_by_role("checkbox", name="string").uncheck()
    row.get_by_role("checkbox", name="boolean").check()
    row.get_by_label("Description").fill("Whether the order is gift-wrapped.")
    page.get_by_text("Lint: 0 errors, 0 warnings").wait_for()
    # a near-duplicate event is an error in the lint panel
    page.get_by_label("New event name").fill("Completed Order")
    page.get_by_role("button", name="Add event").click()
    lint = page.get_by_role("complementary", name="Lint")
    lint.get_by_text("near-duplicate of event 'Order Completed'").wait_for()
    check_a11y(page, "draft form")
    shoot(page, "draft-form")
    page.get_by_role("button", name="Remove event Completed Order").click()
    page.get_by_text("Lint: 0 errors, 0 warnings").wait_for()
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Saved at").wait_for()
    spec = server.admin.get("/api/v1/plans/ecommerce/draft").json()["events"]["Order Completed"]["properties"]
    assert spec["gift_wrap"] == {"type": "boolean", "description": "Whether the order is gift-wrapped."}
    # the diff, then publish: the verdict is shown before the click
    page.get_by_role("link", name="Review diff and publish").click()
    changes = page.get_by_role("table", name="1 change")
    changes.wait_for()
    assert "property_added" in changes.inner_text() and "gift_wrap" in changes.inner_text()
    assert "additive" in changes.inner_text()
    page.get_by_text("Verdict under BACKWARD: compatible").wait_for()
    check_a11y(page, "diff")
    shoot(page, "diff")
    page.get_by_label("Publish message").fill("gift wrapping")
    page.get_by_role("button", name="Publish", exact=True).click()
    page.get_by_text("Published version 2").wait_for()
    assert server.admin.get("/api/v1/plans/ecommerce").json()["latest_version"] == 2
    # a breaking change: the new property becomes required
    page.get_by_role("link", name="Edit draft").click()
    row = _event(page, "Order Completed").locator("li.prop-edit").filter(has_text="gift_wrap")
    row.locator("summary").first.click()
    row.get_by_role("checkbox", name="Required").check()
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Saved at").wait_for()
    page.get_by_role("link", name="Review diff and publish").click()
    page.get_by_text("Verdict under BACKWARD: not compatible").wait_for()
    page.get_by_role("button", name="Publish", exact=True).click()
    refused = page.get_by_role("table", name="Breaking changes under BACKWARD (against v2)")
    refused.wait_for()
    assert "required_attribute_added" in refused.inner_text() and "gift_wrap" in refused.inner_text()
    assert "breaking" in refused.inner_text()
    page.get_by_role("alert").get_by_text("incompatible_plan").wait_for()
    shoot(page, "publish-refused")
    assert server.admin.get("/api/v1/plans/ecommerce").json()["latest_version"] == 2


def test_yaml_tab_lints_with_lines_and_a_412_says_who_changed_the_draft(page: Any, server: Server,
                                                                        shoot: Any) -> None:
    page.expect_http(412)
    sign_in(page, server, at="#/plans/mobile/draft?tab=yaml")
    text = page.get_by_label("The draft as YAML")
    text.wait_for()
    original = text.input_value()
    assert original.startswith("name: mobile")
    assert "display_name: Mobile app\n" in original
    edited = original.replace("display_name: Mobile app\n", "display_name: From the YAML tab\n", 1)
    text.fill(edited.replace("events:\n", "events:\n  app_opened:\n    description: snake case on purpose\n", 1))
    finding = page.get_by_role("complementary", name="Lint").locator("li.finding-row").filter(has_text="event_naming")
    finding.wait_for()
    finding.get_by_role("button", name="line").click()
    page.wait_for_function("() => document.activeElement.id === 'yaml-text'")
    selected = page.evaluate("() => { const t = document.getElementById('yaml-text');"
                             " return t.value.slice(t.selectionStart, t.selectionEnd); }")
    assert "app_opened" in selected
    check_a11y(page, "draft yaml")
    shoot(page, "draft-yaml")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Saved at").wait_for()
    draft = server.admin.get("/api/v1/plans/mobile/draft")
    assert draft.json()["display_name"] == "From the YAML tab" and "app_opened" in draft.json()["events"]
    # someone else changes the draft meanwhile
    maria = server.token("editor", "maria")
    theirs = draft.json()
    theirs["display_name"] = "Maria's name"
    changed = server.admin.put("/api/v1/plans/mobile/draft", json=theirs,
                               headers={"If-Match": draft.headers["etag"], "Authorization": f"Bearer {maria}"})
    assert changed.status_code == 200, changed.text
    text.fill(text.input_value().replace("From the YAML tab", "Mine, again"))
    page.get_by_role("button", name="Save draft").click()
    conflict = page.locator(".conflict")
    conflict.get_by_text("Changed by maria").wait_for()
    assert "etag_mismatch" in conflict.inner_text()
    conflict.get_by_role("button", name="Compare with mine").click()
    compared = conflict.get_by_role("table", name="1 difference")
    assert "Maria's name" in compared.inner_text() and "Mine, again" in compared.inner_text()
    shoot(page, "draft-conflict")
    conflict.get_by_role("button", name="Reload their draft (discard my changes)").click()
    page.get_by_text("No unsaved changes.").wait_for()
    assert "Maria's name" in text.input_value()
