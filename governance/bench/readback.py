"""What the proxy's database says happened: counters, outbox, deliveries and storage, per source.

The benchmarks never trust their own load generator alone: after a run they read back how many
events the proxy counted by outcome (``event_counts``), how many are still in the outbox, how
many the worker delivered (``forward_stats``) or dead-lettered, and how many bytes the database
and its dedupe index take. Everything is scoped to the bench's source, so a shared PostgreSQL
database with older rows reports only this run.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from governance.proxy.hotsql import DEDUPE_TABLES

NOT_NEW = frozenset({"deduplicated"})
FORWARDED = frozenset({"forwarded", "omitted", "shadow_blocked", "shadow_omitted"})


def _scalar(engine: Engine, sql: str, **params: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar() or 0)


def outbox_depth(engine: Engine, source_id: str) -> int:
    return _scalar(engine, "SELECT coalesce(sum(events), 0) FROM outbox WHERE source_id = :s", s=source_id)


def counters(engine: Engine, source_id: str) -> dict[str, Any]:
    """Events by outcome, and where they are now: outbox, delivered, dead letter, quarantine."""
    with engine.connect() as conn:
        by_outcome = {str(o): int(n) for o, n in conn.execute(text(
            "SELECT outcome, sum(count) FROM event_counts WHERE source_id = :s GROUP BY outcome"), {"s": source_id})}
    counted = sum(by_outcome.values())
    return {
        "by_outcome": dict(sorted(by_outcome.items())),
        "counted": counted,
        "deduplicated": by_outcome.get("deduplicated", 0),
        "new": sum(n for o, n in by_outcome.items() if o not in NOT_NEW),
        "to_forward": sum(n for o, n in by_outcome.items() if o in FORWARDED),
        "outbox": outbox_depth(engine, source_id),
        "delivered": _scalar(engine, "SELECT sum(delivered) FROM forward_stats WHERE source_id = :s", s=source_id),
        "dead_lettered": _scalar(engine, "SELECT count(*) FROM dead_letter WHERE source_id = :s", s=source_id),
        "quarantined": _scalar(engine, "SELECT count(*) FROM quarantine WHERE source_id = :s", s=source_id),
    }


def wait_drained(engine: Engine, source_id: str, timeout_s: float) -> float | None:
    """Seconds until the source's outbox is empty, or None if it is not within ``timeout_s``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if outbox_depth(engine, source_id) == 0:
            return round(time.monotonic() - started, 2)
        time.sleep(0.25)
    return None


class DepthSampler:
    """Samples the source's outbox depth every ``interval_s`` in a thread while a run goes on."""

    def __init__(self, engine: Engine, source_id: str, interval_s: float = 0.5) -> None:
        self.engine, self.source_id, self.interval_s = engine, source_id, interval_s
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-depth", daemon=True)
        self._started = 0.0

    def __enter__(self) -> DepthSampler:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((round(time.monotonic() - self._started, 2), outbox_depth(self.engine, self.source_id)))
            self._stop.wait(self.interval_s)

    def summary(self, events_per_s: float) -> dict[str, Any]:
        """Depth over the run, and whether it is bounded: over the second half of the samples the
        outbox grew by less than 5 % of what ``events_per_s`` ingested meanwhile (the forwarder keeps
        up with ingest, give or take a batch in flight)."""
        depths = [d for _t, d in self.samples]
        if len(depths) < 4:
            return {"outbox_depth_max": max(depths, default=None), "outbox_bounded": None,
                    "outbox_depth_samples": self.samples}
        (t_half, d_half), (t_end, d_end) = self.samples[len(depths) // 2], self.samples[-1]
        ingested = events_per_s * (t_end - t_half)
        share = (d_end - d_half) / ingested if ingested else 0.0
        return {"outbox_depth_max": max(depths), "outbox_depth_end": d_end,
                "outbox_growth_share": round(share, 4), "outbox_bounded": share < 0.05,
                "outbox_depth_samples": self.samples}


def storage(engine: Engine) -> dict[str, Any]:
    """Database bytes, events counted, and dedupe-index bytes per key over every level of the window
    (SQLite ``dbstat``, else page counts; PostgreSQL ``pg_total_relation_size``)."""
    keys = sum(_scalar(engine, f"SELECT count(*) FROM {t}") for t in DEDUPE_TABLES)  # noqa: S608 (table names)
    events = _scalar(engine, "SELECT sum(count) FROM event_counts")
    if engine.dialect.name == "postgresql":
        total = _scalar(engine, "SELECT pg_database_size(current_database())")
        dedupe = sum(_scalar(engine, f"SELECT pg_total_relation_size('{t}')") for t in DEDUPE_TABLES)
        method = "pg_total_relation_size"
    else:
        path = Path(str(make_url(engine.url).database))
        total = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
        sized = [sqlite_btree_bytes(path, t) for t in DEDUPE_TABLES]
        dedupe, method = sum(n for n, _ in sized), sized[0][1]
    return {"database_bytes": total, "events": events, "dedupe_keys": keys, "dedupe_bytes": dedupe,
            "dedupe_bytes_per_key": round(dedupe / keys, 1) if keys else None, "size_method": method}


def sqlite_btree_bytes(path: Path, table: str) -> tuple[int, str]:
    """Bytes of a table and its indexes: from ``dbstat`` when SQLite has it, else the whole file's
    used pages (an upper bound)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        try:
            row = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name IN "
                               "(SELECT name FROM sqlite_schema WHERE tbl_name = ?)", (table,)).fetchone()
            return int(row[0] or 0), "dbstat"
        except sqlite3.OperationalError:
            used = [conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "freelist_count", "page_size")]
            return int((used[0] - used[1]) * used[2]), "page_count (whole file)"
    finally:
        conn.close()


def wal_lsn(engine: Engine) -> str | None:
    """PostgreSQL's current WAL position (None on SQLite), to tell the WAL bytes a run wrote."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT pg_current_wal_lsn()")).scalar())


def postgres_churn(engine: Engine, since_lsn: str, events: int) -> dict[str, Any]:
    """WAL bytes written since ``since_lsn`` (the whole cluster: run the bench on a quiet one), per
    event: the exact measure of the write churn (outbox insert, lease, delete; dedupe; counters).
    ``pg_stat_user_tables`` is not used: other backends report to it up to 10 s late."""
    with engine.connect() as conn:
        wal = int(conn.execute(text("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), CAST(:l AS pg_lsn))"),
                               {"l": since_lsn}).scalar() or 0)
    return {"wal_bytes": wal, "wal_bytes_per_event": round(wal / events, 1) if events else None}


def postgres_pids(engine: Engine) -> list[int | None]:
    """The PostgreSQL server's processes (backends and background writers), when it runs on this
    machine (its address is 127.0.0.1 or a socket): the CPU a run costs the database too."""
    host = make_url(str(engine.url)).host
    if engine.dialect.name != "postgresql" or host not in (None, "", "127.0.0.1", "localhost", "::1"):
        return []
    with engine.connect() as conn:
        return [int(pid) for pid in conn.execute(text("SELECT pid FROM pg_stat_activity")).scalars()]


def postgres_durability(engine: Engine) -> dict[str, str]:
    """The server's own durability settings (the proxy's SQLite setting does not apply there)."""
    with engine.connect() as conn:
        return {name: str(conn.execute(text(f"SHOW {name}")).scalar())
                for name in ("fsync", "synchronous_commit", "full_page_writes")}
