"""The CLI's long-running processes and its local database access, as real processes:
``serve --demo`` across restarts, ``worker`` logging, ``token create`` with and without a database."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from tests.cli_support import ROOT, cli, env_for, free_port, live_server, wait_for

EVENT = {"type": "track", "event": "Order Completed", "userId": "u1"}


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("GOVERNANCE_")}
    return subprocess.Popen([sys.executable, "-m", "governance", *args], cwd=ROOT, env={**base, **env},
                            stdout=subprocess.PIPE, stderr=log.open("wb"))


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def read_lines(stream: IO[bytes] | None, until: str) -> list[str]:
    assert stream is not None
    lines: list[str] = []
    while not lines or until not in lines[-1]:
        line = stream.readline().decode()
        assert line, f"the process ended before printing {until!r}: {lines}"
        lines.append(line.rstrip("\n"))
    return lines


def token_works(url: str, token: str) -> int:
    return httpx.get(f"{url}/api/v1/plans", headers={"Authorization": f"Bearer {token}"}).status_code


def key_works(url: str, key: str) -> int:
    return httpx.post(f"{url}/v1/validate", auth=(key, ""), json=EVENT).status_code


def test_serve_demo_revokes_the_previous_starts_credentials(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"GOVERNANCE_DATABASE_URL": f"sqlite:///{tmp_path / 'governance.db'}"}
    args = ["serve", "--demo", "--no-worker", "--port", str(port), "--plans-dir", str(ROOT / "plans")]
    first = start([*args, "--json"], env, tmp_path / "first.log")
    try:
        summary: dict[str, Any] = json.loads(read_lines(first.stdout, until="{")[0])
        wait_for(f"{url}/healthz")
        demo = summary["demo"]
        assert summary["url"] == url and demo["plans"] == ["ecommerce", "mobile", "saas"]
        assert (demo["revoked_tokens"], demo["revoked_keys"]) == (0, 0)
        assert token_works(url, demo["admin_token"]) == 200 and key_works(url, demo["write_key"]) == 200
    finally:
        stop(first)
    logs = (tmp_path / "first.log").read_text().splitlines()
    assert logs and all(json.loads(line)["level"] for line in logs)  # --json: log records as JSON lines
    second = start(args, env, tmp_path / "second.log")
    try:
        banner = read_lines(second.stdout, until="try: curl")
        wait_for(f"{url}/healthz")
        assert "  revoked the previous start's 1 demo token(s) and 1 write key(s)" in banner
        token = next(line.split()[-1] for line in banner if line.startswith("  admin token:"))
        key = next(line.split()[3] for line in banner if line.startswith("  demo write key:"))
        assert token != demo["admin_token"] and key != demo["write_key"]
        assert token_works(url, token) == 200 and token_works(url, demo["admin_token"]) == 401
        assert key_works(url, key) == 200 and key_works(url, demo["write_key"]) == 401
    finally:
        stop(second)
    assert "Uvicorn running on" in (tmp_path / "second.log").read_text()


def test_routine_scheduler_runs_log_only_at_debug(tmp_path: Path) -> None:
    from governance.logs import configure_logging

    scheduler_logger = logging.getLogger("apscheduler.executors.default")
    try:
        configure_logging("INFO")
        assert not scheduler_logger.isEnabledFor(logging.INFO) and scheduler_logger.isEnabledFor(logging.ERROR)
        configure_logging("DEBUG")
        assert scheduler_logger.isEnabledFor(logging.DEBUG)
    finally:
        logging.getLogger("apscheduler").setLevel(logging.NOTSET)
    env = {"GOVERNANCE_DATABASE_URL": f"sqlite:///{tmp_path / 'governance.db'}", "GOVERNANCE_SCHEDULER_POLL_S": "0.2"}
    seen = {}
    for level in ("INFO", "DEBUG"):
        log = tmp_path / f"{level}.log"
        worker = start(["worker"], {**env, "GOVERNANCE_LOG_LEVEL": level}, log)
        deadline = time.monotonic() + 20
        while "leads" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.5)  # several dispatch rounds
        stop(worker)
        assert worker.stdout is not None and worker.stdout.read() == b""  # the worker prints nothing on stdout
        seen[level] = log.read_text()
    assert "worker started" in seen["INFO"] and "Running job" not in seen["INFO"]
    assert seen["DEBUG"].count('Running job "dispatch_job') >= 3  # the same runs, shown when debugging


def test_token_create_without_a_database_refuses_and_creates_nothing(tmp_path: Path) -> None:
    result = cli("token", "create", "--role", "admin", cwd=tmp_path)
    assert result.code == 2 and result.out == ""
    assert "--database-url" in result.err and "(no_target)" in result.err
    missing = tmp_path / "elsewhere" / "governance.db"
    named = cli("token", "create", "--role", "admin", "--json", cwd=tmp_path,
                env={"GOVERNANCE_DATABASE_URL": f"sqlite:///{missing}"})
    assert named.code == 2 and named.out == "" and named.error()["code"] == "no_database"
    assert list(tmp_path.iterdir()) == []  # no ./data, no elsewhere/
    empty = tmp_path / "empty.db"
    empty.touch()
    not_ours = cli("token", "create", "--role", "admin", "--database-url", f"sqlite:///{empty}", cwd=tmp_path)
    assert not_ours.code == 2 and "no governance database at" in not_ours.err
    assert empty.stat().st_size == 0  # nothing was created in it either
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]
    old = tmp_path / "old.db"  # a database release 0.1.0 made: upgrade it first
    shutil.copy(ROOT / "tests" / "fixtures" / "governance-0.1.0.db", old)
    behind = cli("token", "create", "--role", "admin", "--json", "--database-url", f"sqlite:///{old}")
    assert behind.code == 2 and behind.error()["code"] == "schema_not_current"
    assert "governance db upgrade" in behind.error()["message"]


@pytest.mark.parametrize("via", ["env", "option"])
def test_token_create_writes_to_an_existing_database_the_server_reads(sqlite_url: str, via: str) -> None:
    args = ["--database-url", sqlite_url] if via == "option" else []
    env = {"GOVERNANCE_DATABASE_URL": sqlite_url} if via == "env" else {}
    with live_server(sqlite_url) as url:  # the server made the database; the token works on it at once
        result = cli("token", "create", "--role", "editor", "--json", *args, env=env)
        assert result.code == 0 and result.err == ""
        created = result.json()
        assert created["created_in"] == "database" and created["role"] == "editor"
        assert token_works(url, created["token"]) == 200
        listed = cli("token", "list", "--json", env=env_for(url)).json()["tokens"]
        assert created["id"] in [t["id"] for t in listed]
    plain = cli("token", "create", "--role", "viewer", *args, env=env)
    assert plain.code == 0 and plain.out.startswith("gov_") and len(plain.out.strip().splitlines()) == 1
    bad = cli("token", "create", "--role", "root", *args, env=env)
    assert bad.code == 2 and "(validation_failed)" in bad.err
