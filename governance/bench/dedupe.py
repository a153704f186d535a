"""``governance bench dedupe``: what one key of the messageId dedupe window costs, and what pruning stalls.

Four layouts hold the same ``keys`` (source, messageId) pairs over 24 hours, inserted in the
order they arrive in transactions of ``batch`` keys as the proxy's group commit does. The
messageIds are shaped as ``ids`` says (``load.ID_SHAPES``: ``sdk``, the real SDKs' mix of
``ajs-next-<ms>-<uuid>``, ``node-next-<ms>-<uuid>`` and UUIDv4s, each id's ms up to a second
before its arrival; ``uuid4``; ``ordered``):

    text          the table before revision 0007 (``dedupe_text`` here): text source id and
                  messageId as the primary key, a timestamp ``seen_at`` and its index
    hashed        ``dedupe_keys`` as revisions 0007 to 0009 keyed it (``dedupe.legacy_key``): 16
                  bytes of BLAKE2b(source id, messageId) as the primary key of a WITHOUT ROWID
                  table (``bytea`` on PostgreSQL), the second it was seen (an integer) and its index
    compact       the proxy's ``dedupe_keys`` (``dedupe.compact_key``, revision 0010), loaded
                  directly in arrival order: since revision 0011 the last level of the window, with
                  no ``seen_s`` index (``dedupe_hashed`` holds the ``hashed`` layout beside it)
    levels        the proxy's window as it runs (revision 0011): each transaction's keys claimed
                  through ``dedupe.claim`` at their arrival second and rolled down the levels after
                  it as the group commit does (on PostgreSQL with the web process's vacuum of the
                  first levels running); bytes over every level, dead rows included, and per level
    generations   the compact key split into generations (e.g. one per 6 h): a key is new when
                  no generation within the window holds it; pruning drops the oldest generation:
                  on SQLite each generation is its own file (dropped by DETACH and unlink, as
                  DROP TABLE visits every page under the write lock), on PostgreSQL a table

Reported per layout: bytes per key (SQLite ``dbstat``; PostgreSQL ``pg_total_relation_size``, which
counts the dead rows a ``DELETE`` leaves until vacuum reuses their space),
insert cost per key at the end of the load, and the cost of pruning the oldest tenth: one
``DELETE`` by time (text, compact), the worker's chunked prune (compact: ``housekeeping``), and
dropping one generation. On SQLite a prune holds the write lock, so its duration is how long
ingest stalls; ``ingest_*`` measures it: a process commits the proxy's own dedupe claim and roll
(500 new keys a transaction, through the same write queue) alone, during a one-statement prune
(a full scan since revision 0011 dropped the index), and during the worker's sweep, and reports
each one's commit latency (p50, p99, max).
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from governance.bench.ids import SDK_MIX, Ids
from governance.bench.readback import sqlite_btree_bytes
from governance.db import writer
from governance.proxy import dedupe_pg
from governance.proxy.dedupe import TABLES, WINDOW_SQL, claim, compact_key, legacy_key, roll
from governance.proxy.hotsql import HotSQL
from governance.worker import housekeeping

GENERATIONS = 10  # generations the keys are spread over: dropping one prunes a tenth


START_S = int(datetime(2026, 11, 28, tzinfo=UTC).timestamp())
INGEST_KEYS = 500  # new keys per simulated group commit (five 100-event requests)


def _keys(n: int, seed: int = 0, ids: str = "sdk") -> list[tuple[str, str, int]]:
    """(source id, messageId, second seen) over 24 hours, in arrival order; ids shaped as ``ids``
    says, a request of 100 from one library (``load.Bodies``' mix), a time-first id made up to a
    second before it arrived."""
    rng = random.Random(seed)
    source = f"src_{rng.getrandbits(64):016x}"
    made = Ids(nonce=rng.getrandbits(64))
    out: list[tuple[str, str, int]] = []
    for seq, start in enumerate(range(0, n, 100)):
        count = min(100, n - start)
        seen = [START_S + i * 86_400 // max(1, n) for i in range(start, start + count)]
        if ids == "ordered":
            batch = [f"{seed:08x}-0000-{seq >> 16 & 0xFFFF:04x}-{seq & 0xFFFF:04x}-{j:012x}" for j in range(count)]
        else:
            shape = SDK_MIX[seq % len(SDK_MIX)] if ids == "sdk" else "uuid4"
            batch = made.batch(shape, 0, seq, count, ms=seen[0] * 1000 - rng.randrange(1000))
        out += [(source, m, t) for m, t in zip(batch, seen, strict=True)]
    return out


def _ddl(engine: Engine) -> list[str]:
    postgres = engine.dialect.name == "postgresql"
    stamp = "timestamptz" if postgres else "DATETIME"
    text_table = [f"CREATE TABLE dedupe_text (source_id VARCHAR(40) NOT NULL, message_id VARCHAR(200) NOT NULL, "
                  f"seen_at {stamp} NOT NULL, PRIMARY KEY (source_id, message_id))",
                  "CREATE INDEX ix_dedupe_text_seen_at ON dedupe_text (seen_at)"]
    gens = [f"CREATE TABLE dedupe_gen{g} (key bytea PRIMARY KEY, seen_s BIGINT NOT NULL)"
            for g in range(GENERATIONS)] if postgres else []
    key = "bytea" if postgres else "BLOB"
    hashed = [f"CREATE TABLE dedupe_hashed (key {key} PRIMARY KEY, seen_s BIGINT NOT NULL)"
              + ("" if postgres else " WITHOUT ROWID"), "CREATE INDEX ix_dedupe_hashed_seen ON dedupe_hashed (seen_s)"]
    return text_table + hashed + gens


def _insert(engine: Engine, sql: str, rows: list[tuple[Any, ...]], batch: int) -> float:
    """Insert in transactions of ``batch`` rows; returns microseconds per row over the last tenth."""
    tail = max(batch, len(rows) // 10)
    started = 0.0
    for i in range(0, len(rows), batch):
        if i >= len(rows) - tail and not started:
            started = time.perf_counter()
        with writer(engine).begin() as conn:
            conn.exec_driver_sql(sql, rows[i : i + batch])
    return round((time.perf_counter() - started) * 1e6 / tail, 2)


def _timed(engine: Engine, sql: str, **params: Any) -> float:
    started = time.perf_counter()
    with writer(engine).begin() as conn:
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


def _levels(engine: Engine, rows: list[tuple[str, str, int]], batch: int) -> dict[str, Any]:
    """Load ``rows`` through the proxy's claim and roll (``levels`` above); bytes per key over every
    level, each level's keys and bytes, and µs per key over the last tenth; then empty the levels."""
    sql, postgres = HotSQL(engine.dialect.name), engine.dialect.name == "postgresql"
    first, vacuum = dedupe_pg.FirstLevel(), dedupe_pg.Vacuum(engine) if postgres else None
    tail, started = max(batch, len(rows) // 10), 0.0
    try:
        for i in range(0, len(rows), batch):
            if i >= len(rows) - tail and not started:
                started = time.perf_counter()
            chunk, now_s = rows[i : i + batch], rows[min(i + batch, len(rows)) - 1][2]
            with writer(engine).begin() as conn:
                cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
                first.added(len(claim(cursor, sql, [compact_key(s, m) for s, m, _t in chunk], now_s=now_s,
                                      window_s=86_400)))
                if not postgres:
                    roll(cursor, sql, cutoff_s=now_s - 86_400)
                cursor.close()
            if postgres:
                dedupe_pg.roll_after_commit(engine, sql, first, cutoff_s=now_s - 86_400)
        us = round((time.perf_counter() - started) * 1e6 / tail, 2)
    finally:
        if vacuum is not None:
            vacuum.close()
    with engine.connect() as conn:
        held = {t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() or 0) for t in TABLES}  # noqa: S608
    sizes = {t: _bytes_of(engine, [t]) for t in TABLES}
    with writer(engine).begin() as conn:
        for table in TABLES:
            conn.execute(text(f"{'TRUNCATE' if postgres else 'DELETE FROM'} {table}"))
        conn.execute(text("UPDATE dedupe_levels SET keys = 0, after = NULL"))
    return {"levels_bytes_per_key": round(sum(sizes.values()) / len(rows), 1), "levels_insert_us_per_key": us,
            "levels_by_level": {t: {"keys": held[t], "bytes": sizes[t]} for t in TABLES}}


def _generations(engine: Engine, by_gen: list[list[tuple[Any, ...]]], batch: int,
                 directory: Path) -> tuple[int, Callable[[], float]]:
    """Load one generation per list; return their bytes and a function that prunes the oldest."""
    if engine.dialect.name == "postgresql":
        for g, gen_rows in enumerate(by_gen):
            _insert(engine, f"INSERT INTO dedupe_gen{g} (key, seen_s) VALUES (%s, %s)", gen_rows, batch)  # noqa: S608
        return (_bytes_of(engine, [f"dedupe_gen{g}" for g in range(len(by_gen))]),
                lambda: _timed(engine, "DROP TABLE dedupe_gen0"))
    files = [directory / f"dedupe-gen{g}.db" for g in range(len(by_gen))]
    total = 0
    for path, gen_rows in zip(files, by_gen, strict=True):
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE keys (key BLOB PRIMARY KEY, seen_s INTEGER NOT NULL) WITHOUT ROWID")
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


INGEST_CHILD = """
import sys
from governance.bench.dedupe import ingest_forever
ingest_forever(sys.argv[1], int(sys.argv[2]))
"""


def ingest_forever(url: str, now_s: int) -> None:
    """The child process of ``_Ingest``: commit the proxy's dedupe claim and roll back to back, printing
    when each commit ended (``time.monotonic``, one clock for every process) and how long it took."""
    from governance.db import make_engine

    engine = writer(make_engine(url))
    sql = HotSQL(engine.dialect.name)
    n = 0
    while True:
        keys = [compact_key("src_ingest", f"ingest-{n}-{i}") for i in range(INGEST_KEYS)]
        n += 1
        started = time.monotonic()
        with engine.begin() as conn:
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            claim(cursor, sql, keys, now_s=now_s, window_s=now_s)
            roll(cursor, sql, cutoff_s=0)
            cursor.close()
        ended = time.monotonic()
        print(f"{ended:.4f} {(ended - started) * 1000:.2f}", flush=True)


class _Ingest:
    """Ingest in its own process, as the web process is the prune's (the worker's) neighbour:
    ``INGEST_KEYS`` new keys a transaction, back to back; ``window(a, b)`` gives the latencies of
    the commits that ended between two ``time.monotonic()`` readings."""

    def __init__(self, engine: Engine, now_s: int) -> None:
        url = engine.url.render_as_string(hide_password=False)
        self.proc = subprocess.Popen([sys.executable, "-c", INGEST_CHILD, url, str(now_s)],
                                     stdout=subprocess.PIPE, text=True)
        self.commits: list[tuple[float, float]] = []
        self.thread = threading.Thread(target=self._read, name="bench-ingest", daemon=True)
        self.thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            ended, ms = line.split()
            self.commits.append((float(ended), float(ms)))

    def window(self, start: float, end: float) -> dict[str, float]:
        got = [ms for ended, ms in list(self.commits) if start <= ended <= end]
        if len(got) < 2:
            return {"commits": len(got), "p50_ms": round(got[0], 1) if got else 0.0,
                    "p99_ms": round(max(got, default=0.0), 1), "max_ms": round(max(got, default=0.0), 1)}
        cuts = statistics.quantiles(got, n=100, method="inclusive")
        return {"commits": len(got), "p50_ms": round(cuts[49], 1), "p99_ms": round(cuts[98], 1),
                "max_ms": round(max(got), 1)}

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.thread.join(timeout=10)


def _prune_under_ingest(engine: Engine, cutoff_s: int, tenth: int) -> dict[str, Any]:
    """Commit latency of the ingest process alone, during one ``DELETE`` of a tenth of the keys,
    and during the worker's chunked prune of the next tenth (a commit that ends up to 1 s after a
    prune still counts for it: it may have waited for the prune's last turn)."""
    out: dict[str, Any] = {"prune_keys": tenth}
    ingest = _Ingest(engine, START_S + 2 * 86_400)
    try:
        while len(ingest.commits) < 3 and ingest.proc.poll() is None:
            time.sleep(0.1)  # started
        alone = time.monotonic()
        time.sleep(3.0)
        started = time.monotonic()
        out["ingest_alone"] = ingest.window(alone, started)
        out["compact_prune_tenth_s"] = _timed(engine, "DELETE FROM dedupe_keys WHERE seen_s < :c", c=cutoff_s)
        time.sleep(1.0)
        out["ingest_during_delete"] = ingest.window(started, started + out["compact_prune_tenth_s"] + 1.0)
        started = time.monotonic()
        later = cutoff_s + (cutoff_s - START_S)  # the second tenth of the window
        settings = SimpleNamespace(dedupe_window_s=0, sample_retention_days=10_000)
        out["compact_chunked_pruned"] = housekeeping.forget_expired(
            engine, settings, datetime.fromtimestamp(later, UTC), budget_s=3600)["dedupe"]  # type: ignore[arg-type]
        out["compact_chunked_prune_tenth_s"] = round(time.monotonic() - started, 3)
        time.sleep(1.0)
        took = out["compact_chunked_prune_tenth_s"]
        out["ingest_during_chunked_prune"] = ingest.window(started, started + took + 1.0)
    finally:
        ingest.close()
    return out


def measure(engine: Engine, keys: int, batch: int, directory: Path, ids: str = "sdk") -> dict[str, Any]:
    """Load every layout with the same keys; bytes per key, insert and prune costs."""
    rows = _keys(keys, ids=ids)
    postgres = engine.dialect.name == "postgresql"
    p = "%s" if postgres else "?"
    stamp = (lambda t: datetime.fromtimestamp(t, UTC)) if postgres else \
        (lambda t: datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S.%f"))
    with writer(engine).begin() as conn:
        for ddl in _ddl(engine):
            conn.exec_driver_sql(ddl)
    out: dict[str, Any] = {"keys": len(rows), "batch": batch, "database": engine.dialect.name, "ids": ids,
                           **_levels(engine, rows, batch)}
    arrived = rows  # in arrival order: a UUIDv4 is in no order, a time-first id nearly in its arrival's
    text_us = _insert(engine, f"INSERT INTO dedupe_text (source_id, message_id, seen_at) VALUES ({p}, {p}, {p})",  # noqa: S608
                      [(s, m, stamp(t)) for s, m, t in arrived], batch)
    hashed_us = _insert(engine, f"INSERT INTO dedupe_hashed (key, seen_s) VALUES ({p}, {p})",  # noqa: S608
                        [(legacy_key(s, m), t) for s, m, t in arrived], batch)
    compact_rows = [(compact_key(s, m), t) for s, m, t in arrived]
    compact_us = _insert(engine, f"INSERT INTO dedupe_keys (key, seen_s) VALUES ({p}, {p})",  # noqa: S608
                         compact_rows, batch)
    per_gen = -(-len(rows) // GENERATIONS)
    order = {m: i for i, (_s, m, _t) in enumerate(rows)}
    by_gen: list[list[tuple[Any, ...]]] = [[] for _ in range(GENERATIONS)]
    for (_s, m, _t), row in zip(arrived, compact_rows, strict=True):
        by_gen[order[m] // per_gen].append(row)
    generations, prune_generation = _generations(engine, by_gen, batch, directory)
    for name, tables in {"text": ["dedupe_text"], "hashed": ["dedupe_hashed"], "compact": ["dedupe_keys"]}.items():
        out[f"{name}_bytes_per_key"] = round(_bytes_of(engine, tables) / len(rows), 1)
    out["generations_bytes_per_key"] = round(generations / len(rows), 1)
    out["text_insert_us_per_key"], out["compact_insert_us_per_key"] = text_us, compact_us
    out["hashed_insert_us_per_key"] = hashed_us
    cutoff = rows[per_gen][2]
    out["text_prune_tenth_s"] = _timed(engine, "DELETE FROM dedupe_text WHERE seen_at < :c", c=stamp(cutoff))
    out.update(_prune_under_ingest(engine, cutoff, per_gen))
    out["generations_prune_tenth_s"] = prune_generation()
    return out


def run(*, keys: int = 1_000_000, batch: int = 2000, database_url: str | None = None,
        ids: str = "sdk") -> dict[str, Any]:
    """On a temp SQLite file, or on ``database_url`` (an empty database: its ``dedupe_keys`` table
    must hold no rows; the bench's own tables are dropped and its keys deleted afterwards)."""
    from governance.db import make_engine
    from governance.migrations import upgrade

    with tempfile.TemporaryDirectory(prefix="gov-dedupe-", ignore_cleanup_errors=True) as name:
        engine = make_engine(database_url or f"sqlite:///{Path(name) / 'dedupe.db'}")
        try:
            upgrade(engine)
            with engine.connect() as conn:
                if conn.execute(text(WINDOW_SQL + " LIMIT 1")).first() is not None:
                    raise ValueError("the database's dedupe_keys table is not empty: use a throwaway database")
            try:
                return measure(engine, keys, batch, Path(name), ids)
            finally:
                with writer(engine).begin() as conn:
                    for level in TABLES:
                        conn.execute(text(f"DELETE FROM {level}"))  # noqa: S608 (the window's tables)
                    for table in ["dedupe_text", "dedupe_hashed"] + [f"dedupe_gen{g}" for g in range(GENERATIONS)]:
                        conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        finally:
            engine.dispose()
