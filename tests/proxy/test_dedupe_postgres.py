"""The dedupe levels on PostgreSQL without a table lock: a claim and a roll that meet on the same key,
each side stopped half-way on a real server, and two ``serve``-like group commits with the roll
running beside them. Every messageId is let through once, and the window keeps its first second."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import text

from governance.db import writer
from governance.migrations import upgrade
from governance.proxy import dedupe
from governance.proxy.dedupe import TABLES, WINDOW_SQL, compact_key
from governance.proxy.hotsql import HotSQL

pytestmark = pytest.mark.postgres


def _where(engine: Any, key: bytes) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: int(s) for t in TABLES for (s,) in conn.execute(text(f"SELECT seen_s FROM {t} WHERE key = :k"),
                                                                  {"k": key})}


def _claim_in_thread(engine: Any, keys: list[bytes], now_s: int, out: dict[str, Any]) -> threading.Thread:
    def run() -> None:
        with writer(engine).begin() as conn:
            cursor = conn.connection.driver_connection.cursor()
            out["fresh"] = dedupe.claim(cursor, HotSQL("postgresql"), keys, now_s=now_s, window_s=3600)
            cursor.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _blocked(engine: Any) -> bool:
    """Whether some backend waits for a lock (the claim's insert behind the roll's row)."""
    with engine.connect() as conn:
        return bool(conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"))
                    .scalar_one())


def test_a_claim_that_meets_the_roll_moving_its_key_finds_it_in_the_next_level(pg_engine: Any) -> None:
    """The roll has deleted the key from dedupe_l0 (and copied it to dedupe_l1) but not committed; a
    claim of the same key inserts once the roll commits, then finds it in dedupe_l1: a duplicate,
    and dedupe_l0 does not keep the claim's second."""
    now, key = int(time.time()), compact_key("src", "moving")
    with writer(pg_engine).begin() as conn:
        conn.execute(text("INSERT INTO dedupe_l0 (key, seen_s) VALUES (:k, :s)"), {"k": key, "s": now - 60})
    roll = pg_engine.raw_connection()
    out: dict[str, Any] = {}
    try:
        cursor = roll.cursor()
        cursor.execute(HotSQL("postgresql").level_roll("dedupe_l0", "dedupe_l1"),
                       (b"", dedupe.PAST_LAST, now - 3600))
        assert cursor.fetchone() == (1, 1)
        thread = _claim_in_thread(pg_engine, [key], now, out)
        deadline = time.monotonic() + 10
        while not _blocked(pg_engine) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _blocked(pg_engine), "the claim's insert waits for the roll's delete of its key"
        roll.commit()
        thread.join(timeout=30)
    finally:
        roll.close()
    assert out["fresh"] == set()  # a duplicate
    assert _where(pg_engine, key) == {"dedupe_l1": now - 60}  # in one level, with its first second


def test_the_roll_leaves_a_key_a_claim_has_not_committed_and_a_second_claim_waits_for_it(pg_engine: Any) -> None:
    """A claim has inserted a new key into dedupe_l0 and not committed: the roll of that range
    neither copies nor deletes it; a second claim of the key waits and then sees a duplicate."""
    now, key = int(time.time()), compact_key("src", "pending")
    sql = HotSQL("postgresql")
    first = pg_engine.raw_connection()
    out: dict[str, Any] = {}
    try:
        cursor = first.cursor()
        assert dedupe.claim(cursor, sql, [key], now_s=now, window_s=3600) == {key}
        with writer(pg_engine).begin() as conn:
            rolled = conn.exec_driver_sql(sql.level_roll("dedupe_l0", "dedupe_l1"),
                                          (b"", dedupe.PAST_LAST, now - 3600)).one()
        assert tuple(rolled) == (0, 0)
        thread = _claim_in_thread(pg_engine, [key], now + 1, out)
        deadline = time.monotonic() + 10
        while not _blocked(pg_engine) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _blocked(pg_engine)
        first.commit()
        thread.join(timeout=30)
    finally:
        first.close()
    assert out["fresh"] == set()
    assert _where(pg_engine, key) == {"dedupe_l0": now}


def test_two_group_commits_and_a_roll_of_every_level_beside_them(pg_engine: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Two claimers (as two web processes) send the same ids in opposite orders while a third
    connection rolls tiny levels back to back: each id is fresh exactly once, every key sits in
    exactly one level, and its second is the first arrival's."""
    monkeypatch.setattr(dedupe, "TARGETS", (4, 16, 64, 256))
    monkeypatch.setattr(dedupe, "MOVE", 8)
    sql, now = HotSQL("postgresql"), int(time.time())
    keys = [compact_key("src", f"race-{n}") for n in range(600)]
    fresh: list[set[bytes]] = [set(), set()]
    done = threading.Event()
    rolls: list[dict[int, int]] = []

    def claimer(which: int) -> None:
        order = keys if which == 0 else keys[::-1]
        for start in range(0, len(order), 12):
            with writer(pg_engine).begin() as conn:
                cursor = conn.connection.driver_connection.cursor()
                got = dedupe.claim(cursor, sql, order[start : start + 12], now_s=now + which, window_s=3600)
                cursor.close()
            fresh[which] |= got

    def roll() -> dict[int, int]:
        with writer(pg_engine).begin() as conn:
            cursor = conn.connection.driver_connection.cursor()
            taken = dedupe.roll(cursor, sql, cutoff_s=now - 3600)
            cursor.close()
        return taken

    def roller() -> None:
        while not done.is_set():
            rolls.append(roll())

    threads = [threading.Thread(target=claimer, args=(n,)) for n in (0, 1)]
    rolling = threading.Thread(target=roller)
    rolling.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    done.set()
    rolling.join(timeout=60)
    assert sum(1 for taken in rolls if taken.get(0)) > 5, "rolls of dedupe_l0 ran beside the claims"
    for _ in range(200):  # then until the levels are back at their targets
        if not roll():
            break
    assert not fresh[0] & fresh[1] and fresh[0] | fresh[1] == set(keys)  # once each
    with pg_engine.connect() as conn:
        held = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
        seen = {bytes(k): int(s) for k, s in conn.execute(text(WINDOW_SQL))}
    assert sum(held.values()) == len(keys) and held["dedupe_keys"] > 0, held  # one level each, the last reached
    assert all(seen[k] == (now if k in fresh[0] else now + 1) for k in keys)  # the first arrival's second


def test_the_roll_skips_a_key_a_claim_holds_and_waits_for_nothing(pg_engine: Any) -> None:
    """A claim of a duplicate locks its row in dedupe_l0 (``ON CONFLICT``) until it commits: the roll
    of that range moves every other key without waiting for it (a wait here could close a cycle
    with the claim's next insert), and the skipped key moves on the next pass."""
    now, sql = int(time.time()), HotSQL("postgresql")
    keys = sorted(compact_key("src", f"held-{n}") for n in range(10))
    with writer(pg_engine).begin() as conn:
        conn.execute(text("INSERT INTO dedupe_l0 (key, seen_s) VALUES (:k, :s)"), [{"k": k, "s": now} for k in keys])
    claim = pg_engine.raw_connection()
    try:
        assert dedupe.claim(claim.cursor(), sql, [keys[4]], now_s=now + 5, window_s=3600) == set()  # a duplicate
        with writer(pg_engine).begin() as conn:
            conn.exec_driver_sql("SET LOCAL lock_timeout = '5s'")
            first = conn.exec_driver_sql(sql.level_roll("dedupe_l0", "dedupe_l1"), (b"", dedupe.PAST_LAST, now - 3600))
            assert tuple(first.one()) == (9, 9)
        claim.commit()
    finally:
        claim.close()
    assert _where(pg_engine, keys[4]) == {"dedupe_l0": now}  # skipped, its second untouched
    with writer(pg_engine).begin() as conn:
        again = conn.exec_driver_sql(sql.level_roll("dedupe_l0", "dedupe_l1"), (b"", dedupe.PAST_LAST, now - 3600))
        assert tuple(again.one()) == (1, 1)
    assert all(_where(pg_engine, k) == {"dedupe_l1": now} for k in keys)


def _options(engine: Any) -> dict[str, list[str] | None]:
    with engine.connect() as conn:
        return {name: opts for name, opts in conn.execute(text(
            "SELECT relname, reloptions FROM pg_class WHERE relname LIKE 'dedupe_l_' ORDER BY relname"))}


def test_the_levels_are_vacuumed_without_truncation_and_the_downgrade_resets_it(pg_engine: Any) -> None:
    """Revision 0012: autovacuum of a level does not take its ACCESS EXCLUSIVE lock at the end
    (claims and rolls kept cancelling it there)."""
    from alembic import command

    from governance.migrations import config

    assert _options(pg_engine) == {f"dedupe_l{n}": ["vacuum_truncate=false"] for n in range(4)}
    with pg_engine.begin() as conn:
        cfg = config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0011_dedupe_levels")
    assert _options(pg_engine) == {f"dedupe_l{n}": None for n in range(4)}
    upgrade(pg_engine)
    assert set(map(tuple, filter(None, _options(pg_engine).values()))) == {("vacuum_truncate=false",)}


def test_the_web_process_vacuums_dedupe_l0_and_rolls_by_its_own_estimate(pg_engine: Any,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A Store on PostgreSQL vacuums dedupe_l0 from its own thread (pg_stat says so), and keeps the
    level within ROLL_BATCH keys of its target while counting it only once (RECOUNT_S) and
    rolling once per ROLL_BATCH keys, not after every group commit."""
    from governance.proxy import dedupe_pg
    from governance.proxy.pipeline import Verdict
    from governance.proxy.store import Store

    monkeypatch.setattr(dedupe_pg, "VACUUM_EVERY_S", 0.2)
    monkeypatch.setattr(dedupe_pg, "RECOUNT_S", 3600.0)  # counted once, at the first roll
    monkeypatch.setattr(dedupe, "TARGETS", (64, 1024, 4096, 16_384))
    counts: list[int] = []
    counted = dedupe.first_level_keys
    monkeypatch.setattr(dedupe, "first_level_keys", lambda cursor: counts.append(1) or counted(cursor))
    monkeypatch.setattr(dedupe_pg, "ROLL_BATCH", 100)
    rolls: list[int] = []
    rolled = dedupe.roll
    monkeypatch.setattr(dedupe, "roll", lambda *a, **k: rolls.append(1) or rolled(*a, **k))
    store = Store(pg_engine, dedupe_window_s=3600)
    try:
        for n in range(40):
            verdicts = [Verdict("forwarded", kind="track", event="Tick", message_id=f"vac-{n}-{i}",
                                forward={"type": "track", "event": "Tick", "messageId": f"vac-{n}-{i}", "userId": "u"})
                        for i in range(25)]
            assert set(store.submit("src", verdicts).result(timeout=60)) == {"forwarded"}
        deadline = time.monotonic() + 20
        while store._vacuum is not None and store._vacuum.runs < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        store.close()
    with pg_engine.connect() as conn:
        vacuumed = conn.execute(text("SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = 'dedupe_l0'"))
        vacuumed = vacuumed.scalar()
        held = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
    assert vacuumed is not None, "dedupe_l0 was vacuumed by the web process"
    assert len(counts) == 1  # not before every roll
    assert 5 <= len(rolls) <= 12, rolls  # 40 group commits of 25 keys: a roll per 100 and more keys over 64
    assert held["dedupe_l0"] <= 64 + 100 + 25 and held["dedupe_l1"] > 0 and sum(held.values()) == 1000, held
