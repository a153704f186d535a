"""A group commit's outbox row is written with ``claimed_until`` = its creation time: claimable at
once, and on SQLite the forwarder's lease overwrites a timestamp of the same width, which SQLite
does in place (the row's last page written, not its ~75 KB payload again)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select, text

from governance.db import make_engine
from governance.migrations import upgrade
from governance.proxy.forwarder import Forwarder
from governance.proxy.store import Store
from governance.proxy.tables import OutboxRow
from governance.proxy.tally import Tally
from tests.conftest import make_settings

EVENTS = 100


def _write(engine: Any, source_id: str, tag: str) -> None:
    """One request's 100 events of ~750 bytes through the group commit's writer."""
    store = Store(engine, dedupe_window_s=86_400)
    store.close()
    counted = Tally(outbox=[(source_id, f"{tag}-{i}", orjson.dumps({"messageId": f"{tag}-{i}", "pad": "x" * 700,
                                                                    "receivedAt": "2026-12-01T00:00:00.000Z"}).decode())
                            for i in range(EVENTS)])
    store.write(counted, datetime.now(UTC))


def test_a_fresh_row_is_claimable_at_once_and_leased_once(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    _write(engine, "src_a", "a")
    with engine.connect() as conn:
        row = conn.execute(select(OutboxRow.__table__)).one()  # type: ignore[attr-defined]
    assert row.events == EVENTS and row.claimed_until is not None
    assert row.claimed_until.replace(tzinfo=None) == row.created_at.replace(tzinfo=None)  # a lease already over
    forwarder = Forwarder(engine, make_settings(database_url))
    try:
        claimed = forwarder.claim("src_a", 40)
        assert [r.id for r in claimed] == [row.id] and forwarder.claim("src_a", 40) == []  # leased: not claimed twice
        with engine.connect() as conn:
            until = conn.execute(select(OutboxRow.__table__.c.claimed_until)).scalar_one()  # type: ignore[attr-defined]
        assert until.replace(tzinfo=UTC) > datetime.now(UTC) + timedelta(seconds=30)
    finally:
        forwarder.close()
        engine.dispose()


def _wal_bytes_of_a_lease(path: Path, engine: Any, source_id: str) -> int:
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    before = os.path.getsize(f"{path}-wal")
    forwarder = Forwarder(engine, make_settings(f"sqlite:///{path}"))
    try:
        assert len(forwarder.claim(source_id, 40)) == 1
    finally:
        forwarder.close()
    return os.path.getsize(f"{path}-wal") - before


def test_on_sqlite_the_lease_rewrites_a_page_not_the_payload(tmp_path: Path) -> None:
    path = tmp_path / "lease.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    _write(engine, "src_new", "n")
    _write(engine, "src_old", "o")
    with engine.begin() as conn:  # a row as written before: no lease at all (NULL)
        conn.execute(text("UPDATE outbox SET claimed_until = NULL WHERE source_id = 'src_old'"))
        length = text("SELECT length(payload) FROM outbox WHERE source_id = 'src_old'")
        payload_bytes = int(conn.execute(length).scalar_one())
    assert payload_bytes > 70_000
    in_place = _wal_bytes_of_a_lease(path, engine, "src_new")
    rewritten = _wal_bytes_of_a_lease(path, engine, "src_old")
    engine.dispose()
    assert rewritten > payload_bytes  # NULL to a timestamp: the whole record written again
    assert in_place < 4 * 4096 + 200  # the same width: the lease's page (and the index's), not the payload
