"""Sign in, the role on every page, disabled actions with their reason, sign-out, and a 401 that
returns to sign-in; the console's own delivery (CSP, deep links on reload)."""

from __future__ import annotations

from typing import Any

import httpx
from conftest import ADMIN, Server, check_a11y, sign_in


def test_sign_in_shows_the_role_and_sign_out_forgets_the_token(page: Any, server: Server, shoot: Any) -> None:
    page.expect_http(401)
    page.goto(f"{server.url}/")
    check_a11y(page, "sign-in")
    shoot(page, "sign-in")
    page.get_by_label("API token").fill("gov_not_a_real_token")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").get_by_text("unauthorized").wait_for()
    assert page.evaluate("() => sessionStorage.length") == 0
    page.get_by_label("API token").fill(ADMIN)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Overview", level=1).wait_for()  # the home page after sign-in
    assert page.url.endswith("#/overview")
    assert page.locator(".role").inner_text() == "admin"
    assert page.evaluate("() => sessionStorage.getItem('governance.token')") == ADMIN
    page.reload()  # the token survives a reload of the tab
    page.get_by_role("heading", name="Overview", level=1).wait_for()
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("API token").wait_for()
    assert page.evaluate("() => sessionStorage.getItem('governance.token')") is None
    page.get_by_text("The token was forgotten").wait_for()


def test_a_viewer_sees_disabled_actions_with_the_reason(page: Any, server: Server) -> None:
    viewer = server.token("viewer", "vera")
    sign_in(page, server, viewer, at="#/plans/ecommerce/diff")
    assert page.locator(".role").inner_text() == "viewer"
    publish = page.get_by_role("button", name="Publish", exact=True)
    publish.wait_for()
    assert publish.is_disabled()
    assert publish.get_attribute("title") == "Needs the editor role: this token is a viewer."
    page.goto(f"{server.url}/#/sources/demo")
    toggle = page.get_by_role("switch", name="allowUnplannedEvents")
    toggle.wait_for()
    assert toggle.is_disabled() and "editor role" in (toggle.get_attribute("title") or "")
    create = page.get_by_role("button", name="Create a write key")
    assert create.is_disabled() and "editor role" in (create.get_attribute("title") or "")


def test_a_401_returns_to_sign_in(page: Any, server: Server) -> None:
    page.expect_http(401)
    made = server.admin.post("/api/v1/tokens", json={"role": "editor", "name": "short-lived"}).json()
    sign_in(page, server, made["token"])
    assert server.admin.delete(f"/api/v1/tokens/{made['id']}").status_code == 204
    page.get_by_role("link", name="Sources", exact=True).click()
    page.get_by_label("API token").wait_for()
    page.get_by_text("the server refused the token").wait_for()
    assert page.evaluate("() => sessionStorage.getItem('governance.token')") is None


def test_deep_links_survive_a_reload_and_the_console_is_locked_down(page: Any, server: Server) -> None:
    sign_in(page, server, at="#/plans/ecommerce?q=order")
    page.get_by_text("events match").wait_for()
    page.reload()
    page.get_by_text("events match").wait_for()
    assert page.get_by_label("Name or description").input_value() == "order"
    index = httpx.get(f"{server.url}/")
    assert index.status_code == 200 and "script-src 'self'" in index.headers["content-security-policy"]
    assert httpx.get(f"{server.url}/js/main.js").headers["content-type"].startswith("text/javascript")
    missing = httpx.get(f"{server.url}/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    page.goto(f"{server.url}/#/no/such/screen")
    page.get_by_role("heading", name="No screen at this address").wait_for()


def test_keyboard_only_and_readable_at_200_percent_zoom(page: Any, server: Server) -> None:
    page.set_viewport_size({"width": 640, "height": 900})  # a 1280 px window at 200 % zoom
    page.goto(f"{server.url}/#/plans/ecommerce")
    field = page.get_by_label("API token")
    field.wait_for()
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'token'")
    page.keyboard.type(ADMIN)  # the token field has the focus: no click needed
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="E-commerce v1", level=1).wait_for()
    assert page.evaluate("() => document.activeElement.tagName") == "H1"
    for _ in range(40):  # Tab through the page to the first event and open it with the keyboard
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.tagName") == "SUMMARY":
            break
    page.keyboard.press("Enter")
    page.locator("li.event details[open] ul.tree").first.wait_for()
    for screen in ("#/plans", "#/plans/ecommerce", "#/plans/ecommerce/draft", "#/sources/demo",
                   "#/sources/demo/events", "#/sources/demo/violations"):
        page.goto(f"{server.url}/{screen}")
        page.locator("main h1").wait_for()
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{screen} scrolls sideways at 200 % zoom by {overflow}px"
