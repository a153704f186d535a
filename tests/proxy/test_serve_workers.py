"""``governance serve --workers 2``: two web processes on one port, a real serve over a real database.

Requests on fresh connections reach both processes (their metrics files say which pids counted);
``/metrics`` answers the sum over both whichever process serves the scrape; a settings change
reaches every process (plan refresh runs in each); ``/healthz`` shows the one supervised worker
from every process; SIGTERM stops them all."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import psutil
import pytest

from governance.bootstrap import bootstrap
from governance.db import make_engine, write_session
from governance.demo import publish_directory
from governance.registry.sources import create_source, patch_settings
from tests.conftest import ROOT, _free_port, make_settings, wait_until

pytestmark = pytest.mark.slow
UNPLANNED = {"type": "track", "event": "Not In The Plan", "userId": "u1", "properties": {}}


def _get(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url, timeout=2)
    except httpx.HTTPError:
        return None


def _total(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    return float(match[1]) if match else 0.0


def _outcome(base: str, auth: dict[str, str]) -> str:
    body = {"batch": [UNPLANNED]}
    return str(httpx.post(f"{base}/v1/validate", json=body, headers=auth).json()["verdicts"][0]["outcome"])


def test_two_web_processes_share_the_port_the_metrics_and_the_settings(tmp_path: Path, database_url: str) -> None:
    engine = make_engine(database_url)
    bootstrap(make_settings(database_url), engine)
    publish_directory(engine, ROOT / "plans", actor="test")
    with write_session(engine) as session:
        row, key = create_source(session, fields={"name": "two", "plan": "ecommerce"}, actor="test")
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"a previous run's file")  # serve must clear it
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "GOVERNANCE_DATABASE_URL": database_url, "GOVERNANCE_LOG_LEVEL": "WARNING",
           "GOVERNANCE_PLAN_REFRESH_S": "0.2", "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    serve = subprocess.Popen([sys.executable, "-m", "governance", "serve", "--port", str(port), "--workers", "2"],
                             cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_until(lambda: (r := _get(f"{base}/healthz")) is not None and r.json().get("worker", {})
                          .get("state") == "running", timeout=90), "serve did not start with its worker"
        webs = [p for p in psutil.Process(serve.pid).children() if "spawn_main" in " ".join(p.cmdline())]
        assert len(webs) == 2
        auth = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
        sent = 0
        while sent < 400 and len({f.name for f in metrics_dir.glob("counter_*.db")}) < 2:
            body = {"batch": [{**UNPLANNED, "messageId": f"m-{sent}"}]}
            assert httpx.post(f"{base}/v1/batch", json=body, headers=auth).status_code == 200  # a fresh connection
            sent += 1
        pids = {int(f.stem.split("_")[1]) for f in metrics_dir.glob("counter_*.db")}
        assert pids == {p.pid for p in webs}, "both web processes answered requests"
        for _ in range(6):  # whichever process answers the scrape, it adds up both
            text = httpx.get(f"{base}/metrics").text
            assert _total(text, 'governance_requests_total{endpoint="batch",status="200"}') == sent
            assert _total(text, 'governance_events_total{outcome="forwarded"}') == sent
            assert "governance_worker_up 1" in text
        assert _outcome(base, auth) == "forwarded"
        with write_session(engine) as session:
            patch_settings(session, ref=row.id, patch={"track": {"allowUnplannedEvents": False}}, actor="test")
        assert wait_until(lambda: all(_outcome(base, auth) == "blocked" for _ in range(10)), timeout=10)
        assert all(_outcome(base, auth) == "blocked" for _ in range(30)), "every process refreshed"
        serve.terminate()
        assert serve.wait(timeout=60) in (0, -15)
        assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in webs)
    finally:
        if serve.poll() is None:
            serve.kill()
        engine.dispose()
