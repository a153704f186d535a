"""The operations console against a real serve with its worker and a recording upstream on 127.0.0.1:
the overview's chart with data (and numbers that agree with /violations and the digest), a blocked
event found in the quarantine and replayed after a plan that allows it is published (and seen
forwarded upstream), a dead letter with its status and our reason replayed, the tokens page, and
the audit entries of these actions."""

from __future__ import annotations

import re
from typing import Any

from conftest import Ops, check_a11y, sign_in, wait_for

from tests.alerts.conftest import start_receiver, stop_receiver


def _source(ops: Ops, name: str, upstream: str, **settings: Any) -> str:
    """A source with its upstream and schema controls from the start (the proxy loads them with its
    key: the first event is judged with them)."""
    body = {"name": name, "plan": "ecommerce", "mode": "enforce", "upstream_url": upstream, "settings": settings}
    made = ops.server.admin.post("/api/v1/sources", json=body)
    assert made.status_code == 201, made.text
    return str(made.json()["write_key"])


def _order(message_id: str, total: Any = 12, **more: Any) -> dict[str, Any]:
    return {"type": "track", "event": "Order Completed", "userId": "u1", "messageId": message_id,
            "properties": {"order_id": f"o-{message_id}", "total": total, "currency": "EUR", **more}}


def _changes(row: Any) -> dict[str, str]:
    """An audit entry's "what changed", as shown: {key: value}."""
    return dict(row.locator("dl.changes > div").evaluate_all(
        "els => els.map(e => [e.querySelector('dt').innerText, e.querySelector('dd').innerText])"))


def _track(event: str, message_id: str, **properties: Any) -> dict[str, Any]:
    return {"type": "track", "event": event, "userId": "u1", "messageId": message_id, "properties": properties}


def test_overview_shows_traffic_with_numbers_that_agree_with_the_api_and_the_digest(page: Any, ops: Ops,
                                                                                   shoot: Any) -> None:
    key = _source(ops, "web-shop", f"http://127.0.0.1:{ops.upstream.port}")
    ops.server.send(key, [_order("ov-1"), _order("ov-2"), _order("ov-3", total=-5), _order("ov-4", total="12"),
                          _track("Product Viewed", "ov-5", product_id="p-1")])
    wait_for(lambda: {"ov-1", "ov-2", "ov-5"} <= set(ops.upstream_ids()), what="the worker to forward")
    sign_in(page, ops.server, at="")
    page.get_by_role("heading", name="Overview", level=1).wait_for()
    assert page.url.endswith("#/overview")  # the home page after sign-in
    card = page.get_by_role("article").filter(has=page.get_by_role("heading", name="web-shop"))
    figure = card.get_by_role("figure")
    figure.locator("canvas").wait_for()
    series = ops.server.admin.get("/api/v1/sources/web-shop/series", params={"window": "1h", "step": "minute"}).json()
    caption = figure.locator("figcaption").inner_text()
    for outcome, values in series["outcomes"].items():
        assert f"{outcome} {sum(values)}" in caption
    assert f"violations {sum(series['violations'])}" in caption and sum(series["violations"]) == 2
    assert "Outbox" in card.inner_text() and "Last forward error" in card.inner_text()
    violations = ops.server.admin.get("/api/v1/sources/web-shop/violations", params={"window": "24h"}).json()
    digest = ops.server.admin.get("/api/v1/digest/preview").json()
    [from_digest] = [s for s in digest["sources"] if s["source"] == "web-shop"]
    top = page.get_by_role("table", name=re.compile("Top violations, last 24 hours"))
    row = top.get_by_role("row").filter(has_text="web-shop").filter(has_text="Order Completed")
    cells = row.get_by_role("cell").all_inner_texts()
    assert int(cells[1]) == sum(g["count"] for g in violations["data"] if g["event"] == "Order Completed")
    assert int(cells[1]) == from_digest["by_event"][0]["violations"] == 2
    check_a11y(page, "overview")
    shoot(page, "overview")
    page.get_by_role("radio", name="Last 24 hours").check()
    day = "web-shop: events per minute by outcome, violations overlaid, the last 24 hours"
    page.get_by_role("figure").filter(has_text=day).wait_for()
    assert "window=24h" in page.url


def test_a_blocked_event_is_replayed_after_a_plan_that_allows_it_is_published(page: Any, ops: Ops,
                                                                               shoot: Any) -> None:
    key = _source(ops, "strict-shop", f"http://127.0.0.1:{ops.upstream.port}",
                  track={"allowUnplannedEvents": False})
    ops.server.send(key, [_track("Wishlist Viewed", "wl-1", wishlist_id="w-1"), _order("wl-ok")])
    sign_in(page, ops.server, at="#/quarantine")
    page.get_by_label("Source", exact=True).select_option("strict-shop")
    page.get_by_label("Event", exact=True).fill("Wishlist Viewed")
    page.get_by_label("Event", exact=True).press("Enter")
    table = page.get_by_role("table", name=re.compile("quarantined event"))
    row = table.get_by_role("row").filter(has_text="Wishlist Viewed")
    row.wait_for()
    assert "unplanned_event" in row.inner_text() and "not replayed" in row.inner_text()
    assert "source=strict-shop" in page.url and "event=Wishlist+Viewed" in page.url  # the filter has an address
    row.get_by_role("button", name=re.compile("^Inspect event")).click()
    payload = page.get_by_role("figure").filter(has_text="Payload of event")
    payload.locator("mark.hit").wait_for()
    assert '"event": "Wishlist Viewed"' in payload.locator("mark.hit").inner_text()  # the violating path
    assert "violation here" in payload.inner_text() and '"wishlist_id": "w-1"' in payload.inner_text()
    check_a11y(page, "quarantine")
    shoot(page, "quarantine")
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Replay selected (1)").click()
    results = page.get_by_role("table", name="Outcome of each replay")
    results.get_by_text("still_blocked — unplanned_event").wait_for()  # the plan does not know it yet
    assert "wl-1" not in ops.upstream_ids()
    etag = ops.server.admin.get("/api/v1/plans/ecommerce/draft").headers["etag"]
    spec = {"description": "A wishlist was opened.", "properties": {"wishlist_id": {"type": "string"}}}
    assert ops.server.admin.put("/api/v1/plans/ecommerce/draft/events/Wishlist Viewed", json=spec,
                                headers={"If-Match": etag}).status_code == 200
    assert ops.server.admin.post("/api/v1/plans/ecommerce/versions", json={"message": "wishlist"}).status_code == 201
    page.get_by_role("button", name=re.compile("^Replay all 1 matching the filter")).click()  # the dialog is accepted
    results.get_by_role("row").filter(has_text="Wishlist Viewed").get_by_text("forwarded").wait_for()
    marked = table.get_by_role("row").filter(has_text="Wishlist Viewed")
    marked.get_by_text(re.compile("replayed: forwarded")).wait_for()  # replayed events are marked
    assert "replayed=1" in page.url
    wait_for(lambda: "wl-1" in ops.upstream_ids(), what="the replayed event upstream")  # forwarded, for real
    assert ops.upstream_ids().count("wl-1") == 1
    shoot(page, "quarantine-replayed")
    page.goto(f"{ops.server.url}/#/audit?action=quarantine.replay")
    entries = page.get_by_role("table", name=re.compile("entr")).get_by_role("row").filter(has_text="quarantine.replay")
    entries.first.wait_for()
    assert entries.count() == 2 and "bootstrap" in entries.nth(0).inner_text()  # who, by token name
    newest, first = _changes(entries.nth(0)), _changes(entries.nth(1))
    assert (newest["matched"], newest["forwarded"], newest["still_blocked"]) == ("1", "1", "0")
    assert (first["forwarded"], first["still_blocked"]) == ("0", "1") and '"wl-1"' not in str(first)


def test_a_dead_letter_shows_the_status_and_our_reason_and_is_replayed(page: Any, ops: Ops, shoot: Any) -> None:
    refusing, thread = start_receiver()
    refusing.status = 400
    try:
        key = _source(ops, "refused-shop", f"http://127.0.0.1:{refusing.port}")
        ops.server.send(key, [_order("dl-1")])
        dead = ops.server.admin.get
        wait_for(lambda: dead("/api/v1/dead-letter", params={"source": "refused-shop"}).json()["count"],
                 what="the dead letter")
        sign_in(page, ops.server, at="#/dead-letters?source=refused-shop")
        table = page.get_by_role("table", name=re.compile("dead letter"))
        row = table.get_by_role("row").filter(has_text="Order Completed")
        row.wait_for()
        assert "HTTP 400" in row.inner_text() and "ok" not in row.get_by_role("cell").nth(4).inner_text()
        row.get_by_role("button", name=re.compile("^Inspect dead letter")).click()
        payload = page.get_by_role("figure").filter(has_text="Payload of dead letter")
        payload.get_by_text('"messageId": "dl-1"').wait_for()
        check_a11y(page, "dead letters")
        shoot(page, "dead-letters")
        page.goto(f"{ops.server.url}/#/overview")
        card = page.get_by_role("article").filter(has=page.get_by_role("heading", name="refused-shop"))
        card.get_by_text(re.compile("dead-lettered")).wait_for()  # the last forward error
        assert "upstream answered HTTP 400" in card.inner_text()
        refusing.status = 200
        page.goto(f"{ops.server.url}/#/dead-letters?source=refused-shop")
        row.get_by_role("checkbox").check()
        page.get_by_role("button", name="Replay selected (1)").click()
        page.get_by_text("Replayed: 1 event back in the outbox").wait_for()
        wait_for(lambda: any(b'"dl-1"' in r.body for r in refusing.requests[1:]), what="the retried delivery")
        page.get_by_text("No dead letters match this filter.").wait_for()
    finally:
        stop_receiver(refusing, thread)


def test_tokens_are_created_once_listed_and_revoked(page: Any, ops: Ops, shoot: Any) -> None:
    sign_in(page, ops.server, at="#/tokens")
    page.get_by_label("Token name").fill("ci-bot")
    page.get_by_label("Role").select_option("editor")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#new-token").inner_text()
    assert secret.startswith("gov_")
    page.get_by_role("button", name="Copy the token").click()
    assert page.evaluate("() => navigator.clipboard.readText()") == secret
    row = page.get_by_role("row").filter(has_text="ci-bot")
    assert "editor" in row.inner_text() and secret not in page.locator("table").inner_text()  # shown once
    check_a11y(page, "tokens")
    shoot(page, "tokens")
    row.get_by_role("button", name="Revoke ci-bot").click()
    row.get_by_text(re.compile("revoked")).wait_for()
    made = ops.server.admin.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert made.status_code == 401
    row.get_by_role("link", name="Audit of ci-bot").click()
    entries = page.get_by_role("table", name=re.compile("entr")).get_by_role("row")
    revoked = entries.filter(has_text="token.revoke")
    revoked.wait_for()
    created = entries.filter(has_text="token.create")
    assert "bootstrap" in revoked.inner_text() and _changes(created) == {"role": "editor", "name": "ci-bot"}
    page.goto(f"{ops.server.url}/#/audit")  # everything done in this module, newest first
    page.get_by_role("row").filter(has_text="token.revoke").first.wait_for()
    check_a11y(page, "audit log")
    shoot(page, "audit")


def test_the_operations_screens_reflow_at_200_percent_zoom(page: Any, ops: Ops) -> None:
    page.set_viewport_size({"width": 640, "height": 900})  # a 1280 px window at 200 % zoom
    sign_in(page, ops.server, at="#/overview")
    for screen in ("#/overview", "#/quarantine?replayed=1", "#/dead-letters", "#/alerts", "#/checks", "#/channels",
                   "#/channels/rules", "#/channels/digest", "#/audit", "#/tokens"):
        page.goto(f"{ops.server.url}/{screen}")
        page.locator("main h1").wait_for()
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{screen} scrolls sideways at 200 % zoom by {overflow}px"
