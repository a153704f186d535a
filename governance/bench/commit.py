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
"""

from __future__ import annotations

import gc
import tempfile
import time
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from governance.proxy.pipeline import Verdict

GROUP = 4  # requests a group commit


def _written() -> int | None:
    try:
        for line in Path("/proc/self/io").read_text().splitlines():
            if line.startswith("wchar:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _round(directory: Path, source_id: str, judged: list[list[Verdict]]) -> tuple[float, float, int | None]:
    """One round on a fresh database in ``directory``: CPU s, wall s, bytes written."""
    from governance.db import make_engine
    from governance.migrations import upgrade
    from governance.proxy.store import Batch, Store

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


def measure(source_id: str, judged: list[list[Verdict]], rounds: int) -> dict[str, Any]:
    """The ``commit_*`` figures of the best of ``rounds`` (each on its own new database)."""
    events = sum(len(verdicts) for verdicts in judged)
    best: tuple[float, float, int | None] | None = None
    for n in range(rounds):
        with tempfile.TemporaryDirectory(prefix="governance-commit-") as name:
            directory = Path(name) / str(n)
            directory.mkdir()
            result = _round(directory, source_id, judged)
        if best is None or result[0] < best[0]:
            best = result
    assert best is not None
    cpu, wall, written = best
    return {"commit_us_per_event": round(cpu * 1e6 / events, 2),
            "commit_wall_us_per_event": round(wall * 1e6 / events, 2),
            "commit_written_bytes_per_event": None if written is None else round(written / events),
            "commit_group_requests": GROUP}
