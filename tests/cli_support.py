"""Running the CLI as a user's CI does: a real process, stdout and stderr each through its own pipe."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from tests.conftest import ADMIN_TOKEN, make_settings

ROOT = Path(__file__).resolve().parents[1]
# what the CLI must never print: a traceback, or a Python repr of a dict or a None
NEVER = ("Traceback (most recent call last)", "{'", "': None", "': True", "': False")


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def error(self) -> dict[str, Any]:
        """The one JSON error line that ``--json`` writes on stderr."""
        lines = self.err.strip().splitlines()
        assert len(lines) == 1, self.err
        return dict(json.loads(lines[0])["error"])


def cli(*args: str, env: dict[str, str] | None = None, stdin: bytes | None = None, cwd: Path | None = None) -> Run:
    """``python -m governance ARGS`` with both streams piped (not a terminal), checked for tracebacks and reprs."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("GOVERNANCE_")}
    result = subprocess.run([sys.executable, "-m", "governance", *args], capture_output=True, timeout=120,
                            env={**base, **(env or {})}, input=stdin, cwd=cwd or ROOT)
    run = Run(result.returncode, result.stdout.decode(), result.stderr.decode())
    for bad in NEVER:
        assert bad not in run.out + run.err, f"{bad!r} printed by {args}:\n{run.out}\n{run.err}"
    return run


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"{url} did not answer within {timeout} s")


@contextmanager
def live_server(database_url: str) -> Iterator[str]:
    """The real app on 127.0.0.1 (uvicorn in a thread) with ADMIN_TOKEN registered."""
    from governance.app import create_app

    port = free_port()
    config = uvicorn.Config(create_app(make_settings(database_url)), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/healthz")
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def env_for(url: str, token: str = ADMIN_TOKEN) -> dict[str, str]:
    return {"GOVERNANCE_URL": url, "GOVERNANCE_TOKEN": token}
