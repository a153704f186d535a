"""``governance bench dedupe``: what one key of the messageId dedupe window costs, today and compact.

Three layouts hold the same ``keys`` (source, messageId) pairs, inserted in random order in
transactions of ``batch`` keys as the proxy's group commit does:

    current       the proxy's ``dedupe`` table (migrations): text source id and messageId as the
                  primary key, a text ``seen_at`` and its index (pruning deletes by ``seen_at``)
    compact       16 bytes of BLAKE2b(source id, messageId) as the primary key of a WITHOUT ROWID
                  table, with the minute it was seen (a 4-byte integer); no second index
    generations   the compact table split into generations (e.g. one per 6 h): a key is new when
                  no generation within the window holds it; pruning drops the oldest generation:
                  on SQLite each generation is its own file (dropped by DETACH and unlink, as
                  DROP TABLE visits every page under the write lock), on PostgreSQL a table

Reported per layout: bytes per key (SQLite ``dbstat``; PostgreSQL ``pg_total_relation_size``),
insert cost per key at the end of the load, and the cost of pruning: deleting the oldest tenth
by ``seen_at`` (current, compact) against dropping one generation of a tenth of the keys, and
what ``DROP TABLE`` of the compact table's remaining nine tenths costs. On SQLite a prune holds
the write lock, so its duration is how long ingest stalls.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from governance.bench.readback import sqlite_btree_bytes

GENERATIONS = 10  # generations the keys are spread over: dropping one prunes a tenth


def _keys(n: int, seed: int = 0) -> list[tuple[str, str, int]]:
    """(source id, messageId, minute) in random order; ids shaped like the real ones."""
    rng = random.Random(seed)
    source = f"src_{rng.getrandbits(64):016x}"
    start = int(datetime(2026, 11, 28, tzinfo=UTC).timestamp() // 60)
    return [(source, str(uuid.UUID(int=rng.getrandbits(128), version=4)), start + i * 1440 // max(1, n))
            for i in range(n)]


def compact_key(source_id: str, message_id: str) -> bytes:
    """16 bytes of BLAKE2b over the length-prefixed source id and the messageId (unambiguous)."""
    return hashlib.blake2b(f"{len(source_id)}:{source_id}{message_id}".encode(), digest_size=16).digest()


def _ddl(engine: Engine) -> list[str]:
    blob = "bytea" if engine.dialect.name == "postgresql" else "BLOB"
    rowid = "" if engine.dialect.name == "postgresql" else " WITHOUT ROWID"
    tables = ["dedupe_compact"] + ([f"dedupe_gen{g}" for g in range(GENERATIONS)] if blob == "bytea" else [])
    return [f"CREATE TABLE {t} (key {blob} PRIMARY KEY, minute INTEGER NOT NULL){rowid}" for t in tables] + \
        ["CREATE INDEX ix_dedupe_compact_minute ON dedupe_compact (minute)"]


def _insert(engine: Engine, sql: str, rows: list[tuple[Any, ...]], batch: int) -> float:
    """Insert in transactions of ``batch`` rows; returns microseconds per row over the last tenth."""
    tail = max(batch, len(rows) // 10)
    started = 0.0
    for i in range(0, len(rows), batch):
        if i >= len(rows) - tail and not started:
            started = time.perf_counter()
        with engine.begin() as conn:
            conn.exec_driver_sql(sql, rows[i : i + batch])
    return round((time.perf_counter() - started) * 1e6 / tail, 2)


def _timed(engine: Engine, sql: str, **params: Any) -> float:
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text(sql), params)
    return round(time.perf_counter() - started, 3)


def _bytes_of(engine: Engine, names: list[str]) -> int:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            return sum(int(conn.execute(text(f"SELECT pg_total_relation_size('{n}')")).scalar() or 0) for n in names)
        marks = ", ".join(f"'{n}'" for n in names)
        row = conn.execute(text(f"SELECT sum(pgsize) FROM dbstat WHERE name IN "  # noqa: S608 (table names)
                                f"(SELECT name FROM sqlite_schema WHERE tbl_name IN ({marks}))")).scalar()
        return int(row or 0)


def _generations(engine: Engine, by_gen: list[list[tuple[Any, ...]]], batch: int,
                 directory: Path) -> tuple[int, Callable[[], float]]:
    """Load one generation per list; return their bytes and a function that prunes the oldest."""
    if engine.dialect.name == "postgresql":
        for g, gen_rows in enumerate(by_gen):
            _insert(engine, f"INSERT INTO dedupe_gen{g} (key, minute) VALUES (%s, %s)", gen_rows, batch)  # noqa: S608
        return (_bytes_of(engine, [f"dedupe_gen{g}" for g in range(len(by_gen))]),
                lambda: _timed(engine, "DROP TABLE dedupe_gen0"))
    files = [directory / f"dedupe-gen{g}.db" for g in range(len(by_gen))]
    total = 0
    for path, gen_rows in zip(files, by_gen, strict=True):
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE keys (key BLOB PRIMARY KEY, minute INTEGER NOT NULL) WITHOUT ROWID")
        for i in range(0, len(gen_rows), batch):
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO keys VALUES (?, ?)", gen_rows[i : i + batch])
            conn.execute("COMMIT")
        conn.close()
        total += sqlite_btree_bytes(path, "keys")[0]
    main = sqlite3.connect(str(make_url(engine.url).database), isolation_level=None)
    for g, path in enumerate(files):
        main.execute(f"ATTACH DATABASE ? AS gen{g}", (str(path),))

    def prune() -> float:
        started = time.perf_counter()
        main.execute("DETACH DATABASE gen0")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{files[0]}{suffix}").unlink(missing_ok=True)
        elapsed = time.perf_counter() - started
        main.close()
        return round(elapsed, 3)

    return total, prune


def measure(engine: Engine, keys: int, batch: int, directory: Path) -> dict[str, Any]:
    """Load every layout with the same keys; bytes per key, insert and prune costs."""
    rows = _keys(keys)
    p = "%s" if engine.dialect.name == "postgresql" else "?"
    base = datetime(2026, 11, 28, tzinfo=UTC)
    stamp = (lambda m: base + timedelta(minutes=m - rows[0][2])) if engine.dialect.name == "postgresql" else \
        (lambda m: (base + timedelta(minutes=m - rows[0][2])).strftime("%Y-%m-%d %H:%M:%S.%f"))
    with engine.begin() as conn:
        for ddl in _ddl(engine):
            conn.exec_driver_sql(ddl)
    shuffled = rows[:]
    random.Random(1).shuffle(shuffled)  # messageIds arrive in no order
    current = _insert(engine, f"INSERT INTO dedupe (source_id, message_id, seen_at) VALUES ({p}, {p}, {p})",  # noqa: S608
                      [(s, m, stamp(t)) for s, m, t in shuffled], batch)
    compact_rows = [(compact_key(s, m), t) for s, m, t in shuffled]
    compact = _insert(engine, f"INSERT INTO dedupe_compact (key, minute) VALUES ({p}, {p})",  # noqa: S608
                      compact_rows, batch)
    per_gen = -(-len(rows) // GENERATIONS)
    order = {m: i for i, (_s, m, _t) in enumerate(rows)}
    by_gen: list[list[tuple[Any, ...]]] = [[] for _ in range(GENERATIONS)]
    for (_s, m, _t), row in zip(shuffled, compact_rows, strict=True):
        by_gen[order[m] // per_gen].append(row)
    generations, prune_generation = _generations(engine, by_gen, batch, directory)
    out: dict[str, Any] = {"keys": len(rows), "batch": batch, "database": engine.dialect.name}
    for name, tables in {"current": ["dedupe"], "compact": ["dedupe_compact"]}.items():
        out[f"{name}_bytes_per_key"] = round(_bytes_of(engine, tables) / len(rows), 1)
    out["generations_bytes_per_key"] = round(generations / len(rows), 1)
    out["current_insert_us_per_key"], out["compact_insert_us_per_key"] = current, compact
    cutoff = rows[per_gen][2]
    out["current_prune_tenth_s"] = _timed(engine, "DELETE FROM dedupe WHERE seen_at < :c", c=stamp(cutoff))
    out["compact_prune_tenth_s"] = _timed(engine, "DELETE FROM dedupe_compact WHERE minute < :c", c=cutoff)
    out["generations_prune_tenth_s"] = prune_generation()
    out["compact_drop_table_s"] = _timed(engine, "DROP TABLE dedupe_compact")  # nine tenths of the keys
    return out


def run(*, keys: int = 1_000_000, batch: int = 2000, database_url: str | None = None) -> dict[str, Any]:
    """On a temp SQLite file, or on ``database_url`` (an empty database: its ``dedupe`` table must
    hold no rows; the bench's own tables are dropped afterwards)."""
    from governance.db import make_engine
    from governance.migrations import upgrade

    with tempfile.TemporaryDirectory(prefix="gov-dedupe-", ignore_cleanup_errors=True) as name:
        engine = make_engine(database_url or f"sqlite:///{Path(name) / 'dedupe.db'}")
        try:
            upgrade(engine)
            with engine.connect() as conn:
                if conn.execute(text("SELECT count(*) FROM dedupe")).scalar():
                    raise ValueError("the database's dedupe table is not empty: use a throwaway database")
            try:
                return measure(engine, keys, batch, Path(name))
            finally:
                with engine.begin() as conn:
                    conn.execute(text("DELETE FROM dedupe"))
                    for table in ["dedupe_compact"] + [f"dedupe_gen{g}" for g in range(GENERATIONS)]:
                        conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        finally:
            engine.dispose()
