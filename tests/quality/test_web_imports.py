"""The web process validates checks (lint, publish, REST) without importing the detectors: they,
pandas and Great Expectations load in the worker only, and the check and teaching routes import no
numpy (numpy itself reaches the web process through the proxy's suppression list, privacy's)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ADMIN_TOKEN, ROOT

HEAVY = ("numpy", "pandas", "great_expectations", "scipy", "governance.quality.detect",
         "governance.quality.baseline", "governance.quality.checks")

SCRIPT = """
import json, sys
from fastapi.testclient import TestClient
import governance.app
from governance.settings import Settings

settings = Settings(database_url=sys.argv[1], bootstrap_admin_token=sys.argv[2], run_worker=False)
out = {}
with TestClient(governance.app.create_app(settings), headers={"Authorization": "Bearer " + sys.argv[2]}) as c:
    out["kinds"] = sorted(k["kind"] for k in c.get("/api/v1/checks/kinds").json())
    bad = {"name": "shop", "events": {"Order Completed": {"properties": {}, "checks": [
        {"kind": "volumee"}, {"kind": "volume", "params": {"min_per_hour": 10}}],
        "expectations": [{"type": "expect_column_values_to_be_in_sett", "column": "properties.x"}]}}}
    refused = c.post("/api/v1/plans", json=bad)
    out["refused"] = [refused.status_code, sorted(d["path"] for d in refused.json().get("details", []))]
    good = {"name": "shop", "events": {"Order Completed": {"properties": {}, "checks": [
        {"kind": "volume", "params": {"min_volume": 10}}],
        "expectations": [{"type": "expect_column_values_to_not_be_null", "column": "properties.x"}]}}}
    out["created"] = c.post("/api/v1/plans", json=good).status_code
    out["published"] = c.post("/api/v1/plans/shop/versions", json={}).status_code
    c.post("/api/v1/sources", json={"name": "web", "plan": "shop"})
    check = c.post("/api/v1/checks", json={"kind": "silence", "source": "web", "event": "Order Completed",
                                           "params": {"after_minutes": 30}})
    out["check"] = check.status_code
    out["bad_check"] = c.post("/api/v1/checks", json={"kind": "silence", "source": "web",
                                                      "params": {"after": 30}}).status_code
    out["listed"] = c.get("/api/v1/checks").status_code
    out["deleted"] = c.delete("/api/v1/checks/" + check.json()["id"]).status_code
out["modules"] = sorted(m for m in sys.modules if m.split(".")[0] in ("pandas", "great_expectations", "scipy")
                        or m.startswith(("governance.quality.detect", "governance.quality.baseline",
                                         "governance.quality.checks")))
print(json.dumps(out))
"""


def test_the_web_process_validates_checks_without_the_detectors(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'web.db'}"
    done = subprocess.run([sys.executable, "-c", SCRIPT, url, ADMIN_TOKEN], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["modules"] == []
    assert {"volume", "silence", "decline", "expectations"} <= set(out["kinds"])
    status, paths = out["refused"]
    assert status == 422 and paths == ['events."Order Completed".checks[0].kind',
                                       'events."Order Completed".checks[1].params.min_per_hour',
                                       'events."Order Completed".expectations[0].type']
    assert (out["created"], out["published"], out["check"], out["bad_check"]) == (201, 201, 201, 422)
    assert (out["listed"], out["deleted"]) == (200, 204)


def test_the_check_and_teaching_routes_import_no_numpy() -> None:
    code = ("import sys, governance.api.routes.checks, governance.api.routes.teaching, governance.plan.check_spec, "
            f"governance.quality.teaching; print([m for m in sys.modules if m.split('.')[0] in {HEAVY[:4]!r} "
            "or m.startswith(('governance.quality.detect', 'governance.quality.baseline'))])")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=True)
    assert done.stdout.strip() == "[]"


def test_importing_the_app_leaves_the_detectors_and_gx_out() -> None:
    code = ("import governance.app, sys; print([m for m in sys.modules if m.split('.')[0] in "
            f"{HEAVY[1:4]!r} or m.startswith({HEAVY[4:]!r})])")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=True)
    assert done.stdout.strip() == "[]"
