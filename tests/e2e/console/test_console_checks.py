"""Checks in the console against a real serve with its worker: a volume check made in the form
generated from its kind's JSON Schema, its run history with the chart of what each run observed
against the expected band (over two weeks of counters seeded into the serve's database, since a
baseline needs history no test can wait for), run now, edit; and an expectations check whose
stored Great Expectations result shows the failed expectation, its unexpected values and `mostly`."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from conftest import Ops, check_a11y, sign_in, wait_for

DAYS = 14
PER_HOUR = 600  # ten "Product Viewed" a minute, every hour of two weeks


def _seed_history(ops: Ops, source_id: str, event: str) -> None:
    """Two weeks of forwarded events in the counters: an hour's count in one row per hour, and one
    row per minute for the last two hours and the next twenty minutes (the checks read hours for the
    baseline, minutes for now)."""
    now_minute = int(time.time() // 60)
    hour = now_minute // 60
    rows = [(h * 60, PER_HOUR) for h in range(hour - DAYS * 24, hour - 2)]
    # and the next 20 minutes: the runs judge the hour before their own minute, whenever they come
    rows += [(m, PER_HOUR // 60) for m in range((hour - 2) * 60, now_minute + 20)]
    with ops.db() as conn:
        conn.executemany("INSERT INTO event_counts (minute, source_id, kind, event, outcome, planned, count) "
                         "VALUES (?, ?, 'track', ?, 'forwarded', 1, ?)",
                         [(minute, source_id, event, count) for minute, count in rows])


def test_a_volume_check_made_in_the_form_shows_its_history_against_the_band(page: Any, ops: Ops, shoot: Any) -> None:
    ops.server.source("steady-app")
    source_id = ops.server.admin.get("/api/v1/sources/steady-app").json()["id"]
    _seed_history(ops, source_id, "Product Viewed")
    sign_in(page, ops.server, at="#/checks")
    page.get_by_text("Create a check").click()
    form = page.get_by_role("form", name="Create a check")
    form.get_by_label("Kind").select_option("volume")
    form.get_by_label("Source").select_option("steady-app")
    form.get_by_label("Event").fill("Product Viewed")
    form.get_by_label("windows").fill("30, 60")
    form.get_by_label("sensitivity").fill("4")
    form.get_by_label("direction").select_option("drop")
    assert "z-score a window must pass" in form.inner_text()  # the schema's descriptions, beside each field
    form.get_by_role("button", name="Create the check").click()
    note = page.get_by_role("status").filter(has_text="Created the volume check")
    note.wait_for()
    check_id = re.search(r"chk_\w+", note.inner_text()).group(0)  # type: ignore[union-attr]
    made = ops.server.admin.get(f"/api/v1/checks/{check_id}").json()
    assert made["origin"] == "api" and made["params"] == {"windows": [30, 60], "sensitivity": 4, "direction": "drop"}
    page.get_by_label("Made by").select_option("api")
    row = page.get_by_role("row").filter(has_text=check_id)
    row.wait_for()
    check_a11y(page, "checks")
    shoot(page, "checks")
    row.get_by_role("link", name="volume").click()
    page.get_by_role("heading", name="volume on steady-app: Product Viewed", level=1).wait_for()
    page.get_by_role("button", name=re.compile("^Run volume now")).click()
    page.get_by_text("Asked the worker to run it").wait_for()
    page.get_by_role("row").filter(has_text="manual").first.wait_for()  # the run asked for, taken by the worker
    runs_of = f"/api/v1/checks/{check_id}/runs"
    wait_for(lambda: ops.server.admin.get(runs_of).json()["count"] >= 3, timeout=60, what="three runs")
    page.get_by_role("button", name="Reload the runs").click()
    chart = page.get_by_role("figure").filter(has_text="against the expected band")
    chart.get_by_text(re.compile(r"\b([3-9]|\d\d+) runs")).wait_for()
    chart.locator("canvas").wait_for()
    runs = ops.server.admin.get(runs_of, params={"results": True, "limit": 50}).json()["data"]
    measured = [r["result"]["volume"] for r in runs if r["result"]]
    assert measured and all(m["window_minutes"] == 60 for m in measured)  # the longest window on top
    assert all(m["low"] <= m["observed"] <= m["high"] for m in measured), measured
    assert all(abs(m["observed"] - PER_HOUR) <= 5 for m in measured)  # the seeded hour (and nothing else)
    chart.get_by_text("The numbers").click()
    numbers = chart.get_by_role("table", name=re.compile("^Events in the last 60 min"))
    first = numbers.get_by_role("row").nth(1).get_by_role("cell").all_inner_texts()
    assert first[0].replace(",", "").startswith(str(int(measured[-1]["observed"])))  # oldest run first
    assert "0 outside the band" in chart.inner_text()
    check_a11y(page, "volume check")
    shoot(page, "check-volume")
    page.get_by_role("button", name="Edit the check").click()
    edit = page.get_by_role("form", name=f"Edit check {check_id}")
    edit.get_by_label("Severity").select_option("critical")
    edit.get_by_label("sensitivity").fill("5")
    edit.get_by_role("button", name="Save the check").click()
    page.get_by_text("Saved the check.").wait_for()
    saved = ops.server.admin.get(f"/api/v1/checks/{check_id}").json()
    assert saved["severity"] == "critical" and saved["params"]["sensitivity"] == 5
    audit = ops.server.admin.get("/api/v1/audit", params={"entity": "check", "entity_id": check_id}).json()["data"]
    assert sorted(e["action"] for e in audit) == ["check.create", "check.run", "check.update"]


def test_an_expectations_check_shows_its_great_expectations_result(page: Any, ops: Ops, shoot: Any) -> None:
    key = ops.server.source("gx-shop")
    ops.server.send(key, [{"type": "track", "event": "Order Completed", "userId": "u1", "messageId": f"gx-{i}",
                           "properties": {"order_id": f"o-{i}", "total": 10, "currency": currency}}
                          for i, currency in enumerate(["EUR", "EUR", "USD", "GBP", "JPY"])])
    sign_in(page, ops.server, at="#/checks")
    page.get_by_text("Create a check").click()
    form = page.get_by_role("form", name="Create a check")
    form.get_by_label("Kind").select_option("expectations")
    form.get_by_label("Source").select_option("gx-shop")
    form.get_by_label(re.compile("^Event")).fill("Order Completed")
    suite = [{"type": "expect_column_values_to_be_in_set", "column": "properties.currency",
              "value_set": ["EUR", "USD"], "mostly": 0.9},
             {"type": "expect_column_values_to_not_be_null", "column": "properties.order_id"}]
    form.get_by_label("expectations (JSON, required)").fill(json.dumps(suite))
    form.get_by_role("button", name="Create the check").click()
    note = page.get_by_role("status").filter(has_text="Created the expectations check")
    note.wait_for()
    check_id = re.search(r"chk_\w+", note.inner_text()).group(0)  # type: ignore[union-attr]
    wait_for(lambda: ops.server.admin.get(f"/api/v1/checks/{check_id}").json()["last_outcome"], timeout=90,
             what="the first run (the worker imports Great Expectations once)")
    page.goto(f"{ops.server.url}/#/checks/{check_id}")
    result = page.get_by_role("table", name=re.compile("Great Expectations result"))
    result.wait_for()
    assert "1 of 2 expectations failed over 5 sampled events" in result.locator("caption").inner_text()
    failed = result.get_by_role("row").filter(has_text="expect_column_values_to_be_in_set")
    cells = failed.get_by_role("cell").all_inner_texts()
    assert cells[0] == "properties.currency" and cells[1] == "0.9" and "failed" in cells[2]
    assert cells[3].startswith("2 of 5 (40.0 %)") and '"GBP"' in cells[4] and '"JPY"' in cells[4]
    met = result.get_by_role("row").filter(has_text="expect_column_values_to_not_be_null")
    assert "met" in met.inner_text()
    check_a11y(page, "expectations check")
    shoot(page, "check-expectations")
