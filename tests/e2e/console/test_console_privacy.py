"""Privacy in the console: create a regulation from the form, follow it to FINISHED while a real
worker purges, and read its receipt (rows per store, the steps); the list shows it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from conftest import ROOT, Server, check_a11y, sign_in


def test_create_a_deletion_and_read_its_receipt(page: Any, server: Server, shoot: Any) -> None:
    key = server.source("privacy-web")
    server.send(key, [{"type": "track", "event": "Order Completed", "userId": "u-forget", "messageId": "pf-1",
                       "properties": {"order_id": "o-1", "total": 12, "currency": "EUR"}}])
    sign_in(page, server, at="#/privacy")
    page.get_by_role("heading", name="Privacy").wait_for()
    page.get_by_label("Regulation", exact=True).select_option("SUPPRESS_WITH_DELETE")
    page.get_by_label("User ids (or anonymous ids), one per line").fill("u-forget")
    check_a11y(page, "privacy")
    page.get_by_role("button", name="Create the regulation").click()
    page.get_by_role("heading", name="Regulation reg_").wait_for()
    regulation = page.url.rsplit("/", 1)[-1]
    assert server.admin.get(f"/api/v1/regulations/{regulation}").json()["subjectIds"] == ["u-forget"]
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("GOVERNANCE_")},
           "GOVERNANCE_DATABASE_URL": f"sqlite:///{server.log.parent / 'governance.db'}",
           "GOVERNANCE_SCHEDULER_ENABLED": "false"}
    worker = subprocess.Popen([sys.executable, "-m", "governance", "worker"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        page.get_by_text("purge_finished").wait_for(timeout=30_000)  # the page follows the purge
    finally:
        worker.send_signal(signal.SIGINT)
        worker.wait(timeout=20)
    stores = page.get_by_role("table", name="Rows each store gave up")
    assert "outbox" in stores.inner_text() and "1" in stores.get_by_role("row").filter(has_text="outbox").inner_text()
    assert "✓ FINISHED" in page.get_by_role("row").filter(has_text="Status").inner_text()
    check_a11y(page, "regulation")
    shoot(page, "regulation")
    page.get_by_role("link", name="All regulations").click()
    row = page.get_by_role("table", name="Regulations").get_by_role("row").filter(has_text=regulation)
    assert "SUPPRESS_WITH_DELETE" in row.inner_text() and "FINISHED" in row.inner_text()
