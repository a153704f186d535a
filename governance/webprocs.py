"""``governance serve --workers N``: N web processes answering on one port.

    serve (parent)                          web process 1..N (uvicorn, spawned)
    ├─ binds one socket a process ───────>  accepts on its own socket (SO_REUSEPORT: the
    │  (SO_REUSEPORT, one port)              kernel hashes each new connection to one of them)
    ├─ uvicorn's ``Multiprocess``: spawns,   each its own proxy: plan refresh, key lookups,
    │  restarts a dead one, stops them all   group commit, metrics
    └─ Supervisor thread ──> worker          (one worker for all: it drains the one outbox)

Why a socket a process: on one shared listening socket, every process is woken by a new
connection and the first one awake accepts all that are queued, so a burst of keep-alive
connections (a load balancer's pool, a router's clients, the bench's 8) all landed in one
process and ``--workers 2`` ran as one (capacity.md, phase 10). With ``SO_REUSEPORT`` the kernel
spreads connections over the sockets by a hash of their addresses, whatever the processes are
doing. A process's socket stays open in serve while it is replaced, so the connections hashed to
it meanwhile wait in its backlog for the replacement instead of being refused. Off Linux the
processes share one socket, as before.

Every web process is a full web process: it builds its own app (``app.app_from_env``, from the
same ``GOVERNANCE_*`` environment as the parent), polls the plan registry itself (a publish
reaches every process within ``plan_refresh_s``), commits its own group commits, and counts its
own metrics. ``/metrics`` adds them up: before the processes start, ``PROMETHEUS_MULTIPROC_DIR``
is set (to a fresh directory of this run, or emptied when the operator chose one), so each
process's counters live in files there that every scrape sums (``prometheus_client``'s
multiprocess mode). The worker's status is published by the parent's supervisor to a file the
web processes read (``supervisor.STATUS_FILE_ENV``), so ``/healthz`` agrees across processes.

With ``--workers 1`` (the default) serve runs the web process itself, as it always did.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Multiprocess, Process

from governance.settings import Settings
from governance.worker.supervisor import STATUS_FILE_ENV

METRICS_ENV = "PROMETHEUS_MULTIPROC_DIR"
log = logging.getLogger("governance.webprocs")
REPLACED_MARK = "replaced by a new one"
REPLACED = "web process %s %s: " + REPLACED_MARK  # the WARNING serve logs (bench proxy reads it)


@contextmanager
def shared_state(*, worker: bool) -> Iterator[str | None]:
    """A directory of this serve run holding the metrics files (unless the operator set
    ``PROMETHEUS_MULTIPROC_DIR``: that one is emptied of old files) and, with a ``worker``, its
    status file, both named in ``os.environ`` for the processes about to start; yields the status
    file's path (None without a worker)."""
    run = Path(tempfile.mkdtemp(prefix="governance-serve-"))
    chosen = os.environ.get(METRICS_ENV)
    if chosen:
        metrics = Path(chosen)
        metrics.mkdir(parents=True, exist_ok=True)
        for stale in metrics.glob("*.db"):  # a previous run's counters would be added to this one's
            stale.unlink()
    else:
        metrics = run / "metrics"
        metrics.mkdir()
    status = str(run / "worker.json") if worker else None
    os.environ[METRICS_ENV] = str(metrics)
    if status is not None:
        os.environ[STATUS_FILE_ENV] = status
    else:
        os.environ.pop(STATUS_FILE_ENV, None)
    try:
        yield status
    finally:
        shutil.rmtree(run, ignore_errors=True)


JSON_LOGS_ENV = "GOVERNANCE_SERVE_JSON_LOGS"  # serve --json: the web processes log JSON lines too


class WebProcesses(Multiprocess):
    """uvicorn's supervisor of worker processes, each process on its own socket of ``sockets``
    (one a process, or one shared by all), telling serve as soon as a signal asks to stop."""

    def __init__(self, config: uvicorn.Config, sockets: list[socket.socket], on_exit: Callable[[], None]) -> None:
        super().__init__(config, sockets)
        self.on_exit = on_exit

    def sockets_of(self, idx: int) -> list[socket.socket]:
        """The listening socket(s) of process slot ``idx``."""
        return [self.sockets[idx]] if len(self.sockets) > 1 else self.sockets

    def init_processes(self) -> None:
        for idx in range(self.processes_num):
            process = Process(self.config, self.sockets_of(idx))
            process.start()
            self.processes.append(process)

    def restart_all(self) -> None:
        """SIGHUP: uvicorn's own (0.54), each replacement on its slot's socket."""
        for idx, old_process in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new_process = Process(self.config, self.sockets_of(idx))
            new_process.start()
            if not new_process.wait_until_ready(self.config.timeout_worker_healthcheck, self.should_exit):
                new_process.kill()
                new_process.join()
                if not self.should_exit.is_set():
                    log.error("web process %s was not ready in time: keeping %s", new_process.pid, old_process.pid)
                return
            old_process.terminate()
            old_process.join()
            self.processes[idx] = new_process

    def keep_subprocess_alive(self) -> None:
        """uvicorn's own (0.54), but saying at WARNING why a web process is replaced (uvicorn logs
        "Child process died" at INFO, under serve's default level): it exited, or it is alive and
        did not answer the supervisor's health check within ``web_healthcheck_timeout_s`` (30 s;
        uvicorn's 5 s left little margin: at load average 12 on two cores a busy web process
        answered in up to 1.9 s, capacity.md phase 9), so it is killed (SIGKILL). Either way the
        requests in flight on it get no answer, and their events may have been committed (a
        client's retry is deduplicated)."""
        if self.should_exit.is_set():
            return
        for idx, process in enumerate(self.processes):
            exited = not process.process.is_alive()
            if not exited and process.ping(self.config.timeout_worker_healthcheck):
                continue
            pid = process.pid
            process.kill()
            process.join()
            if process.exitcode == STARTUP_FAILURE:
                log.error("web process %s failed to start: stopping", pid)
                self.should_exit.set()
                return
            if self.should_exit.is_set():
                return
            why = (f"exited (code {process.exitcode})" if exited else
                   f"did not answer the health check in {self.config.timeout_worker_healthcheck} s and was killed")
            log.warning(REPLACED, pid, why)
            replacement = Process(self.config, self.sockets_of(idx))
            replacement.start()
            self.processes[idx] = replacement

    def handle_ttin(self) -> None:
        log.warning("SIGTTIN ignored: serve runs --workers %s web processes, each on its own socket",
                    self.processes_num)

    def handle_ttou(self) -> None:
        log.warning("SIGTTOU ignored: serve runs --workers %s web processes, each on its own socket",
                    self.processes_num)

    def handle_int(self) -> None:
        self.on_exit()
        super().handle_int()

    def handle_term(self) -> None:
        self.on_exit()
        super().handle_term()


def listening_sockets(config: uvicorn.Config, workers: int) -> list[socket.socket]:
    """One socket a web process on ``config.host:port`` with ``SO_REUSEPORT`` (the first one's port
    for all, so ``--port 0`` works), or uvicorn's one shared socket off Linux (the BSDs' and
    macOS's ``SO_REUSEPORT`` does not spread connections over the sockets)."""
    if not sys.platform.startswith("linux") or config.uds is not None or config.fd is not None:
        return [config.bind_socket()]
    family = socket.AF_INET6 if config.host and ":" in config.host else socket.AF_INET
    sockets: list[socket.socket] = []
    port = config.port
    try:
        for _ in range(workers):
            sock = socket.socket(family=family)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((config.host, port))
            sock.set_inheritable(True)
            port = sock.getsockname()[1]
    except OSError as exc:
        for sock in sockets:
            sock.close()
        log.error("cannot listen on %s:%s: %s", config.host, config.port, exc)
        raise SystemExit(STARTUP_FAILURE) from exc
    log.info("listening on %s:%s, one socket for each of %s web processes", config.host, port, workers)
    return sockets


def run_web_processes(settings: Settings, workers: int, on_exit: Callable[[], None]) -> None:
    """``workers`` web processes on ``settings.host:port``, until SIGTERM or SIGINT."""
    config = uvicorn.Config("governance.app:app_from_env", factory=True, host=settings.host, port=settings.port,
                            workers=workers, log_config=None, http="governance.timeouts:HeadTimeoutProtocol",
                            log_level=settings.log_level.lower(), access_log=settings.access_log,
                            timeout_worker_healthcheck=settings.web_healthcheck_timeout_s)
    sockets = listening_sockets(config, workers)
    processes = WebProcesses(config, sockets, on_exit)
    try:
        processes.run()
    finally:
        for sock in sockets:
            sock.close()
