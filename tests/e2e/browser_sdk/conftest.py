"""A real browser against a real ``governance serve``: the fixtures of the browser SDK tests.

* ``governance``: ``governance serve`` in a subprocess on 127.0.0.1 (web process and worker, over a
  SQLite file), with an admin client for the REST API; its worker forwards to ``upstream``, a
  recording HTTP server on 127.0.0.1 (tests/proxy/conftest.py).
* ``sdk_packages``: @segment/analytics-next, @rudderstack/analytics-js (and @segment/analytics-node)
  installed from the npm registry into a cache directory (reused between runs;
  ``GOVERNANCE_TEST_CACHE`` moves it).
* ``site``: a static server on another 127.0.0.1 port (another origin, so CORS is really exercised)
  serving the test page and the SDKs' browser builds from those packages.
* ``browser``: Debian's Chromium, one for the session (``tests/e2e/conftest.py``).

No request interception (``page.route``) anywhere: it would answer CORS preflights itself and hide
exactly what these tests are for. Requests are only observed, to prove that none leaves 127.0.0.1.
"""

from __future__ import annotations

import functools
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import missing
from tests.proxy.conftest import Upstream, serve_upstream

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
ADMIN_TOKEN = "gov_browser_admin_token_0123456789abcdefghijklmnopqrstu"
PACKAGES = ("@segment/analytics-next@^1.84.3", "@rudderstack/analytics-js@^3.34.1", "@segment/analytics-node@^3.1.0")


_missing = missing


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------- the browser


# ---------------------------------------------------------------- the SDKs, from npm


@pytest.fixture(scope="session")
def sdk_packages() -> Path:
    """node_modules holding the browser SDKs, installed once into the cache directory."""
    npm = shutil.which("npm")
    if npm is None:
        _missing("npm is not installed: cannot install the browser SDKs")
    cache = Path(os.environ.get("GOVERNANCE_TEST_CACHE", Path.home() / ".cache" / "governance-tests"))
    prefix = cache / ("browser-sdks-" + "-".join(p.replace("/", "+").replace("@", "") for p in PACKAGES))
    done = prefix / ".installed"
    if not done.exists():
        prefix.mkdir(parents=True, exist_ok=True)
        result = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--no-save", "--prefix", str(prefix),
                                 *PACKAGES], capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            pytest.fail(f"npm install {' '.join(PACKAGES)} failed:\n{result.stdout}\n{result.stderr}")
        done.write_text("\n".join(PACKAGES))
    return prefix / "node_modules"


# ---------------------------------------------------------------- the page's origin


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def site(sdk_packages: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The test page and the SDK builds on their own origin, http://127.0.0.1:<port>."""
    root = tmp_path_factory.mktemp("site")
    shutil.copy(HERE / "page.html", root / "index.html")
    (root / "analytics-next").mkdir()
    # analytics.js loads its chunks from <_cdn>/analytics-next/bundles/: the page sets _cdn to this origin
    (root / "analytics-next" / "bundles").symlink_to(sdk_packages / "@segment" / "analytics-next" / "dist" / "umd")
    rudder = sdk_packages / "@rudderstack" / "analytics-js" / "dist" / "npm" / "modern" / "bundled" / "umd"
    (root / "rudderstack").symlink_to(rudder)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, name="static-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------- governance serve


@dataclass
class Governance:
    url: str
    admin: httpx.Client
    upstream: Upstream
    log: Path
    sources: list[str] = field(default_factory=list)

    @property
    def api_host(self) -> str:
        """analytics.js's ``apiHost``: host, port and path, without the scheme."""
        return self.url.removeprefix("http://") + "/v1"

    def source(self, name: str, settings: dict[str, Any]) -> tuple[str, str]:
        """A source on the ecommerce plan, forwarding to the recording upstream: (id, write key)."""
        created = self.admin.post("/api/v1/sources", json={"name": name, "plan": "ecommerce",
                                                           "upstream_url": self.upstream.url,
                                                           "upstream_write_key": "UPSTREAM-KEY",
                                                           "settings": settings})
        assert created.status_code == 201, created.text
        return created.json()["id"], created.json()["write_key"]

    def outcomes(self, source_id: str) -> dict[str, int]:
        data = self.admin.get(f"/api/v1/sources/{source_id}/events", params={"window": "1h"}).json()["data"]
        counts: dict[str, int] = {}
        for entry in data:
            for outcome, n in entry["outcomes"].items():
                counts[outcome] = counts.get(outcome, 0) + n
        return counts

    def quarantined(self, source_id: str) -> dict[str, str]:
        data = self.admin.get("/api/v1/quarantine", params={"source": source_id, "limit": 100}).json()["data"]
        return {row["message_id"]: row["reason"] for row in data}

    def wait_for(self, predicate: Any, what: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; server log:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.1)


@pytest.fixture(scope="session")
def governance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Governance]:
    """``governance serve`` (web and worker) on 127.0.0.1, the ecommerce plan published."""
    directory = tmp_path_factory.mktemp("governance")
    port = free_port()
    env = {**os.environ, "GOVERNANCE_DATABASE_URL": f"sqlite:///{directory / 'governance.db'}",
           "GOVERNANCE_BOOTSTRAP_ADMIN_TOKEN": ADMIN_TOKEN, "GOVERNANCE_SCHEDULER_ENABLED": "false",
           "GOVERNANCE_RETRY_BASE_S": "1", "GOVERNANCE_ACCESS_LOG": "true"}
    log = directory / "serve.log"
    upstreams = serve_upstream()
    upstream = next(upstreams)
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "governance", "serve", "--host", "127.0.0.1",
                                    "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    admin = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=10)
    try:
        _wait_healthy(admin, process, log)
        plan = (ROOT / "plans" / "ecommerce.yaml").read_bytes()
        assert admin.post("/api/v1/plans", content=plan, headers={"content-type": "application/yaml"}).is_success
        assert admin.post("/api/v1/plans/ecommerce/versions", json={"message": "browser"}).status_code == 201
        yield Governance(url=url, admin=admin, upstream=upstream, log=log)
    finally:
        admin.close()
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        upstreams.close()


def _wait_healthy(admin: httpx.Client, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise AssertionError(f"governance serve exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if admin.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"governance serve did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)


@pytest.fixture
def page(browser: Any, site: str) -> Iterator[Any]:
    """A fresh browser context on the test page; ``page.requests`` lists every URL it asked for."""
    context = browser.new_context()
    tab = context.new_page()
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.goto(site + "/index.html")
    tab.requests, tab.errors = requests, errors
    try:
        yield tab
    finally:
        context.close()
