"""``governance serve``'s worker, supervised: restarted when it dies, stopped when serve stops.

    serve (web process)                        worker (child process)
    ├─ uvicorn (main thread)                   forwarder, scheduler
    └─ Supervisor thread ── spawns, waits ──>  exits when serve is gone (``watch_parent``)

* A worker that exits while serve runs (killed, crashed) is restarted after a backoff of
  ``BACKOFF_S`` (0.5 s, doubling to 30 s; back to 0.5 s once a worker ran ``HEALTHY_AFTER_S``).
  Each exit and restart is logged; ``/healthz`` says ``degraded`` while no worker runs and
  ``/metrics`` carries ``governance_worker_up`` and ``governance_worker_restarts_total``.
* SIGTERM or SIGINT to serve (what systemd and container runtimes send) shuts the web process
  down gracefully, then sends the worker SIGTERM and waits ``STOP_TIMEOUT_S`` for it to finish
  its deliveries (SIGKILL after that). serve then exits as the signal asks.
* With several web processes (``serve --workers N``) the supervisor lives in serve's parent
  process and writes the worker's status to ``STATUS_FILE_ENV``'s file at every change; each web
  process reads it there (``current``), so ``/healthz`` and ``/metrics`` say the same in all.
* The worker knows it is supervised (``SUPERVISOR_ENV`` holds serve's pid) and stops when serve
  is gone, however it went (kill -9 included): ``PR_SET_PDEATHSIG`` on Linux, and a watch on
  ``os.getppid()`` everywhere. ``governance worker`` run alone by a process manager has no such
  variable and behaves as before.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("governance.supervisor")
SUPERVISOR_ENV = "GOVERNANCE_SUPERVISOR_PID"
STATUS_FILE_ENV = "GOVERNANCE_WORKER_STATUS_FILE"  # set by serve --workers N for its web processes
BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
HEALTHY_AFTER_S = 60.0
STOP_TIMEOUT_S = 45.0  # the forwarder finishes its in-flight deliveries (upstream_timeout_s each) first
PARENT_POLL_S = 1.0
_PR_SET_PDEATHSIG = 1


@dataclass
class WorkerStatus:
    state: str  # starting | running | restarting | stopped
    pid: int | None
    restarts: int
    last_exit: int | None  # the last worker's exit status (negative: killed by that signal)
    up_since: float | None  # time.time() the running worker started

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "pid": self.pid, "restarts": self.restarts, "last_exit": self.last_exit}


class Supervisor:
    def __init__(self, command: Sequence[str], env: dict[str, str], *, backoff: Sequence[float] = BACKOFF_S,
                 stop_timeout_s: float = STOP_TIMEOUT_S, status_file: str | None = None) -> None:
        self.command = list(command)
        self.status_file = status_file
        self.env = {**env, SUPERVISOR_ENV: str(os.getpid())}
        self.backoff = tuple(backoff)
        self.stop_timeout_s = stop_timeout_s
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._child: subprocess.Popen[bytes] | None = None
        self._status = WorkerStatus("starting", None, 0, None, None)
        self._thread = threading.Thread(target=self._run, name="worker-supervisor", daemon=True)

    def start(self) -> None:
        global ACTIVE
        ACTIVE = self
        self._thread.start()

    def status(self) -> WorkerStatus:
        with self._lock:
            return WorkerStatus(**self._status.__dict__)

    def _publish(self) -> None:
        """Write the status for the web processes beside this one (atomically: write, then rename)."""
        if self.status_file is None:
            return
        status = self.status()
        tmp = f"{self.status_file}.{os.getpid()}.tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as out:
                json.dump({**status.to_dict(), "up_since": status.up_since}, out)
            os.replace(tmp, self.status_file)
        except OSError as exc:  # supervising matters more than reporting: the next change tries again
            log.warning("cannot publish the worker's status to %s: %s", self.status_file, exc)

    def _spawn(self) -> subprocess.Popen[bytes]:
        child = subprocess.Popen(self.command, env=self.env)
        with self._lock:
            self._child = child
            self._status.state, self._status.pid, self._status.up_since = "running", child.pid, time.time()
        self._publish()
        log.info("worker started (pid %d)", child.pid)
        return child

    def _run(self) -> None:
        failures = 0
        while not self.stopping.is_set():
            started = time.monotonic()
            code = self._spawn().wait()
            with self._lock:
                self._status.last_exit, self._status.pid, self._status.up_since = code, None, None
                self._status.state = "stopped" if self.stopping.is_set() else "restarting"
            if self.stopping.is_set():
                return
            failures = 0 if time.monotonic() - started >= HEALTHY_AFTER_S else failures + 1
            delay = self.backoff[min(failures, len(self.backoff)) - 1] if failures else self.backoff[0]
            with self._lock:
                self._status.restarts += 1
            self._publish()
            log.error("worker exited with status %s; restarting it in %.1f s", code, delay)
            self.stopping.wait(delay)

    def stop(self) -> None:
        """Stop supervising: SIGTERM the worker, wait for it, SIGKILL it if it does not stop in time."""
        self.stopping.set()
        with self._lock:
            child = self._child
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=self.stop_timeout_s)
            except subprocess.TimeoutExpired:
                log.error("worker did not stop within %.0f s: killing it", self.stop_timeout_s)
                child.kill()
                child.wait(timeout=10)
        self._thread.join(timeout=5)
        with self._lock:
            self._status.state = "stopped"
        self._publish()


ACTIVE: Supervisor | None = None  # the supervisor of this process, if any (read by /healthz and /metrics)


def current() -> WorkerStatus | None:
    """The supervised worker's status: this process's supervisor's, else the one serve's parent
    process publishes (``STATUS_FILE_ENV``); None when no worker is supervised."""
    if ACTIVE is not None:
        return ACTIVE.status()
    path = os.environ.get(STATUS_FILE_ENV)
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as src:
            raw = json.load(src)
    except FileNotFoundError:
        return WorkerStatus("starting", None, 0, None, None)  # the parent has not spawned it yet
    except (OSError, ValueError):
        return None
    return WorkerStatus(raw["state"], raw["pid"], raw["restarts"], raw["last_exit"], raw.get("up_since"))


def metric_lines() -> list[str]:
    status = current()
    if status is None:
        return []
    return ["# HELP governance_worker_up 1 while the supervised worker process runs",
            "# TYPE governance_worker_up gauge", f"governance_worker_up {int(status.state == 'running')}",
            "# HELP governance_worker_restarts_total Times serve restarted its worker",
            "# TYPE governance_worker_restarts_total counter", f"governance_worker_restarts_total {status.restarts}"]


def _die_with_parent() -> None:
    """Linux: have the kernel send SIGTERM when the parent goes (no-op elsewhere)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def watch_parent(stop: threading.Event) -> None:
    """In a worker that serve supervises: set ``stop`` as soon as serve is gone."""
    raw = os.environ.get(SUPERVISOR_ENV, "")
    if not (raw.isascii() and raw.isdigit()):
        return
    parent = int(raw)
    _die_with_parent()

    def watch() -> None:
        while not stop.is_set():
            if os.getppid() != parent:  # re-parented: serve died, perhaps before prctl took effect
                log.warning("serve (pid %d) is gone: the worker stops", parent)
                stop.set()
                return
            stop.wait(PARENT_POLL_S)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def serve_supervised(run_web: Callable[[Callable[[], None]], None], worker_command: Sequence[str] | None,
                     env: dict[str, str], status_file: str | None = None) -> None:
    """Run the web process (``run_web(on_exit)``, which calls ``on_exit`` when a signal asks it to
    stop) and supervise a worker beside it (when ``worker_command``); see the module docstring.
    ``status_file``: where the worker's status is published for other web processes."""
    supervisor = Supervisor(worker_command, env, status_file=status_file) if worker_command else None
    received: list[int] = []
    # uvicorn re-raises the signal it shut down for once it has restored the handlers it found:
    # these ones, so that the worker is stopped before serve exits, instead of being orphaned
    previous = {sig: signal.signal(sig, lambda s, _f: received.append(s)) for sig in (signal.SIGTERM, signal.SIGINT)}
    if supervisor is not None:
        supervisor.start()
    try:
        run_web(supervisor.stopping.set if supervisor is not None else lambda: None)
    finally:
        if supervisor is not None:
            supervisor.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if signal.SIGTERM in received:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.raise_signal(signal.SIGTERM)  # exit as a terminated process does
