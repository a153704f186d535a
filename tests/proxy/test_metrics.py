"""``/metrics`` through prometheus_client: one process, and several web processes sharing a
``PROMETHEUS_MULTIPROC_DIR`` (real uvicorn processes over one SQLite file)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from governance.bootstrap import bootstrap
from governance.db import make_engine, write_session
from governance.registry.sources import create_source
from tests.conftest import ROOT, _free_port, make_settings, wait_until

EVENT = {"type": "track", "event": "Order Completed", "userId": "u1", "properties": {}}


def _serve(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "governance.app:create_app", "--host",
                             "127.0.0.1", "--port", str(port), "--log-level", "warning"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _up(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _samples(text: str) -> dict[str, float]:
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
            if line and not line.startswith("#")}


@pytest.mark.slow
def test_several_web_processes_add_up_in_multiprocess_mode(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'governance.db'}"
    engine = make_engine(url)
    bootstrap(make_settings(url), engine)
    with write_session(engine) as session:
        _row, key = create_source(session, fields={"name": "web"}, actor="test")
    engine.dispose()
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = {**os.environ, "GOVERNANCE_DATABASE_URL": url, "GOVERNANCE_LOG_LEVEL": "WARNING",
           "GOVERNANCE_PLAN_REFRESH_S": "0.1", "PROMETHEUS_MULTIPROC_DIR": str(shared)}
    ports = [_free_port(), _free_port()]
    procs = [_serve(port, env) for port in ports]
    try:
        assert wait_until(lambda: all(_up(p) for p in ports), timeout=60), "the web processes did not start"
        auth = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
        for port, n in zip(ports, (2, 1), strict=True):
            for i in range(n):
                body = {"batch": [{**EVENT, "messageId": f"m-{port}-{i}"}, {**EVENT, "messageId": f"m-{port}-{i}"}]}
                assert httpx.post(f"http://127.0.0.1:{port}/v1/batch", json=body, headers=auth).status_code == 200
        for port in ports:  # every process answers with the sum over both
            response = httpx.get(f"http://127.0.0.1:{port}/metrics")
            assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
            samples = _samples(response.text)
            assert samples['governance_requests_total{endpoint="batch",status="200"}'] == 3
            assert samples['governance_events_total{outcome="forwarded"}'] == 3
            assert samples['governance_events_total{outcome="deduplicated"}'] == 3  # the second copy of each
            assert samples["governance_validation_seconds_count"] == 3
            assert samples["governance_outbox_depth"] == 3  # no worker runs: the gauges read the database
            assert not any(name.endswith("_created") for name in samples)
        assert len(list(shared.glob("*.db"))) >= 2  # one set of files per process
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(15)
