"""``bench hotpath``'s ``commit`` stage: the group commit on a real SQLite file, in one process.

``Store.commit`` (dedupe claim, ``tally``, the outbox, counter and sample rows, ``COMMIT``) of the
hot path's judged bodies, ``GROUP`` requests a transaction as the web process groups the requests
of 4 clients, on a fresh database file in a temporary directory with ``synchronous=FULL`` (every
commit fsynced, as ``serve`` runs by default), the dedupe window starting empty. It reports:

    commit_us_per_event        CPU time (``time.process_time``: Python, SQLite, the kernel's write
                               and fsync work) per event; ``tally`` is part of it
    commit_wall_us_per_event   wall time per event: on an idle machine the difference from the CPU
                               time is the wait for fsync (on a loaded one, for a core as well)
    commit_written_bytes_per_event  bytes written per event (``wchar`` of ``/proc/self/io``: the
                               WAL frames and the checkpoints' copies into the database; None
                               where ``/proc`` is missing)

and the same three for a reference in the same harness, ``commit_diy_*``: the smart DIY peer's
write (``peers/diy.py``: its one table keyed by messageId, each event's row with its payload text
made by ``orjson.dumps``, one ``executemany`` of ``INSERT OR IGNORE``) of the same events, one
transaction per group of ``GROUP`` requests, on its own fresh file in WAL mode with
``synchronous=FULL``. It has no dedupe window, no counters, no samples and one row per event.
"""

from __future__ import annotations

import gc
import shutil
import sqlite3
import tempfile
import time
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from governance.bench.peers.diy import INSERT, SCHEMA

if TYPE_CHECKING:
    from governance.proxy.pipeline import Verdict

GROUP = 4  # requests a group commit
WINDOW_RATE = 12_000  # keys a second of the pre-filled window (``window_keys``): the proxy's rate in bench proxy
PREFILL_BATCH = 2000  # keys per transaction when the window is pre-filled
Figures = tuple[float, float, int | None]  # CPU s, wall s, bytes written


def _written() -> int | None:
    try:
        for line in Path("/proc/self/io").read_text().splitlines():
            if line.startswith("wchar:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def prefill(path: Path, source_id: str, keys: int, ids: str) -> None:
    """A database at ``path`` whose window holds ``keys`` keys of ``source_id``, ids shaped as ``ids``
    says, that arrived over the ``keys / WINDOW_RATE`` seconds before now, in arrival order (a time-first
    id made when it arrived), written by the group commit's dedupe claim and roll, then checkpointed."""
    import time as clock

    from governance.bench.ids import SDK_MIX, Ids
    from governance.db import make_engine, writer
    from governance.migrations import upgrade
    from governance.proxy import dedupe
    from governance.proxy.hotsql import HotSQL

    engine = make_engine(f"sqlite:///{path}", synchronous="NORMAL")
    upgrade(engine)
    sql, made, start_s = HotSQL("sqlite"), Ids(), int(clock.time()) - keys // WINDOW_RATE - 1
    pending: list[bytes] = []
    for seq, first in enumerate(range(0, keys, 100)):
        seen_s = start_s + first // WINDOW_RATE
        shape = SDK_MIX[seq % len(SDK_MIX)] if ids == "sdk" else "uuid4" if ids == "uuid4" else None
        batch = (made.batch(shape, 0xFFFF, seq, min(100, keys - first), ms=seen_s * 1000 + first % 1000)
                 if shape else [f"prefill-{seq:08x}-{j:04x}" for j in range(min(100, keys - first))])
        pending += [dedupe.compact_key(source_id, m) for m in batch]
        if len(pending) >= PREFILL_BATCH or first + 100 >= keys:
            with writer(engine).begin() as conn:
                cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
                dedupe.claim(cursor, sql, pending, now_s=seen_s, window_s=86_400)
                dedupe.roll(cursor, sql, cutoff_s=seen_s - 86_400)
                cursor.close()
            pending = []
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


def _round(directory: Path, source_id: str, judged: list[list[Verdict]], template: Path | None = None) -> Figures:
    """One round on a fresh database in ``directory`` (a copy of ``template`` when given: a pre-filled
    window): CPU s, wall s, bytes written."""
    from governance.db import make_engine
    from governance.migrations import upgrade
    from governance.proxy.store import Batch, Store

    if template is not None:
        shutil.copy(template, directory / "commit.db")
    engine = make_engine(f"sqlite:///{directory / 'commit.db'}", synchronous="FULL")
    upgrade(engine)
    store = Store(engine, dedupe_window_s=86_400)
    store.close()  # its writer thread is not used: the round calls ``commit`` itself
    groups = [[Batch(source_id, verdicts, Future()) for verdicts in judged[start : start + GROUP]]
              for start in range(0, len(judged), GROUP)]
    gc.collect()
    written, cpu, wall = _written(), time.process_time(), time.perf_counter()
    for group in groups:
        store.commit(group)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    after = _written()
    engine.dispose()
    return cpu, wall, None if written is None or after is None else after - written


def _diy_round(directory: Path, events: list[list[dict[str, Any]]], valid: list[list[bool]]) -> Figures:
    """The smart DIY peer's write of the same events on a fresh file in ``directory``."""
    db = sqlite3.connect(directory / "diy.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute(SCHEMA)
    groups = [(events[start : start + GROUP], valid[start : start + GROUP]) for start in range(0, len(events), GROUP)]
    dumps = orjson.dumps
    gc.collect()
    written, cpu, wall = _written(), time.process_time(), time.perf_counter()
    for bodies, flags in groups:
        rows = [(e.get("messageId"), e.get("event"), ok, dumps(e).decode())
                for body, body_flags in zip(bodies, flags, strict=True) for e, ok in zip(body, body_flags, strict=True)]
        db.execute("BEGIN")
        db.executemany(INSERT, rows)
        db.execute("COMMIT")
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    after = _written()
    db.close()
    return cpu, wall, None if written is None or after is None else after - written


def _best(rounds: int, one: Any) -> Figures:
    """The round of least CPU among ``rounds``, each ``one(directory)`` in a new temporary directory."""
    best: Figures | None = None
    for n in range(rounds):
        with tempfile.TemporaryDirectory(prefix="governance-commit-") as name:
            directory = Path(name) / str(n)
            directory.mkdir()
            result = one(directory)
        if best is None or result[0] < best[0]:
            best = result
    assert best is not None
    return best


def _figures(prefix: str, result: Figures, events: int) -> dict[str, Any]:
    cpu, wall, written = result
    return {f"{prefix}_us_per_event": round(cpu * 1e6 / events, 2),
            f"{prefix}_wall_us_per_event": round(wall * 1e6 / events, 2),
            f"{prefix}_written_bytes_per_event": None if written is None else round(written / events)}


def measure(source_id: str, judged: list[list[Verdict]], rounds: int,
            events: list[list[dict[str, Any]]] | None = None, *, window_keys: int = 0,
            ids: str = "sdk") -> dict[str, Any]:
    """The ``commit_*`` figures of the best of ``rounds`` (each on its own new database, its window
    holding ``window_keys`` keys of ``ids``' shapes), and the ``commit_diy_*`` ones when given the
    ``events`` (as sent: one list a request) that were judged."""
    count = sum(len(verdicts) for verdicts in judged)
    with tempfile.TemporaryDirectory(prefix="governance-window-") as name:
        template = Path(name) / "window.db" if window_keys else None
        if template is not None:
            prefill(template, source_id, window_keys, ids)
        out = {**_figures("commit", _best(rounds, lambda d: _round(d, source_id, judged, template)), count),
               "commit_group_requests": GROUP, "commit_window_keys": window_keys}
    if events is not None:
        valid = [[not v.violations for v in verdicts] for verdicts in judged]  # the peer's one flag
        out.update(_figures("commit_diy", _best(rounds, lambda d: _diy_round(d, events, valid)), count))
    return out
