"""``governance bench dedupe``: bytes per key and prune costs of three layouts, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from governance.bench.dedupe import compact_key, run
from governance.db import make_engine


def test_each_layout_is_measured_and_the_bench_cleans_up(database_url: str) -> None:
    result = run(keys=3000, batch=500, database_url=database_url)
    assert result["keys"] == 3000
    for layout in ("current", "compact", "generations"):
        assert result[f"{layout}_bytes_per_key"] > 16, layout  # a 16-byte key at the very least
        assert result[f"{layout}_prune_tenth_s"] >= 0
    assert result["compact_bytes_per_key"] < result["current_bytes_per_key"]
    engine = make_engine(database_url)
    try:
        assert not [t for t in inspect(engine).get_table_names() if t.startswith("dedupe_")]
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM dedupe")).scalar() == 0
    finally:
        engine.dispose()


def test_a_database_in_use_is_refused(sqlite_url: str) -> None:
    from governance.migrations import upgrade

    engine = make_engine(sqlite_url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO dedupe (source_id, message_id, seen_at) VALUES ('s', 'm', '2026-01-01')"))
    engine.dispose()
    with pytest.raises(ValueError, match="not empty"):
        run(keys=1000, database_url=sqlite_url)


def test_the_compact_key_is_16_bytes_and_separates_sources() -> None:
    assert len(compact_key("src_1", "m")) == 16
    assert compact_key("src_1", "m") != compact_key("src_2", "m")
    assert compact_key("a", "b\0c") != compact_key("a\0b", "c")
