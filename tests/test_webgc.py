"""serve's web processes tune the garbage collector once started (governance/webgc.py); an app
built by ``create_app`` alone (tests, embedders) leaves the interpreter's collector as it was.
Each case runs in a fresh interpreter: the collector is process-wide."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from governance.webgc import THRESHOLDS
from tests.conftest import ROOT

PROBE = """
import gc, json, sys
from fastapi.testclient import TestClient
from governance.app import app_from_env, create_app
before = gc.get_threshold()
app = app_from_env() if sys.argv[1] == "serve" else create_app()
with TestClient(app) as client:
    assert client.get("/healthz").status_code == 200
    print(json.dumps({"before": before, "after": gc.get_threshold(), "frozen": gc.get_freeze_count()}))
"""


def _probe(tmp_path: Path, how: str) -> dict[str, list[int] | int]:
    env = {**os.environ, "GOVERNANCE_DATABASE_URL": f"sqlite:///{tmp_path / f'{how}.db'}",
           "GOVERNANCE_LOG_LEVEL": "WARNING"}
    out = subprocess.run([sys.executable, "-c", PROBE, how], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120, check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_a_serve_web_process_freezes_its_start_up_heap_and_raises_the_thresholds(tmp_path: Path) -> None:
    tuned = _probe(tmp_path, "serve")
    assert tuned["after"] == list(THRESHOLDS) != tuned["before"]
    assert isinstance(tuned["frozen"], int) and tuned["frozen"] > 10_000  # the start-up heap


def test_create_app_alone_keeps_the_interpreters_collector(tmp_path: Path) -> None:
    plain = _probe(tmp_path, "plain")
    assert plain["after"] == plain["before"] and plain["frozen"] == 0
