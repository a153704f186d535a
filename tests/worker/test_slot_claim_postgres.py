"""A slot already claimed is an answer, not a database error: on a real PostgreSQL, claimants of one
``(job, slot_time)`` get one winner and the server's own log has no ``ERROR`` line for the others.

Operators alert on ``ERROR`` lines in PostgreSQL's log. Before ``claim_slot`` used ``INSERT ... ON
CONFLICT DO NOTHING``, every loser's insert failed on ``uq_scheduler_slot`` (logged by the server as
``ERROR: duplicate key value violates unique constraint``), and the fast checks met it every minute
by trying the full cycle's slot first.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

import governance.worker.jobs as jobs
from governance.worker.tables import JobRunRow
from tests.worker.test_scheduler import claim_at_once

pytestmark = pytest.mark.postgres


def _errors_since(log: Path, offset: int) -> list[str]:
    with log.open("rb") as f:
        f.seek(offset)
        return [line for line in f.read().decode(errors="replace").splitlines() if "ERROR" in line]


def test_claimants_of_one_slot_get_one_winner_and_no_error_in_the_server_log(pg_engine: Any, postgres: Any) -> None:
    engine, log = pg_engine, Path(postgres.dir) / "log"
    slot = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
    start = log.stat().st_size
    won, ran = claim_at_once(engine, "check_cycle", slot)
    # and the every-minute case: a slot claimed long ago, tried again by the same scheduler
    assert jobs.run_slot(engine, "check_cycle", slot, "late", lambda: ran.append("late")) is False
    assert sorted(won.values()) == [False, False, False, True] and len(ran) == 1
    with Session(engine) as session:
        [row] = session.exec(select(JobRunRow)).all()
    assert (row.worker, row.outcome, row.slot_time) == (ran[0], "ok", slot)
    assert _errors_since(log, start) == []

    # the log is the one this server writes its errors to: a plain duplicate insert shows there
    with engine.begin() as conn, pytest.raises(Exception, match="uq_scheduler_slot"):
        conn.execute(text("INSERT INTO scheduler_runs (job, slot_time, worker, started_at, outcome, details) "
                          "SELECT job, slot_time, 'control', started_at, outcome, details FROM scheduler_runs"))
    deadline = time.monotonic() + 5
    while not _errors_since(log, start) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any("uq_scheduler_slot" in line or "duplicate key" in line for line in _errors_since(log, start))
