"""Time-first dedupe keys (revision 0010): an id that embeds the time it was made has that second
first in its key, any other id a hash alone, in two key spaces; the key is a function of the id
alone, the window is about arrival; a duplicate of an event recorded in the older key form before
the upgrade is still caught within the window, on a real SQLite file and a real PostgreSQL."""

from __future__ import annotations

import time
from typing import Any

from alembic import command
from sqlalchemy import text

from governance.db import make_engine, writer
from governance.migrations import config, upgrade
from governance.proxy.dedupe import (
    HASHED,
    KEY_BYTES,
    TABLES,
    TICK_MS,
    TIME_BYTES,
    TIMED,
    compact_key,
    embedded_ms,
    id_key,
    key_of,
    keys_of,
    legacy_key,
)
from governance.proxy.pipeline import Verdict
from governance.proxy.store import Store

UUID = "743be593-7789-4b74-8078-cbcc8894c586"


def _verdict(message_id: str) -> Verdict:
    return Verdict("forwarded", kind="track", event="Tick", message_id=message_id,
                   forward={"type": "track", "event": "Tick", "messageId": message_id, "userId": "u"})


def test_the_sdks_embedded_times_are_read_and_anything_else_is_not() -> None:
    assert embedded_ms(f"ajs-next-1668208232027-{UUID}") == 1668208232027  # analytics.js
    assert embedded_ms(f"node-next-1668208232027-{UUID}") == 1668208232027  # analytics-node
    assert embedded_ms("01890a5d-ac96-774b-bcce-b302099a8057") == 0x01890A5DAC96  # a UUIDv7's 48-bit ms
    assert embedded_ms("01890A5D-AC96-774B-BCCE-B302099A8057") == 0x01890A5DAC96
    for untimed in (UUID, "01890a5d-ac96-774b-7cce-b302099a8057",  # a v7 nibble but not the RFC variant
                    "01890a5d-ac96-774b-bcce-b302099a8057x", "ajs-next--x", "ajs-next-12a4-x", "ajs-next-1668208232027",
                    "ajs-next-١٢٣-x", "ajs-next-+1-x", "ajs-next-1_000-x", "0189_a5d-ac96-774b-bcce-b302099a8057",
                    "xajs-next-1668208232027-a", "ajs-next-1234567890123456-x", "", "m", "sha256:" + "0" * 64):
        assert embedded_ms(untimed) is None, untimed


def test_a_timed_id_leads_with_its_second_and_the_two_key_spaces_never_meet() -> None:
    ms = 1_764_630_000_123
    timed = compact_key("src", f"ajs-next-{ms}-{UUID}")
    assert len(timed) == KEY_BYTES and timed[:1] == TIMED
    assert int.from_bytes(timed[1 : 1 + TIME_BYTES], "big") == ms // TICK_MS == ms // 4
    hashed = compact_key("src", UUID)
    assert len(hashed) == KEY_BYTES and hashed[:1] == HASHED
    # keys of one tick sort together, and after the keys of the ticks before
    tick = ms - ms % 4
    same = sorted(compact_key("src", f"node-next-{tick + i % 4}-{UUID[:-2]}{i:02d}") for i in range(50))
    assert len(set(same)) == 50 and {k[: 1 + TIME_BYTES] for k in same} == {TIMED + (tick // 4).to_bytes(5, "big")}
    assert max(compact_key("src", f"ajs-next-{tick - 1}-{UUID[:-1]}{i}") for i in range(10)) < min(same)
    # a function of the source and the whole id
    assert compact_key("src", f"ajs-next-{ms}-{UUID}") != compact_key("src", f"ajs-next-{ms}-{UUID[:-1]}7")
    assert compact_key("src", f"ajs-next-{ms}-{UUID}") != compact_key("other", f"ajs-next-{ms}-{UUID}")
    assert compact_key("ab", "c") != compact_key("a", "bc")  # the source id is length-prefixed
    long_a, long_b = f"ajs-next-{ms}-" + "x" * 300, f"ajs-next-{ms}-" + "y" * 300
    assert key_of("s", _verdict(long_a)) == compact_key("s", id_key(long_a)) != key_of("s", _verdict(long_b))
    assert key_of("s", _verdict(long_a))[:1] == HASHED  # a long id is its SHA-256 first: no time left in it
    assert compact_key("s", "m") != legacy_key("s", "m")
    assert compact_key("s", f"ajs-next-{(1 << 40) * 4 - 1}-{UUID}")[:1] == TIMED  # the last tick, in 2109
    assert compact_key("s", f"ajs-next-{(1 << 40) * 4}-{UUID}")[:1] == HASHED  # past it: no room in 5 bytes


def test_keys_of_a_group_are_the_keys_one_by_one() -> None:
    ids = [f"node-next-1668208232027-{UUID}", f"ajs-next-1668208232028-{UUID}", "01890a5d-ac96-774b-bcce-b302099a8057",
           UUID, "m", "x" * 300]
    rows = [(source, _verdict(i)) for source in ("src", "other") for i in ids]
    assert keys_of(rows) == [compact_key(source, id_key(v.message_id)) for source, v in rows]


def test_an_id_of_any_embedded_time_is_deduplicated_by_arrival(database_url: str) -> None:
    """Skewed clocks and replays: an id claiming a time days ago, or ahead, is a duplicate within
    the window of its *arrival*, and is new again once that window has passed."""
    engine = make_engine(database_url)
    upgrade(engine)
    now_ms = time.time_ns() // 1_000_000
    ids = [f"ajs-next-{now_ms - 3 * 86_400_000}-{UUID}", f"node-next-{now_ms + 3_600_000}-{UUID}",
           f"ajs-next-{now_ms}-{UUID}", "01890a5d-ac96-774b-bcce-b302099a8057", UUID]
    store = Store(engine, dedupe_window_s=3600)
    try:
        assert store.submit("src", [_verdict(i) for i in ids]).result(timeout=30) == ["forwarded"] * 5
        assert store.submit("src", [_verdict(i) for i in ids]).result(timeout=30) == ["deduplicated"] * 5
        with writer(engine).begin() as conn:  # their arrival an hour and a second ago: out of the window
            for table in TABLES:  # whichever level holds them
                conn.execute(text(f"UPDATE {table} SET seen_s = seen_s - 3601"))
        assert store.submit("src", [_verdict(i) for i in ids]).result(timeout=30) == ["forwarded"] * 5
    finally:
        store.close()
    engine.dispose()


def _add_legacy(engine: Any, keys: dict[str, int], last_seen_s: int | None) -> None:
    with writer(engine).begin() as conn:
        for message_id, seen in keys.items():
            conn.execute(text("INSERT INTO dedupe_keys (key, seen_s) VALUES (:k, :s)"),
                         {"k": legacy_key("src", message_id), "s": seen})
        if last_seen_s is not None:
            conn.execute(text("INSERT INTO dedupe_legacy (last_seen_s) VALUES (:s)"), {"s": last_seen_s})


def test_a_key_recorded_in_the_older_form_is_a_duplicate_within_the_window(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    now = int(time.time())
    _add_legacy(engine, {"in-window": now - 3000, "expired": now - 3601}, last_seen_s=now - 3000)
    store = Store(engine, dedupe_window_s=3600)
    try:
        got = store.submit("src", [_verdict("in-window"), _verdict("expired"), _verdict("new"), _verdict("in-window")])
        assert got.result(timeout=30) == ["deduplicated", "forwarded", "forwarded", "deduplicated"]
        # the new form is recorded for every key claimed, so the next copy is caught without the older one
        with writer(engine).begin() as conn:
            conn.execute(text("DELETE FROM dedupe_keys WHERE key = :k"), {"k": legacy_key("src", "in-window")})
        again = store.submit("src", [_verdict("in-window"), _verdict("expired"), _verdict("new")])
        assert again.result(timeout=30) == ["deduplicated"] * 3
        assert store.submit("other", [_verdict("in-window")]).result(timeout=30) == ["forwarded"]  # per source
    finally:
        store.close()
    engine.dispose()


def test_the_older_form_is_not_looked_up_once_its_last_second_left_the_window(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    now = int(time.time())
    # a key of the older form "in the window" but dedupe_legacy says the last one was seen before it:
    # the claim trusts dedupe_legacy (the upgrade wrote the true last second), so it is not looked up
    _add_legacy(engine, {"stale": now - 10}, last_seen_s=now - 3601)
    store = Store(engine, dedupe_window_s=3600)
    try:
        assert store.submit("src", [_verdict("stale")]).result(timeout=30) == ["forwarded"]
    finally:
        store.close()
    engine.dispose()


def test_the_upgrade_records_the_older_keys_last_second_and_the_downgrade_drops_it(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            cfg = config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0009_outbox_batches")
            command.upgrade(cfg, "0010_time_first_dedupe_keys")
            assert conn.execute(text("SELECT count(*) FROM dedupe_legacy")).scalar_one() == 0  # empty window
            command.downgrade(cfg, "0009_outbox_batches")
            for key, seen in ((b"a" * 16, 1_700_000_000), (b"b" * 16, 1_700_000_500)):
                conn.execute(text("INSERT INTO dedupe_keys (key, seen_s) VALUES (:k, :s)"), {"k": key, "s": seen})
            command.upgrade(cfg, "0010_time_first_dedupe_keys")
            assert [r[0] for r in conn.execute(text("SELECT last_seen_s FROM dedupe_legacy"))] == [1_700_000_500]
            assert conn.execute(text("SELECT count(*) FROM dedupe_keys")).scalar_one() == 2  # the keys stay
            command.downgrade(cfg, "0009_outbox_batches")
            tables = {r[0] for r in conn.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'table'" if engine.dialect.name == "sqlite"
                else "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))}
            assert "dedupe_legacy" not in tables and "dedupe_keys" in tables
            assert conn.execute(text("SELECT count(*) FROM dedupe_keys")).scalar_one() == 2
            command.upgrade(cfg, "head")
    finally:
        engine.dispose()
