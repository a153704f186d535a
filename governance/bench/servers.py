"""Child processes of the benchmarks: the peers under uvicorn and ``governance serve``, on 127.0.0.1.

Every child writes its output to a log file in the run's directory (shown when it fails to start)
and is stopped (SIGTERM, then SIGKILL after 10 s) when the ``Children`` context ends.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
UVICORN = [sys.executable, "-m", "uvicorn", "--no-access-log", "--log-level", "warning", "--host", "127.0.0.1"]
DURABILITY_MODES = ("full", "normal")
# the Settings field that chooses SQLite's synchronous mode (helper "reliability" adds it)
SYNC_SETTING = "sqlite_synchronous"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited ({proc.returncode}):\n{log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not start in {timeout:.0f} s:\n{log.read_text()[-2000:]}")


def wait_until_up(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = 90.0) -> None:
    """Until ``/healthz`` answers 200 (a bound port is not yet a started server)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited ({proc.returncode}):\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not answer /healthz in {timeout:.0f} s")


def build_default_durability() -> str:
    """The proxy's SQLite durability when nothing is set: the setting's default, or ``normal``
    while this build has no setting (``db.py`` then hard-codes ``synchronous=NORMAL``)."""
    from governance.settings import Settings

    field = Settings.model_fields.get(SYNC_SETTING)
    return str(field.default).lower() if field is not None else "normal"


def durability_env(mode: str) -> dict[str, str]:
    """The environment that puts the proxy's SQLite commits in ``mode`` (``full`` or ``normal``).

    The one place that knows the setting's name. A mode this build cannot run is refused rather
    than reported under a name it does not have."""
    from governance.settings import Settings

    if mode not in DURABILITY_MODES:
        raise ValueError(f"durability must be one of {', '.join(DURABILITY_MODES)}, not {mode!r}")
    if SYNC_SETTING in Settings.model_fields:
        return {f"GOVERNANCE_{SYNC_SETTING.upper()}": mode.upper()}
    if mode != build_default_durability():
        raise ValueError(f"this build has no {SYNC_SETTING} setting: its SQLite commits are "
                         f"synchronous={build_default_durability().upper()} only")
    return {}


class Children:
    """Start servers, remember them, stop them all on exit."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.procs: list[subprocess.Popen[bytes]] = []
        self.env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
                    "GX_ANALYTICS_ENABLED": "false"}

    def __enter__(self) -> Children:
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        for proc in reversed(self.procs):
            self.stop(proc)

    def start(self, name: str, cmd: list[str], port: int, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = self.dir / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(cmd, env={**self.env, **(env or {})}, stdout=out, stderr=subprocess.STDOUT,
                                    cwd=self.dir)
        self.procs.append(proc)
        wait_http(port, proc, log)
        return proc

    def peer(self, name: str, module: str, env: dict[str, str] | None = None) -> tuple[int, subprocess.Popen[bytes]]:
        """A reference program of ``governance.bench.peers`` under uvicorn; returns (port, process)."""
        port = free_port()
        proc = self.start(name, [*UVICORN, "--port", str(port), f"governance.bench.peers.{module}:app"], port, env)
        return port, proc

    def proxy(self, name: str, database_url: str, env: dict[str, str],
              workers: int = 1) -> tuple[int, subprocess.Popen[bytes]]:
        """``governance serve --workers N`` (web processes + its worker) on a fresh port; returns
        (port, serve)."""
        port = free_port()
        cmd = [sys.executable, "-m", "governance", "serve", "--port", str(port), "--workers", str(workers)]
        proc = self.start(name, cmd, port, {"GOVERNANCE_DATABASE_URL": database_url, "GOVERNANCE_LOG_LEVEL": "WARNING",
                                            **env})
        if workers > 1:  # the port is bound before the web processes have started
            wait_until_up(port, proc, self.dir / f"{name}.log")
        return port, proc

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGTERM the process and everything it started, SIGKILL what is left after 10 s.

        Its children are reaped too: ``governance serve`` ends by re-raising SIGTERM (uvicorn does
        so after a graceful shutdown), which kills it before it can stop its own worker."""
        import psutil

        try:
            family = psutil.Process(proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            family = []
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        for child in family:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.terminate()
        _gone, alive = psutil.wait_procs(family, timeout=10)
        for child in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
        if proc in self.procs:
            self.procs.remove(proc)


def machine(before: tuple[float, float, float] | None = None) -> dict[str, Any]:
    """CPUs and load averages: shared machines are noisy, and a figure says how noisy it was."""
    out: dict[str, Any] = {"cpus": os.cpu_count(), "load_avg_1m_end": round(os.getloadavg()[0], 2)}
    if before is not None:
        out["load_avg_1m_start"] = round(before[0], 2)
    return out


def upstream_count(port: int) -> dict[str, Any]:
    """What the counting upstream (``peers/upstream.py``) has received so far."""
    return dict(httpx.get(f"http://127.0.0.1:{port}/count", timeout=10).json())


def _children(serve: subprocess.Popen[bytes]) -> list[Any]:
    import psutil

    try:
        return list(psutil.Process(serve.pid).children())
    except psutil.NoSuchProcess:
        return []


def _cmdline(proc: Any) -> str:
    import psutil

    try:
        return " ".join(proc.cmdline())
    except psutil.Error:
        return ""


def worker_pid(web: subprocess.Popen[bytes]) -> int | None:
    """The worker ``governance serve`` started beside its web process(es)."""
    found = [c.pid for c in _children(web) if "governance worker" in _cmdline(c)]
    return found[0] if found else None


def web_pids(serve: subprocess.Popen[bytes]) -> list[int | None]:
    """The processes that answer requests: serve itself, or with ``--workers N`` its N web processes
    (serve then only supervises them)."""
    spawned = [c.pid for c in _children(serve) if "multiprocessing.spawn" in _cmdline(c)]
    return list(spawned) if spawned else [serve.pid]


def connections_held(pids: list[int | None], port: int) -> list[int]:
    """How many established connections on ``port`` each of ``pids`` holds (a gone one: 0): with
    ``--workers N``, how the load generator's keep-alive clients fell across the web processes."""
    import psutil

    held = []
    for pid in pids:
        try:
            conns = psutil.Process(pid).net_connections("tcp") if pid is not None else []
        except psutil.Error:
            conns = []
        held.append(sum(1 for c in conns if c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port))
    return held


def cpu_s(pids: list[int | None]) -> float:
    """CPU seconds (user + system) the processes ``pids`` have used so far (gone ones count 0)."""
    import psutil

    total = 0.0
    for pid in pids:
        if pid is None:
            continue
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def rss_mb(pid: int | None) -> float | None:
    import psutil

    if pid is None:
        return None
    try:
        return round(psutil.Process(pid).memory_info().rss / 2**20, 1)
    except psutil.NoSuchProcess:
        return None
