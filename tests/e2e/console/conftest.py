"""The console in a real browser against a real server.

* ``server`` (one per test module): ``governance serve --demo`` as a subprocess on a free port of
  127.0.0.1, over a temporary SQLite file, with the example plans of ``plans/`` published and a
  known admin token (``GOVERNANCE_BOOTSTRAP_ADMIN_TOKEN``). No worker: nothing here forwards.
* ``ops`` (one per test module): the same with its worker, an SMTP server (aiosmtpd), a webhook
  receiver and a recording upstream on 127.0.0.1; fast scheduler and alert timings, and no default
  checks (each test makes the checks it needs: a cycle stays short on a busy machine; see ``OPS_ENV``).
* ``browser``: Debian's Chromium, one for the session (``tests/e2e/conftest.py``).
* ``page``: a fresh context per test that fails the test when any request leaves 127.0.0.1 (seen with
  ``page.on("request")``, nothing intercepted) or any JavaScript console error or uncaught exception
  appears. Chromium logs a failed fetch as a console error ("Failed to load resource: ... 409");
  a test that provokes an HTTP error on purpose declares its status with ``page.expect_http(409)``.
* ``check_a11y(page)``: axe-core (vendored for the tests only) on the current screen; no serious or
  critical violation.
* ``shoot(page, name)``: a screenshot, written to ``docs/console/<name>.png`` when
  ``GOVERNANCE_SCREENSHOTS=1`` (``make screenshots``), else into the test's temporary folder.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[3]
AXE = ROOT / "tests" / "e2e" / "vendor" / "axe.min.js"
SHOTS = ROOT / "docs" / "console"
ADMIN = "gov_console_admin_token_0123456789abcdefghijklmnopqrstu"
LOCAL = {"127.0.0.1", "localhost"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    admin: httpx.Client
    process: subprocess.Popen[bytes]
    log: Path

    def token(self, role: str, name: str | None = None) -> str:
        made = self.admin.post("/api/v1/tokens", json={"role": role, "name": name or role})
        assert made.status_code == 201, made.text
        return str(made.json()["token"])

    def source(self, name: str, *, plan: str = "ecommerce", mode: str = "enforce") -> str:
        made = self.admin.post("/api/v1/sources", json={"name": name, "plan": plan, "mode": mode})
        assert made.status_code == 201, made.text
        return str(made.json()["write_key"])

    def send(self, write_key: str, events: list[dict[str, Any]]) -> None:
        """POST /v1/batch as an SDK does; retried briefly until the proxy has loaded a new key."""
        deadline = time.monotonic() + 5
        while True:
            answer = httpx.post(f"{self.url}/v1/batch", json={"batch": events}, auth=(write_key, ""), timeout=10)
            if answer.status_code != 401 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert answer.status_code == 200, answer.text


def start_serve(folder: Path, *, worker: bool = False, env: dict[str, str] | None = None) -> Server:
    """``governance serve --demo`` on a free port over ``folder/governance.db`` (with its worker when asked)."""
    port = _free_port()
    log = folder / "serve.log"
    env = {**os.environ, "GOVERNANCE_DATABASE_URL": f"sqlite:///{folder / 'governance.db'}",
           "GOVERNANCE_BOOTSTRAP_ADMIN_TOKEN": ADMIN, "GOVERNANCE_RUN_WORKER": str(worker).lower(),
           "GOVERNANCE_ACCESS_LOG": "false", "GX_ANALYTICS_ENABLED": "false",
           "GOVERNANCE_PUBLIC_URL": f"http://127.0.0.1:{port}", **(env or {})}
    command = [sys.executable, "-m", "governance", "serve", "--demo", "--plans-dir", str(ROOT / "plans"),
               "--port", str(port), *([] if worker else ["--no-worker"])]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"governance serve exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        process.terminate()
        pytest.fail(f"governance serve did not answer: {log.read_text()[-3000:]}")
    admin = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30)
    return Server(url=url, admin=admin, process=process, log=log)


def stop_serve(server: Server) -> None:
    server.admin.close()
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    folder = Path(tempfile.mkdtemp(prefix="gov-console-"))
    running = start_serve(folder)
    try:
        yield running
    finally:
        stop_serve(running)
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Ops:
    """A serve with its worker (forwarder, scheduler, alert dispatch) and the real servers around it:
    an SMTP server (aiosmtpd), a webhook receiver and a recording upstream, all on 127.0.0.1."""

    server: Server
    folder: Path
    smtp: Any
    webhook: Any
    upstream: Any

    def upstream_ids(self) -> list[str]:
        """messageIds the upstream accepted (a /v1/batch body each)."""
        return [e["messageId"] for r in list(self.upstream.requests) if r.path.endswith("/v1/batch")
                for e in json.loads(r.body)["batch"]]

    def db(self) -> sqlite3.Connection:
        """The serve's own SQLite file (WAL), for seeding history the tests cannot wait for."""
        conn = sqlite3.connect(self.folder / "governance.db", timeout=30)
        conn.execute("PRAGMA busy_timeout = 30000")
        return conn


OPS_ENV = {"GOVERNANCE_SMTP_STARTTLS": "false", "GOVERNANCE_WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.0/8"]',
           "GOVERNANCE_SCHEDULER_INTERVAL_S": "2", "GOVERNANCE_SCHEDULER_POLL_S": "1",
           "GOVERNANCE_GROUP_WAIT_S": "0", "GOVERNANCE_GROUP_INTERVAL_S": "1", "GOVERNANCE_REPEAT_INTERVAL_S": "3",
           "GOVERNANCE_RETRY_BASE_S": "1", "GOVERNANCE_DEFAULT_CHECKS": "false"}


@pytest.fixture(scope="module")
def ops() -> Iterator[Ops]:
    from aiosmtpd.controller import Controller

    from tests.alerts.conftest import StoringHandler, free_port, start_receiver, stop_receiver

    folder = Path(tempfile.mkdtemp(prefix="gov-console-ops-"))
    handler = StoringHandler()
    smtp = Controller(handler, hostname="127.0.0.1", port=free_port())
    smtp.start()
    (webhook, webhook_thread), (upstream, upstream_thread) = start_receiver(), start_receiver()
    running = start_serve(folder, worker=True, env={**OPS_ENV, "GOVERNANCE_SMTP_HOST": "127.0.0.1",
                                                    "GOVERNANCE_SMTP_PORT": str(smtp.port)})
    try:
        yield Ops(server=running, folder=folder, smtp=handler, webhook=webhook, upstream=upstream)
    finally:
        stop_serve(running)
        stop_receiver(webhook, webhook_thread)
        stop_receiver(upstream, upstream_thread)
        smtp.stop()
        shutil.rmtree(folder, ignore_errors=True)


def wait_for(predicate: Any, timeout: float = 20.0, what: str = "the condition") -> Any:
    """Poll ``predicate`` until it returns something truthy (the worker runs on its own clock)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


@dataclass
class Watch:
    """What a page did that a test must not allow: requests elsewhere, console errors, exceptions."""

    external: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    expected_statuses: set[int] = field(default_factory=set)

    def on_request(self, request: Any) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if parts.hostname not in LOCAL:
            self.external.append(request.url)

    def on_console(self, message: Any) -> None:
        if message.type != "error":
            return
        text = message.text
        if text.startswith("Failed to load resource: the server responded with a status of "):
            status = int(text.split("status of ")[1].split()[0])
            if status in self.expected_statuses:
                return
        self.console_errors.append(text)


@pytest.fixture
def page(browser: Any, tmp_path: Path) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    tab = context.new_page()
    watch = Watch()
    tab.on("request", watch.on_request)
    tab.on("console", watch.on_console)
    tab.on("pageerror", lambda error: watch.page_errors.append(str(error)))
    tab.expect_http = lambda *codes: watch.expected_statuses.update(codes)  # type: ignore[attr-defined]
    tab.watch = watch  # type: ignore[attr-defined]
    tab.set_default_timeout(10_000)
    tab.on("dialog", lambda dialog: dialog.accept())
    try:
        yield tab
    finally:
        context.close()
    assert watch.external == [], f"requests left 127.0.0.1: {watch.external}"
    assert watch.page_errors == [], f"uncaught JavaScript errors: {watch.page_errors}"
    assert watch.console_errors == [], f"JavaScript console errors: {watch.console_errors}"


def sign_in(page: Any, server: Server, token: str = ADMIN, at: str = "#/plans") -> None:
    page.goto(f"{server.url}/{at}")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as").wait_for()


def check_a11y(page: Any, screen: str) -> None:
    """axe-core over the whole document: no serious or critical violation."""
    if not page.evaluate("() => Boolean(window.axe)"):
        page.evaluate(AXE.read_text())  # evaluated over the protocol: the console's CSP still holds
    result = page.evaluate("async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
                           " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
                           " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})); }")
    bad = [v for v in result if v["impact"] in ("serious", "critical")]
    assert bad == [], f"axe on {screen}: {json.dumps(bad, indent=2)}"


@pytest.fixture
def shoot(tmp_path: Path):  # type: ignore[no-untyped-def]
    def take(page: Any, name: str, *, full_page: bool = True) -> Path:
        folder = SHOTS if os.environ.get("GOVERNANCE_SCREENSHOTS") == "1" else tmp_path
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{name}.png"
        page.screenshot(path=str(target), full_page=full_page)
        assert target.stat().st_size > 1000
        return target

    return take
