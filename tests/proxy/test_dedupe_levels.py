"""The dedupe window in levels (revision 0011): a duplicate is found whichever level holds its key,
across a restart, at the window's edge and after the upgrade; the roll moves keys down in key order
and drops expired ones; two web processes on one PostgreSQL let each messageId through once.
Real SQLite files and a real PostgreSQL (``database_url``), through the group commit."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from alembic import command
from sqlalchemy import inspect, text

from governance.db import make_engine, writer
from governance.migrations import config, upgrade
from governance.proxy import dedupe, dedupe_pg
from governance.proxy.dedupe import TABLES, WINDOW_SQL, compact_key
from governance.proxy.hotsql import HotSQL
from governance.proxy.pipeline import Verdict
from governance.proxy.store import Store

SMALL = (8, 32, 128, 512)  # level targets small enough that a test's few hundred keys reach every level


def _verdict(message_id: str) -> Verdict:
    return Verdict("forwarded", kind="track", event="Tick", message_id=message_id,
                   forward={"type": "track", "event": "Tick", "messageId": message_id, "userId": "u"})


def _held(engine: Any) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def _send(store: Store, ids: list[str], source: str = "src") -> list[str]:
    return [str(o) for o in store.submit(source, [_verdict(i) for i in ids]).result(timeout=60)]


@pytest.fixture
def small_levels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dedupe, "TARGETS", SMALL)
    monkeypatch.setattr(dedupe, "MOVE", 64)
    monkeypatch.setattr(dedupe_pg, "ROLL_BATCH", 0)  # PostgreSQL: a roll after every group commit, as on SQLite


@pytest.mark.usefixtures("small_levels")
def test_a_duplicate_is_found_whichever_level_holds_it_and_after_a_restart(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    ids = [f"{n:04x}-8e320219-9a2b-49d1-b5cd-6a0ab9161e68" for n in range(1200)]  # UUIDv4-shaped: HASHED keys
    store = Store(engine, dedupe_window_s=3600)
    try:
        for start in range(0, len(ids), 40):
            assert set(_send(store, ids[start : start + 40])) == {"forwarded"}
        held = _held(engine)
        assert all(held[t] > 0 for t in TABLES), held  # the roll reached the last level
        assert held["dedupe_l0"] <= SMALL[0] + 40 and sum(held.values()) == len(ids)  # each key in one level
        assert set(_send(store, ids[::7])) == {"deduplicated"}  # the oldest ones sit in dedupe_keys
    finally:
        store.close()
    engine.dispose()
    engine = make_engine(database_url)  # a new process on the same database
    store = Store(engine, dedupe_window_s=3600)
    try:
        assert set(_send(store, ids[3::5])) == {"deduplicated"}
        assert _send(store, ["new-after-restart", ids[0]]) == ["forwarded", "deduplicated"]
        assert _send(store, [ids[1]], source="other") == ["forwarded"]  # per source
    finally:
        store.close()
    engine.dispose()


@pytest.mark.usefixtures("small_levels")
def test_the_window_holds_to_the_second_in_every_level(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    now = int(time.time())
    with writer(engine).begin() as conn:
        for table in TABLES:  # in each level: one key seen just inside the window, one just outside
            conn.execute(text(f"INSERT INTO {table} (key, seen_s) VALUES (:k, :s)"),
                         [{"k": compact_key("src", f"in-{table}"), "s": now - 3599},
                          {"k": compact_key("src", f"out-{table}"), "s": now - 3601}])
    store = Store(engine, dedupe_window_s=3600)
    try:
        inside, outside = [f"in-{t}" for t in TABLES], [f"out-{t}" for t in TABLES]
        got = _send(store, inside + outside)
        assert got == ["deduplicated"] * len(TABLES) + ["forwarded"] * len(TABLES)
        assert _send(store, outside) == ["deduplicated"] * len(TABLES)  # seen again: the window starts over
        with engine.connect() as conn:
            seen = {bytes(k): s for k, s in conn.execute(text(WINDOW_SQL))}
        assert all(seen[compact_key("src", i)] >= now for i in outside)
        assert all(seen[compact_key("src", i)] == now - 3599 for i in inside)  # a duplicate does not extend it
    finally:
        store.close()
    engine.dispose()


@pytest.mark.usefixtures("small_levels")
def test_the_roll_moves_the_excess_in_key_order_and_drops_expired_keys(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    sql, now = HotSQL(engine.dialect.name), int(time.time())
    dedupe.MOVE = 16  # the fixture's monkeypatch puts it back
    keys = sorted(compact_key("src", f"k{i}") for i in range(40))
    with writer(engine).begin() as conn:
        conn.execute(text("INSERT INTO dedupe_l0 (key, seen_s) VALUES (:k, :s)"),
                     [{"k": k, "s": now - 7200 if i % 4 == 0 else now} for i, k in enumerate(keys)])
    with writer(engine).begin() as conn:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        taken = dedupe.roll(cursor, sql, cutoff_s=now - 3600)
        cursor.close()
    assert taken == {0: 16}  # 40 over a target of 8: MOVE (16) at most
    with engine.connect() as conn:
        l1 = [bytes(k) for (k,) in conn.execute(text("SELECT key FROM dedupe_l1 ORDER BY key"))]
        state = {lv: (n, None if a is None else bytes(a)) for lv, n, a in
                 conn.execute(text("SELECT level, keys, after FROM dedupe_levels"))}
    assert l1 == [k for i, k in enumerate(keys[:16]) if i % 4 != 0]  # the first 16 in key order, expired ones gone
    assert state[0][1] == keys[15] and state[1][0] == len(l1)  # where the next roll carries on; level 1's count
    with writer(engine).begin() as conn:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        assert dedupe.roll(cursor, sql, cutoff_s=now - 3600) == {0: 16}
        cursor.close()
    assert _held(engine)["dedupe_l0"] == 8  # the target: the roll stops there
    engine.dispose()


def test_the_sweep_keeps_a_key_seen_again_after_it_read_it(database_url: str) -> None:
    """The prune reads a level outside any write transaction; its delete checks the second again."""
    engine = make_engine(database_url)
    upgrade(engine)
    sql, now, key = HotSQL(engine.dialect.name), int(time.time()), compact_key("src", "again")
    with writer(engine).begin() as conn:
        conn.execute(text("INSERT INTO dedupe_l2 (key, seen_s) VALUES (:k, :s)"), {"k": key, "s": now})
        conn.exec_driver_sql(sql.level_forget("dedupe_l2"), [(key, now - 3600)])  # it read the key when expired
    assert _held(engine)["dedupe_l2"] == 1
    engine.dispose()


@pytest.mark.postgres
def test_two_web_processes_on_one_postgresql_let_each_message_id_through_once(
        postgres: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two group commits (two engines, as two ``serve`` processes) claim overlapping ids at once while
    each rolls the levels after its commits: every messageId is forwarded exactly once."""
    if postgres is None:
        pytest.skip("PostgreSQL binaries not installed")
    postgres_url = str(postgres.new_database())
    monkeypatch.setattr(dedupe, "TARGETS", SMALL)
    monkeypatch.setattr(dedupe, "MOVE", 64)
    monkeypatch.setattr(dedupe_pg, "ROLL_BATCH", 0)
    first = make_engine(postgres_url)
    upgrade(first)
    stores = [Store(first, dedupe_window_s=3600), Store(make_engine(postgres_url), dedupe_window_s=3600)]
    ids = [f"race-{n}" for n in range(900)]
    outcomes: list[list[tuple[str, str]]] = [[], []]

    def send(which: int) -> None:
        order = ids if which == 0 else ids[::-1]  # the two meet in the middle, each id sent by both
        for start in range(0, len(order), 30):
            chunk = order[start : start + 30]
            outcomes[which] += list(zip(chunk, _send(stores[which], chunk), strict=True))

    threads = [threading.Thread(target=send, args=(n,)) for n in (0, 1)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        for store in stores:
            store.close()
            store.engine.dispose()
    forwarded = [i for side in outcomes for i, o in side if o == "forwarded"]
    assert len(outcomes[0]) == len(outcomes[1]) == len(ids)
    assert sorted(forwarded) == sorted(ids)  # once each, whichever process took it
    assert sum(_held(first).values()) == len(ids) and _held(first)["dedupe_keys"] > 0
    first.dispose()


def test_the_upgrade_keeps_the_window_and_the_downgrade_folds_the_levels_back(database_url: str) -> None:
    engine = make_engine(database_url)
    now = int(time.time())
    try:
        with engine.begin() as conn:
            cfg = config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0010_time_first_dedupe_keys")
            conn.execute(text("INSERT INTO dedupe_keys (key, seen_s) VALUES (:k, :s)"),
                         {"k": compact_key("src", "before-0011"), "s": now - 60})
            command.upgrade(cfg, "0011_dedupe_levels")
            indexes = {i["name"] for i in inspect(conn).get_indexes("dedupe_keys")}
            assert "ix_dedupe_keys_seen" not in indexes
            assert conn.execute(text("SELECT count(*) FROM dedupe_levels")).scalar_one() == 4
        store = Store(engine, dedupe_window_s=3600)
        try:  # a key recorded before the upgrade is a duplicate after it; a new one goes to dedupe_l0
            assert _send(store, ["before-0011", "after-0011"]) == ["deduplicated", "forwarded"]
        finally:
            store.close()
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO dedupe_l3 (key, seen_s) VALUES (:k, :s)"),
                         {"k": compact_key("src", "before-0011"), "s": now})  # in two levels: the later second wins
            cfg = config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0010_time_first_dedupe_keys")
            kept = {bytes(k): s for k, s in conn.execute(text("SELECT key, seen_s FROM dedupe_keys"))}
            assert kept[compact_key("src", "before-0011")] == now and compact_key("src", "after-0011") in kept
            assert "ix_dedupe_keys_seen" in {i["name"] for i in inspect(conn).get_indexes("dedupe_keys")}
            assert "dedupe_l0" not in inspect(conn).get_table_names()
            command.upgrade(cfg, "head")
    finally:
        engine.dispose()
