"""``governance serve`` as a real process group (its own session), driven over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from tests.conftest import ADMIN_TOKEN, _free_port


class Serve:
    """One ``governance serve`` at a time on a fixed port and database; ``start`` again after a kill."""

    def __init__(self, database_url: str, log: Path, *, worker: bool = True, **settings: Any) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.args = [sys.executable, "-m", "governance", "serve", *([] if worker else ["--no-worker"])]
        self.env = {**os.environ, "GOVERNANCE_DATABASE_URL": database_url, "GOVERNANCE_PORT": str(self.port),
                    "GOVERNANCE_BOOTSTRAP_ADMIN_TOKEN": ADMIN_TOKEN, "GOVERNANCE_LOG_LEVEL": "WARNING",
                    **{f"GOVERNANCE_{k.upper()}": str(v) for k, v in settings.items()}}
        self.process: subprocess.Popen[bytes] | None = None
        self.admin = httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30)

    def start(self, timeout: float = 60) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(self.args, env=self.env, stdout=out, stderr=out, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited with {self.process.returncode}: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("serve did not answer /healthz")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def worker_pid(self) -> int | None:
        try:
            children = psutil.Process(self.pid).children()
        except psutil.NoSuchProcess:
            return None
        return children[0].pid if children else None

    def kill_group(self) -> None:
        """kill -9 of the whole process group (serve and its worker), as a power cut does to processes."""
        os.killpg(self.pid, signal.SIGKILL)
        assert self.process is not None
        self.process.wait(timeout=10)

    def stop(self) -> int:
        """SIGTERM to serve alone, as systemd sends it; returns its exit status."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.terminate()
        return self.process.wait(timeout=90)

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=10)
        self.admin.close()
