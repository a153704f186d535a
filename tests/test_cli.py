"""The CLI as a user's CI runs it: real processes, a real server on 127.0.0.1, real files."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
import yaml

from tests.conftest import ADMIN_TOKEN, make_settings, wait_until

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, env: dict[str, str] | None = None, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "governance", *args], capture_output=True, timeout=120,
                          env={**os.environ, **(env or {})}, input=stdin, cwd=ROOT)  # fmt: skip


@pytest.fixture
def server(sqlite_url: str) -> Iterator[str]:
    from governance.app import create_app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(make_settings(sqlite_url)), host="127.0.0.1", port=port, log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    yield url
    instance.should_exit = True
    thread.join(timeout=10)


def env_for(url: str) -> dict[str, str]:
    return {"GOVERNANCE_URL": url, "GOVERNANCE_TOKEN": ADMIN_TOKEN}


def test_lint_reports_the_near_duplicate_with_a_non_zero_exit(tmp_path: Path) -> None:
    plan = {"name": "shop", "events": {
        "Order Completed": {"description": "d", "properties": {"order_id": {"type": "string", "description": "d"}}},
        "Completed Order": {"description": "d"}}}  # fmt: skip
    path = tmp_path / "shop.yaml"
    path.write_text(yaml.safe_dump(plan))
    result = run_cli("plan", "lint", "--json", str(path))
    assert result.returncode == 1, result.stderr
    issues = json.loads(result.stdout)[0]["issues"]
    assert any("Completed Order" in i["path"] + i["message"] and i["severity"] == "error" for i in issues)
    clean = run_cli("plan", "lint", str(ROOT / "plans" / "ecommerce.yaml"))
    assert clean.returncode == 0, clean.stderr


def test_lint_names_file_line_and_path_of_a_load_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: shop\nevents:\n  Order Completed:\n    properties:\n      total:\n        minimum: abc\n")
    result = run_cli("plan", "lint", str(path))
    assert result.returncode == 1
    text = result.stderr.decode()
    assert "bad.yaml:6" in text and 'events."Order Completed".properties.total.minimum' in text


def test_push_publish_pull_and_diff_against_a_running_server(server: str, tmp_path: Path) -> None:
    env = env_for(server)
    original = ROOT / "plans" / "ecommerce.yaml"
    pushed = run_cli("plan", "push", str(original), "--publish", "--json", env=env)
    assert pushed.returncode == 0, pushed.stderr
    assert json.loads(pushed.stdout) == {"draft": "created", "version": 1, "category": "additive"}
    again = run_cli("plan", "push", str(original), "--publish", "--json", env=env)
    assert again.returncode == 0 and json.loads(again.stdout)["version"] is None  # nothing to publish
    # a breaking change: the exit code says so, the registry keeps version 1
    body = yaml.safe_load(original.read_text())
    body["events"]["Order Completed"]["properties"]["total"]["type"] = "string"
    changed = tmp_path / "ecommerce.yaml"
    changed.write_text(yaml.safe_dump(body))
    refused = run_cli("plan", "push", str(changed), "--publish", "--json", env=env)
    assert refused.returncode == 3, refused.stdout
    assert json.loads(refused.stdout)["code"] == "incompatible_plan"
    forced = run_cli("plan", "push", str(changed), "--publish", "--allow-breaking", "--json", env=env)
    assert forced.returncode == 0 and json.loads(forced.stdout)["version"] == 2
    pulled = run_cli("plan", "pull", "ecommerce", "--version", "1", env=env)
    assert pulled.returncode == 0
    assert yaml.safe_load(pulled.stdout)["events"]["Order Completed"]["properties"]["total"]["type"] == "number"
    diff = run_cli("plan", "diff", "ecommerce@1", "ecommerce@2", "--json", env=env)
    assert diff.returncode == 0, diff.stderr
    assert json.loads(diff.stdout)["category"] == "breaking"
    files = run_cli("plan", "diff", str(original), str(changed), "--json")
    assert json.loads(files.stdout)["changes"] == json.loads(diff.stdout)["changes"]


def test_source_create_prints_the_write_key_as_json(server: str) -> None:
    env = env_for(server)
    assert run_cli("plan", "push", str(ROOT / "plans" / "saas.yaml"), "--publish", env=env).returncode == 0
    created = run_cli("source", "create", "--name", "app", "--plan", "saas", "--json", env=env)
    assert created.returncode == 0, created.stderr
    body = json.loads(created.stdout)
    assert body["write_key"].startswith("wk_") and body["id"].startswith("src_")
    def judged() -> httpx.Response:
        return httpx.post(f"{server}/v1/validate", auth=(body["write_key"], ""),
                          json={"type": "track", "event": "Signed Up", "userId": "u"})  # fmt: skip

    assert wait_until(lambda: judged().status_code == 200, timeout=2.0)  # a new key works within a second
    assert judged().json()["plan"] == "saas"
    denied = run_cli("source", "create", "--name", "x", "--json", env={**env, "GOVERNANCE_TOKEN": "nope"})
    assert denied.returncode != 0 and json.loads(denied.stdout)["code"] == "unauthorized"


def test_token_create_writes_to_the_local_database(sqlite_url: str) -> None:
    result = run_cli("token", "create", "--role", "editor", "--json", env={"GOVERNANCE_DATABASE_URL": sqlite_url})
    assert result.returncode == 0, result.stderr
    token = json.loads(result.stdout)["token"]
    from governance.db import make_engine, read_session
    from governance.registry.tokens import authenticate

    with read_session(make_engine(sqlite_url)) as session:
        row = authenticate(session, token)
        assert row is not None and row.role == "editor"
    bad = run_cli("token", "create", "--role", "root", env={"GOVERNANCE_DATABASE_URL": sqlite_url})
    assert bad.returncode != 0


def test_offline_validate_exit_codes_and_json(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    good = {"type": "track", "event": "Order Completed", "userId": "u",
            "properties": {"order_id": "o1", "total": 10, "currency": "USD"}}  # fmt: skip
    bad = {**good, "properties": {"order_id": "o2", "total": "10"}}
    events.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n{not json\n")
    plan = str(ROOT / "plans" / "ecommerce.yaml")
    result = run_cli("validate", "--plan", plan, "--json", str(events))
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["events"] == 3 and report["blocked"] == 2 and report["invalid_lines"] == 1
    found = {(v["line"], v["type"], v["field"]) for v in report["violations"]}
    assert (2, "type_mismatch", "properties.total") in found
    events.write_text(json.dumps(good) + "\n")
    assert run_cli("validate", "--plan", plan, str(events)).returncode == 0
    # lenient settings (Segment's defaults) let the bad event through: exit 0
    settings = tmp_path / "settings.yaml"
    settings.write_text(yaml.safe_dump({"track": {"allowEventOnViolations": True, "allowPropertiesOnViolations": True,
                                                  "allowUnplannedEventProperties": True}}))  # fmt: skip
    events.write_text(json.dumps(bad) + "\n")
    assert run_cli("validate", "--plan", plan, "--settings", str(settings), str(events)).returncode == 0
    piped = run_cli("validate", "--plan", plan, "--json", "-", stdin=json.dumps(bad).encode() + b"\n")
    assert piped.returncode == 1 and json.loads(piped.stdout)["events"] == 1


def test_import_and_export_round_trip_from_the_cli(tmp_path: Path) -> None:
    peer = ROOT.parent / "shared" / "peer-data" / "segment" / "typewriter-telemetry-plan.json"
    if not peer.exists():
        pytest.skip("shared/peer-data is not beside the checkout")
    out = tmp_path / "telemetry.yaml"
    imported = run_cli("plan", "import", "--from", "segment", str(peer), "-o", str(out))
    assert imported.returncode == 0, imported.stderr
    exported = run_cli("plan", "export", "--to", "segment", str(out), "-o", str(tmp_path / "segment"))
    assert exported.returncode == 0, exported.stderr
    rules_file = tmp_path / "segment" / "rules.json"
    assert "rules" in json.loads(rules_file.read_text())
    again = run_cli("plan", "import", "--from", "segment", str(rules_file), "--json")
    first = run_cli("plan", "import", "--from", "segment", str(peer), "--json")
    assert json.loads(again.stdout)["plan"]["events"] == json.loads(first.stdout)["plan"]["events"]


def test_bench_registry_reports_the_required_keys() -> None:
    result = run_cli("bench", "registry", "--events", "300", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {"events", "compile_s", "rss_mb", "diff_s"} <= set(report) and report["events"] == 300
