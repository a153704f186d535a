"""Bounded waits, measured over real sockets: a slow request head, a slow body, a locked database."""

from __future__ import annotations

import base64
import select as io_select
import socket
import sqlite3
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from governance.proxy.tables import OutboxRow
from governance.settings import Settings
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.reliability.live import live_app

HEAD_S, BODY_S = 1.5, 2.0


def _source(base: str, app) -> str:  # type: ignore[no-untyped-def]
    created = httpx.post(f"{base}/api/v1/sources", json={"name": "web"},
                         headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30)
    assert created.status_code == 201, created.text
    app.state.proxy.runtime.reload()
    return str(created.json()["write_key"])


def _trickle(base: str, data: bytes, *, every_s: float, limit_s: float, at_once: bytes = b"") -> tuple[bytes, float]:
    """Send ``at_once``, then ``data`` four bytes every ``every_s`` until the server answers or closes;
    (its answer, seconds from the last byte sent at once until the answer was read whole)."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=limit_s) as sock:
        sock.sendall(at_once)
        started = time.monotonic()
        for i in range(0, len(data), 4):
            readable, _, _ = io_select.select([sock], [], [], every_s)
            if readable or time.monotonic() - started > limit_s:
                break
            try:
                sock.sendall(data[i : i + 4])
            except OSError:
                break
        sock.settimeout(limit_s)
        answer = _rest(sock)
    return answer, time.monotonic() - started


def _rest(sock: socket.socket) -> bytes:
    out = b""
    while True:
        try:
            chunk = sock.recv(4096)
        except OSError:
            return out
        if not chunk:
            return out
        out += chunk


@pytest.fixture
def server(sqlite_url: str):  # type: ignore[no-untyped-def]
    settings = make_settings(sqlite_url, request_head_timeout_s=HEAD_S, request_body_timeout_s=BODY_S)
    with live_app(settings) as (base, app):
        yield base, app, _source(base, app)


def test_a_half_sent_request_head_is_answered_408_within_its_bound(server) -> None:
    base, _app, _key = server
    head = b"POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Slow: " + b"a" * 200
    answer, elapsed = _trickle(base, head, every_s=0.25, limit_s=10)
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert HEAD_S - 0.1 <= elapsed < HEAD_S + 1.5, f"the head was held {elapsed:.2f} s"
    print(f"\nslow head: closed with 408 after {elapsed:.2f} s (request_head_timeout_s={HEAD_S})")


def test_a_trickled_body_is_answered_408_within_its_bound_and_stores_nothing(server) -> None:
    base, app, key = server
    auth = base64.b64encode(f"{key}:".encode()).decode()
    body = b'{"batch": [{"type": "track", "event": "E", "userId": "u", "messageId": "slow"}]}' + b" " * 400
    head = (f"POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Basic {auth}"
            f"\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    answer, elapsed = _trickle(base, body, every_s=0.3, limit_s=15, at_once=head)
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b'"code":"request_timeout"' in answer
    assert BODY_S - 0.1 <= elapsed < BODY_S + 1.5, f"the body was read for {elapsed:.2f} s"
    with app.state.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(OutboxRow)).scalar_one() == 0
    print(f"\nslow body: answered 408 after {elapsed:.2f} s (request_body_timeout_s={BODY_S})")


def test_a_declared_length_that_never_arrives_is_bounded_too(server) -> None:
    base, _app, _key = server
    head = b"POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
    host, port = base.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head + b'{"event": "E"')
        answer = _rest(sock)
    elapsed = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408") and elapsed < BODY_S + 1.5


def _hold_write_lock(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=0)
    conn.execute("BEGIN IMMEDIATE")
    return conn


@pytest.mark.parametrize(("lock_s", "commit_s"), [(1.0, 5.0), (30.0, 1.5)])
def test_a_locked_database_answers_503_before_the_sdks_give_up(tmp_path: Path, lock_s: float, commit_s: float) -> None:
    """Whichever bound comes first — the store's lock wait or the request's commit wait — the answer
    is 503 within it; once the lock is gone the retry commits (a commit that landed late dedupes it)."""
    db = tmp_path / "governance.db"
    settings = make_settings(f"sqlite:///{db}", db_lock_timeout_s=lock_s, commit_timeout_s=commit_s)
    with live_app(settings) as (base, app):
        key = _source(base, app)
        event = {"type": "track", "event": "E", "userId": "u", "messageId": "locked"}
        lock = _hold_write_lock(db)
        try:
            started = time.monotonic()
            response = httpx.post(f"{base}/v1/track", json=event, auth=(key, ""), timeout=15)
            elapsed = time.monotonic() - started
        finally:
            lock.rollback()
            lock.close()
        assert response.status_code == 503 and response.headers["retry-after"] == "5"
        assert elapsed < min(lock_s, commit_s) + 1.0 < 15
        retry = httpx.post(f"{base}/v1/track", json=event, auth=(key, ""), timeout=15)
        assert retry.status_code == 200
        time.sleep(0.2)
        with app.state.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(OutboxRow)).scalar_one() == 1
        ledger = httpx.get(f"{base}/api/v1/sources/web/ledger", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert ledger.json()["difference"] == 0
    print(f"\nlocked database (db_lock_timeout_s={lock_s}, commit_timeout_s={commit_s}): 503 after {elapsed:.2f} s")


def test_the_default_bounds_are_below_the_sdks_timeout() -> None:
    defaults = Settings()
    assert defaults.db_lock_timeout_s < defaults.commit_timeout_s < 15
    assert defaults.request_head_timeout_s <= 15 and defaults.sqlite_synchronous == "FULL"
