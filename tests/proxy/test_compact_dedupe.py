"""The dedupe window as 16-byte keys: what is stored, what is a duplicate and for how long, and the
worker's prune in chunks, through the group commit on a real SQLite file and a real PostgreSQL."""

from __future__ import annotations

import importlib.util
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from governance.db import make_engine, writer
from governance.migrations import upgrade
from governance.proxy.dedupe import CHUNK, TABLES, WINDOW_SQL, claim, compact_key, id_key, key_of, legacy_key
from governance.proxy.hotsql import SHAPE, HotSQL
from governance.proxy.pipeline import Verdict
from governance.proxy.store import Store
from governance.settings import Settings
from governance.worker import housekeeping
from tests.conftest import ROOT


def _verdict(message_id: str) -> Verdict:
    return Verdict("forwarded", kind="track", event="Tick", message_id=message_id,
                   forward={"type": "track", "event": "Tick", "messageId": message_id, "userId": "u"})


def _keys(engine: Any) -> dict[bytes, int]:
    """Every key of the window (any level) and its latest second."""
    with engine.connect() as conn:
        return {bytes(k): s for k, s in conn.execute(text(WINDOW_SQL))}


def test_the_key_is_16_bytes_of_the_source_and_the_whole_message_id() -> None:
    long_a, long_b = "x" * 300 + "a", "x" * 300 + "b"  # equal over the text table's 200 characters
    keys = {compact_key("src_1", "m"), compact_key("src_2", "m"), compact_key("ab", "c"), compact_key("a", "bc"),
            key_of("src_1", _verdict(long_a)), key_of("src_1", _verdict(long_b))}
    assert len(keys) == 6 and all(isinstance(k, bytes) and len(k) == 16 for k in keys)
    assert key_of("src_1", _verdict("m")) == compact_key("src_1", "m")
    assert key_of("src_1", _verdict(long_a)) == compact_key("src_1", id_key(long_a))
    assert key_of("src_1", Verdict("rejected", message_id="m")) is None
    path = ROOT / "governance" / "migrations" / "versions" / "0007_compact_dedupe.py"
    spec = importlib.util.spec_from_file_location("rev0007", path)
    assert spec is not None and spec.loader is not None
    revision = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(revision)
    for source, stored in [("src_1", "m"), ("a", "bc"), ("src_1", id_key(long_a)), ("s", "ü-é")]:
        assert revision.compact_key(source, stored) == legacy_key(source, stored)  # what 0007 migrated


def test_a_duplicate_within_the_window_is_caught_and_an_expired_key_is_not(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    store = Store(engine, dedupe_window_s=3600)
    try:
        first = store.submit("src", [_verdict("a"), _verdict("b"), _verdict("a")])
        assert first.result(timeout=30) == ["forwarded", "forwarded", "deduplicated"]
        assert store.submit("src", [_verdict("b"), _verdict("c")]).result(timeout=30) == ["deduplicated", "forwarded"]
        assert store.submit("other", [_verdict("b")]).result(timeout=30) == ["forwarded"]  # per source
        keys = _keys(engine)
        now = int(time.time())
        assert set(keys) == {compact_key("src", "a"), compact_key("src", "b"), compact_key("src", "c"),
                             compact_key("other", "b")}
        assert all(now - 60 <= s <= now + 1 for s in keys.values())
        with writer(engine).begin() as conn:  # "a" was last seen just over the window ago
            for table in TABLES:
                conn.execute(text(f"UPDATE {table} SET seen_s = :s WHERE key = :k"),
                             {"s": now - 3601, "k": compact_key("src", "a")})
        assert store.submit("src", [_verdict("a"), _verdict("c")]).result(timeout=30) == ["forwarded", "deduplicated"]
        assert _keys(engine)[compact_key("src", "a")] >= now  # seen again: the window starts over
    finally:
        store.close()
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            ddl = conn.execute(text("SELECT sql FROM sqlite_schema WHERE name = 'dedupe_keys'")).scalar_one()
            assert "WITHOUT ROWID" in ddl and "BLOB" in ddl
        else:
            kind = conn.execute(text("SELECT data_type FROM information_schema.columns "
                                     "WHERE table_name = 'dedupe_keys' AND column_name = 'key'")).scalar_one()
            assert kind == "bytea"
    engine.dispose()


def test_the_prune_goes_in_chunks_within_its_budget_and_keeps_the_window(database_url: str, monkeypatch: Any) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    now = datetime.now(UTC)
    now_s = int(now.timestamp())
    expired = [{"k": compact_key("src", f"old-{i}"), "s": now_s - 90_000 - i} for i in range(5000)]
    live = [{"k": compact_key("src", f"new-{i}"), "s": now_s - 3600} for i in range(10)]
    with writer(engine).begin() as conn:
        conn.execute(text("INSERT INTO dedupe_keys (key, seen_s) VALUES (:k, :s)"), expired + live)
    settings = Settings(database_url=database_url)  # the default window: 24 hours
    monkeypatch.setattr(housekeeping, "SWEEP_ROWS", 1000)
    deletes: list[int] = []
    forget = housekeeping.HotSQL.level_forget
    monkeypatch.setattr(housekeeping.HotSQL, "level_forget", lambda self, t: deletes.append(1) or forget(self, t))
    first = housekeeping.forget_expired(engine, settings, now, budget_s=0.0)
    assert 0 < first["dedupe"] <= 1000 and first["more"] == 1  # one read of the sweep, then out of budget
    rest = housekeeping.forget_expired(engine, settings, now)  # carries on where the first stopped
    assert first["dedupe"] + rest["dedupe"] == 5000 and rest["more"] == 0
    assert len(deletes) >= 5  # at least a transaction per read of 1,000 keys
    assert set(_keys(engine)) == {r["k"] for r in live}
    engine.dispose()


def _insert(engine: Any, keys: list[bytes], seen_s: int) -> None:
    with writer(engine).begin() as conn:
        conn.execute(text("INSERT INTO dedupe_keys (key, seen_s) VALUES (:k, :s)"),
                     [{"k": k, "s": seen_s} for k in keys])


def _claim(engine: Any, keys: list[bytes | None], now_s: int, window_s: int) -> set[bytes]:
    with writer(engine).begin() as conn:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            return claim(cursor, HotSQL(engine.dialect.name), keys, now_s=now_s, window_s=window_s)
        finally:
            cursor.close()


def test_the_claim_in_fixed_shapes_records_each_key_once_and_calls_the_same_keys_fresh(database_url: str) -> None:
    """Padding a statement to its shape (the last key repeated) changes neither what is fresh nor
    what is stored, on either side of a shape and of a chunk, with the window on and at 0."""
    engine = make_engine(database_url)
    upgrade(engine)
    now_s = int(time.time())
    seen = [compact_key("src", f"seen-{i}") for i in range(40)]  # within the window
    _insert(engine, seen, now_s - 10)
    sizes = (1, SHAPE - 1, SHAPE, SHAPE + 1, CHUNK, CHUNK + 1)
    for n in sizes:
        new = [compact_key("src", f"new-{n}-{i}") for i in range(n)]
        old = [compact_key("src", f"old-{n}-{i}") for i in range(n % 40)]  # last seen before the window
        _insert(engine, old, now_s - 7200)
        group = [*new, None, *seen[: n % 40], *old, new[0]]  # a repeat within the group, a None
        assert _claim(engine, group, now_s, 3600) == set(new) | set(old), n
        stored = _keys(engine)
        assert all(stored[k] == now_s for k in new + old) and all(stored[k] == now_s - 10 for k in seen)
    assert len(_keys(engine)) == 40 + sum(n + n % 40 for n in sizes)
    again = [compact_key("src", "new-1-0"), compact_key("src", "zero")]
    assert _claim(engine, again, now_s + 1, 0) == set(again)  # a window of 0: everything is fresh again
    engine.dispose()


def test_sqlite_statements_come_in_a_few_shapes() -> None:
    sql = HotSQL("sqlite")
    keys = [compact_key("s", str(i)) for i in range(CHUNK)]
    texts = set()
    for n in range(1, CHUNK + 1):
        statement, params = sql.claim_keys(keys[:n], 100, 50)
        rows = -(-n // SHAPE) * SHAPE
        assert statement.count("(?, ?)") == rows and len(params) == 2 * rows + 1
        assert params[: 2 * n : 2] == tuple(keys[:n]) and set(params[2 * n : -1 : 2]) <= {keys[n - 1]}
        texts.add(statement)
    assert len(texts) == CHUNK // SHAPE  # within sqlite3's cache of 128 statements
