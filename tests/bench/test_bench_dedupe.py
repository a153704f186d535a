"""``governance bench dedupe``: bytes per key, prune costs and the ingest stall of three layouts, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from governance.bench.dedupe import run
from governance.db import make_engine
from governance.proxy.dedupe import WINDOW_SQL


def test_each_layout_is_measured_and_the_bench_cleans_up(database_url: str) -> None:
    result = run(keys=3000, batch=500, database_url=database_url)
    assert result["keys"] == 3000
    for layout in ("text", "hashed", "compact", "generations"):
        assert result[f"{layout}_bytes_per_key"] > 16, layout  # a 16-byte key at the very least
        assert layout == "hashed" or result[f"{layout}_prune_tenth_s"] >= 0
    assert result["hashed_insert_us_per_key"] > 0 and result["compact_insert_us_per_key"] > 0
    assert result["compact_bytes_per_key"] < result["text_bytes_per_key"]
    assert result["hashed_bytes_per_key"] < result["text_bytes_per_key"] and result["ids"] == "sdk"
    assert result["compact_chunked_pruned"] >= result["prune_keys"] == 300  # the second tenth, by the worker's prune
    for window in ("ingest_alone", "ingest_during_delete", "ingest_during_chunked_prune"):
        assert result[window]["max_ms"] >= result[window]["p50_ms"] >= 0, window
    assert result["ingest_alone"]["commits"] > 0
    engine = make_engine(database_url)
    try:
        tables = sorted(t for t in inspect(engine).get_table_names() if t.startswith("dedupe"))
        assert tables == sorted(["dedupe_keys", "dedupe_legacy", "dedupe_levels", *(f"dedupe_l{n}" for n in range(4))])
        with engine.connect() as conn:  # the migrations' tables, not the bench's, and empty
            assert conn.execute(text(WINDOW_SQL)).all() == []
    finally:
        engine.dispose()


def test_a_database_in_use_is_refused(sqlite_url: str) -> None:
    from governance.migrations import upgrade

    engine = make_engine(sqlite_url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO dedupe_keys (key, seen_s) VALUES (:k, 1)"), {"k": b"k" * 16})
    engine.dispose()
    with pytest.raises(ValueError, match="not empty"):
        run(keys=1000, database_url=sqlite_url)


def test_the_levels_layout_goes_through_the_proxys_claim_and_roll(database_url: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The ``levels`` layout counts every level's bytes (PostgreSQL: its relations, dead rows
    included), with the keys spread down the levels by the roll, and empties them afterwards."""
    from governance.proxy import dedupe, dedupe_pg

    monkeypatch.setattr(dedupe, "TARGETS", (256, 1024, 4096, 16_384))
    monkeypatch.setattr(dedupe, "MOVE", 512)
    monkeypatch.setattr(dedupe_pg, "ROLL_BATCH", 0)  # PostgreSQL: a roll after every commit, as on SQLite
    result = run(keys=3000, batch=500, database_url=database_url)
    by_level = result["levels_by_level"]
    assert sum(level["keys"] for level in by_level.values()) == 3000  # each key in one level
    assert by_level["dedupe_l0"]["keys"] <= 256 + 500 and by_level["dedupe_l2"]["keys"] > 0, by_level
    assert all(level["bytes"] > 0 for level in by_level.values())
    assert result["levels_bytes_per_key"] == round(sum(v["bytes"] for v in by_level.values()) / 3000, 1) > 16
    assert result["levels_insert_us_per_key"] > 0
