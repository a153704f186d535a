"""Schema migrations: the models and the revisions agree, and every released database upgrades in place.

``tests/fixtures/governance-<release>.db`` is a SQLite file made by that release's own code
(``tests/fixtures/make_<release>.py``); its ``.json`` holds the admin token and a write key it
minted. On PostgreSQL the same rows are loaded into a database with that release's schema (the
baseline revision, with no version table, exactly as release 0.1.0 left it).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, inspect, select, text

from governance.db import make_engine
from governance.migrations import BASELINE, SchemaNotCurrent, SchemaState, config, ensure_current, head, status, upgrade
from governance.migrations.models import metadata
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures"
RELEASES = sorted(p.stem.removeprefix("governance-") for p in FIXTURES.glob("governance-*.db"))
# tables whose rows a later revision rewrites on purpose: {table: reason}
REWRITTEN: dict[str, str] = {
    "dedupe": "0007_compact_dedupe moves the window to dedupe_keys (16-byte keys): checked by _window_moved",
}


def _diff(engine: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata()))


def test_there_is_a_fixture_of_every_release() -> None:
    assert "0.1.0" in RELEASES
    for release in RELEASES:
        assert (FIXTURES / f"governance-{release}.json").exists()


def test_revisions_from_nothing_build_exactly_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            cfg = config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")  # every revision, not the create_all fast path
        assert _diff(engine) == []
        assert status(engine).state is SchemaState.current
    finally:
        engine.dispose()


def test_an_empty_database_is_created_at_head_and_upgrade_is_idempotent(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert status(engine).state is SchemaState.empty
        assert ensure_current(engine).state is SchemaState.current
        assert _diff(engine) == []
        before, after = upgrade(engine)
        assert before == after and after.revision == head()
    finally:
        engine.dispose()


def _rows(conn: Any, table: str) -> list[dict[str, Any]]:
    reflected = MetaData()
    reflected.reflect(conn, only=[table])
    return [dict(r._mapping) for r in conn.execute(select(reflected.tables[table]))]


def _load_into_postgres(fixture: Path, url: str) -> None:
    """The fixture's rows in a PostgreSQL database with release 0.1.0's schema and no version table."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            cfg = config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, BASELINE)
            conn.execute(text("DROP TABLE alembic_version"))
        source = make_engine(f"sqlite:///{fixture}")
        target = MetaData()
        target.reflect(engine)
        with source.connect() as src, engine.begin() as dst:
            for table in target.sorted_tables:
                rows = _rows(src, table.name)
                if rows:
                    dst.execute(table.insert(), rows)
            for table in target.sorted_tables:  # serial ids carry on after the copied rows
                if "id" in table.c and table.c.id.autoincrement is not False and str(table.c.id.type) == "INTEGER":
                    dst.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                     f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"))
        source.dispose()
    finally:
        engine.dispose()


@pytest.mark.parametrize("release", RELEASES)
def test_a_released_database_upgrades_in_place(release: str, database_url: str, tmp_path: Path) -> None:
    fixture = FIXTURES / f"governance-{release}.db"
    secrets = json.loads((FIXTURES / f"governance-{release}.json").read_text())
    if database_url.startswith("sqlite"):
        copy = tmp_path / "old.db"
        shutil.copy(fixture, copy)
        database_url = f"sqlite:///{copy}"
    else:
        _load_into_postgres(fixture, database_url)
    with sqlite3.connect(fixture) as old:
        tables = [t for (t,) in old.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    engine = make_engine(database_url)
    seen_now = _seen_before_the_upgrade(engine)
    with engine.connect() as conn:
        before = {t: _rows(conn, t) for t in tables}
    found = status(engine)
    assert found.state is (SchemaState.legacy if release == "0.1.0" else SchemaState.behind)
    with pytest.raises(SchemaNotCurrent, match="governance db upgrade"):
        ensure_current(engine)  # serve and worker refuse it until it is upgraded

    was, now = upgrade(engine)
    assert was.state is found.state and now.state is SchemaState.current
    assert _diff(engine) == []
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) >= set(tables) - set(REWRITTEN)
        _window_moved(conn, before["dedupe"])
        for table, rows in before.items():
            if table in REWRITTEN:
                continue
            after = _rows(conn, table)
            kept = [{k: r[k] for k in rows[0]} for r in after] if rows else []
            assert kept == rows or sorted(map(repr, kept)) == sorted(map(repr, rows)), table
    engine.dispose()
    _works(database_url, secrets, duplicate_of=seen_now)


# an analytics.js id of now: its key since revision 0010 is TIMED, before it was the older form
SEEN_BEFORE = f"ajs-next-{time.time_ns() // 1_000_000}-8e320219-9a2b-49d1-b5cd-6a0ab9161e68"


def _seen_before_the_upgrade(engine: Any) -> str:
    """A key of the web source written to the old ``dedupe`` table a moment ago (the fixture's own
    keys are as old as the fixture, so they may be outside the window); its messageId."""
    from governance.clock import utcnow

    now = utcnow()
    seen = now if engine.dialect.name == "postgresql" else now.replace(tzinfo=None).isoformat(" ")
    with engine.begin() as conn:
        web = conn.execute(text("SELECT id FROM sources WHERE name = 'web'")).scalar_one()
        conn.execute(text("INSERT INTO dedupe (source_id, message_id, seen_at) VALUES (:s, :m, :t)"),
                     {"s": web, "m": SEEN_BEFORE, "t": seen})
    return SEEN_BEFORE


def _window_moved(conn: Any, old: list[dict[str, Any]]) -> None:
    """Every key of the old window is in ``dedupe_keys``: its 16-byte hash (the form of 0007, ``legacy_key``),
    last seen the same second."""
    from governance.clock import as_utc
    from governance.proxy.dedupe import legacy_key

    def second(value: Any) -> int:
        value = datetime.fromisoformat(value) if isinstance(value, str) else value
        return int(as_utc(value).timestamp())

    moved = {bytes(k): s for k, s in conn.execute(text("SELECT key, seen_s FROM dedupe_keys"))}
    assert len(old) >= 5 and moved == {legacy_key(r["source_id"], r["message_id"]): second(r["seen_at"]) for r in old}


def _items(listed: Any) -> list[Any]:
    return list(listed["data"] if isinstance(listed, dict) else listed)


def _works(database_url: str, secrets: dict[str, str], duplicate_of: str) -> None:
    """The upgraded database serves: plans, sources, keys, quarantine, checks and alerts are there;
    an event whose messageId was seen before the upgrade is a duplicate, a new one is not."""
    from governance.app import create_app
    from governance.settings import Settings

    settings = Settings(database_url=database_url, run_worker=False)
    with TestClient(create_app(settings), headers={"Authorization": f"Bearer {secrets['admin_token']}"}) as client:
        plans = client.get("/api/v1/plans").json()
        assert {p["name"] for p in plans["data"]} >= {"ecommerce", "mobile", "saas"}
        assert client.get("/api/v1/plans/ecommerce/versions").json()["count"] >= 1
        sources = {s["name"]: s for s in client.get("/api/v1/sources").json()["data"]}
        assert set(sources) >= {"web", "android"} and sources["android"]["mode"] == "shadow"
        keys = _items(client.get("/api/v1/sources/web/write-keys").json())
        assert len(keys) == 2 and sum(1 for k in keys if k.get("revoked_at")) == 1
        assert len(_items(client.get("/api/v1/sources/web/transformations").json())) == 1
        quarantined = client.get("/api/v1/quarantine", params={"source": "web"}).json()
        assert [q["event"] for q in quarantined["data"]] == ["Signup Clicked"]
        assert client.get("/api/v1/dead-letter").json()["count"] == 1
        checks = client.get("/api/v1/checks", params={"source": "web"}).json()
        assert any(c["origin"] == "api" and c["kind"] == "volume" for c in checks["data"])
        firing = client.get("/api/v1/alerts", params={"status": "firing"}).json()
        assert firing["count"] >= 1
        assert client.get("/api/v1/alert-channels").json()["count"] == 1
        # the old write key still authenticates and its events are accepted
        deadline = time.monotonic() + 5
        while True:
            sent = client.post("/v1/track", auth=(secrets["write_key"], ""),
                               json={"event": "Order Completed", "userId": "u9", "messageId": "after-upgrade",
                                     "properties": {"order_id": "o9", "total": 1.0, "currency": "EUR"}})
            if sent.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert sent.status_code == 200, sent.text
        again = client.post("/v1/track", auth=(secrets["write_key"], ""),
                            json={"event": "Order Completed", "userId": "u9", "messageId": duplicate_of,
                                  "properties": {"order_id": "o9", "total": 1.0, "currency": "EUR"}})
        assert again.status_code == 200, again.text
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            outcomes = dict(conn.execute(text(
                "SELECT outcome, sum(count) FROM event_counts c JOIN sources s ON s.id = c.source_id "
                "WHERE s.name = 'web' AND c.event = 'Order Completed' AND c.minute >= :m GROUP BY outcome"),
                {"m": int(time.time() // 60) - 5}).all())
    finally:
        engine.dispose()
    assert outcomes.get("deduplicated") == 1, outcomes  # the key written before the upgrade
    assert sum(outcomes.values()) == 2, outcomes  # and "after-upgrade", new


def test_the_cli_upgrades_and_reports(tmp_path: Path) -> None:
    copy = tmp_path / "old.db"
    shutil.copy(FIXTURES / "governance-0.1.0.db", copy)
    env = {"GOVERNANCE_DATABASE_URL": f"sqlite:///{copy}", "PATH": "/usr/bin:/bin"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "governance", "db", *args], capture_output=True, text=True,
                              env=env, timeout=120)

    behind = run("current", "--json")
    assert behind.returncode == 1 and json.loads(behind.stdout) == {"state": "legacy", "revision": None,
                                                                   "head": head()}
    first = run("upgrade", "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["after"] == {"state": "current", "revision": head(), "head": head()}
    again = run("upgrade")
    assert again.returncode == 0 and again.stdout.strip() == f"already at {head()}"
    now = run("current")
    assert now.returncode == 0 and now.stdout.startswith(head())
