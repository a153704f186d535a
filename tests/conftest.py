"""Shared fixtures: a real SQLite file per test, and a throwaway PostgreSQL cluster when available."""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

ROOT = Path(__file__).resolve().parents[1]
ADMIN_TOKEN = "gov_test_admin_token_0123456789abcdefghijklmnopqrstuv"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


class PostgresCluster:
    """A throwaway cluster in a temp dir (run as the postgres user when we are root)."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="gov-pg-"))
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        self._counter = itertools.count()

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        data = self.dir / "data"
        self._run(str(self.bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run(str(self.bindir / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l",
                  str(self.dir / "log"), "start")

    def stop(self) -> None:
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def new_database(self) -> str:
        import psycopg

        name = f"t{os.getpid()}_{next(self._counter)}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster | None]:
    bindir = _pg_bin()
    if bindir is None:
        if os.environ.get("GOVERNANCE_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL binaries are required (GOVERNANCE_REQUIRE_POSTGRES) but not installed")
        yield None
        return
    cluster = PostgresCluster(bindir)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_engine(postgres: PostgresCluster | None) -> Iterator[Any]:
    """An engine on a fresh, migrated database of the session's PostgreSQL cluster."""
    from governance.db import make_engine
    from governance.migrations import upgrade

    if postgres is None:
        pytest.skip("PostgreSQL binaries not installed")
    engine = make_engine(str(postgres.new_database()))
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database on each backend: the registry suite runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'governance.db'}"
    cluster = request.getfixturevalue("postgres")
    if cluster is None:
        pytest.skip("PostgreSQL binaries not installed")
    return str(cluster.new_database())


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'governance.db'}"


def make_settings(database_url: str, **overrides: object):  # type: ignore[no-untyped-def]
    from governance.settings import Settings

    return Settings(database_url=database_url, bootstrap_admin_token=ADMIN_TOKEN, run_worker=False,
                    **overrides)  # type: ignore[arg-type]


@pytest.fixture
def app_client(database_url: str):  # type: ignore[no-untyped-def]
    """The real app over a real database, with the admin token in every request."""
    from fastapi.testclient import TestClient

    from governance.app import create_app

    app = create_app(make_settings(database_url))
    with TestClient(app, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as client:
        yield client


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.02) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
