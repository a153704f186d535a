"""Scheduler leadership and job slots, with real threads, real processes and kill -9.

SQLite leadership is an ``flock`` beside the database, PostgreSQL's an advisory lock on a
dedicated connection; ``scheduler_runs`` has a unique ``(job, slot_time)`` as the backstop.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import Session, select

import governance.worker.jobs as jobs
import governance.worker.scheduler as sched
from governance.db import make_engine
from governance.migrations import upgrade
from governance.worker.leader import leadership_for
from governance.worker.tables import JobRunRow
from tests.conftest import ROOT, make_settings, wait_until

FAST = {"scheduler_interval_s": 1, "scheduler_poll_s": 0.5, "leader_retry_s": 0.2}


@pytest.fixture
def engine(database_url: str) -> Any:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def cycle_rows(engine: Any) -> list[JobRunRow]:
    with Session(engine) as session:
        return list(session.exec(select(JobRunRow).where(JobRunRow.job == "check_cycle")
                                 .order_by(JobRunRow.slot_time)).all())


def claim_at_once(engine: Any, job: str, slot: datetime, claimants: int = 4) -> tuple[dict[str, bool], list[str]]:
    """``claimants`` threads, each on its own engine, calling ``run_slot`` for one slot at the same moment:
    whether each won, and who ran the job."""
    url = engine.url.render_as_string(hide_password=False)
    barrier = threading.Barrier(claimants)
    won: dict[str, bool] = {}
    ran: list[str] = []

    def claimant(name: str) -> None:
        own = make_engine(url)
        try:
            barrier.wait()
            won[name] = jobs.run_slot(own, job, slot, name, lambda: ran.append(name))
        finally:
            own.dispose()

    threads = [threading.Thread(target=claimant, args=(f"w{i}",)) for i in range(claimants)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return won, ran


def test_a_slot_is_claimed_once_across_concurrent_runners(engine: Any) -> None:
    slot = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    outcomes, ran = claim_at_once(engine, "digest", slot)
    assert sorted(outcomes.values()) == [False, False, False, True] and len(ran) == 1
    with Session(engine) as session:
        [row] = session.exec(select(JobRunRow)).all()
    assert (row.worker, row.outcome, row.slot_time) == (ran[0], "ok", slot) and row.finished_at is not None


def test_two_schedulers_one_leader_then_handover(engine: Any, database_url: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    settings = make_settings(database_url, **FAST)
    calls: Counter[tuple[str, str]] = Counter()
    real = jobs.run_slot

    def counted(engine_: Any, job: str, slot: datetime, worker: str, fn: Any, clock: Any = jobs.SYSTEM_CLOCK) -> bool:
        calls[(worker, job)] += 1
        return real(engine_, job, slot, worker, fn, clock)

    monkeypatch.setattr(jobs, "run_slot", counted)
    url = engine.url.render_as_string(hide_password=False)
    engines = {name: make_engine(url) for name in "AB"}
    stops = {name: threading.Event() for name in "AB"}
    threads = {name: threading.Thread(target=sched.run_scheduler, args=(engines[name], settings, stops[name]),
                                      kwargs={"worker": name}, daemon=True) for name in "AB"}
    try:
        threads["A"].start()
        assert wait_until(lambda: any(r.worker == "A" for r in cycle_rows(engine)), timeout=10)
        threads["B"].start()
        time.sleep(2.5)
        assert not [k for k in calls if k[0] == "B"]  # the standby never even tries a slot
        assert {r.worker for r in cycle_rows(engine)} == {"A"} and len(cycle_rows(engine)) >= 2
        stops["A"].set()
        threads["A"].join(20)
        handed_over = time.monotonic()
        assert wait_until(lambda: any(r.worker == "B" for r in cycle_rows(engine)), timeout=10)
        assert time.monotonic() - handed_over < 5  # "within a few seconds"
        time.sleep(1.5)
    finally:
        for stop in stops.values():
            stop.set()
        for thread in threads.values():
            thread.join(20)
        for e in engines.values():
            e.dispose()
    rows = cycle_rows(engine)
    workers = [r.worker for r in rows]
    assert workers == sorted(workers)  # A's slots, then B's: never interleaved
    assert len({r.slot_time for r in rows}) == len(rows) and all(r.outcome == "ok" for r in rows)


def _spawn(database_url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "GOVERNANCE_DATABASE_URL": database_url, "GOVERNANCE_LOG_LEVEL": "WARNING",
           "GX_ANALYTICS_ENABLED": "false", **{f"GOVERNANCE_{k.upper()}": str(v) for k, v in FAST.items()}}
    return subprocess.Popen([sys.executable, "-m", "governance.worker.scheduler"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_killing_the_leader_lets_the_standby_take_over(engine: Any, database_url: str) -> None:
    leader = _spawn(database_url)
    standby: subprocess.Popen[bytes] | None = None

    def rows_of(proc: subprocess.Popen[bytes]) -> list[JobRunRow]:
        return [r for r in cycle_rows(engine) if f":{proc.pid}:" in r.worker]

    try:
        assert wait_until(lambda: bool(rows_of(leader)), timeout=20), "the first scheduler never led"
        standby = _spawn(database_url)
        time.sleep(3)  # long enough for the standby to start and try the lock many times
        assert standby.poll() is None and not rows_of(standby)
        leader.send_signal(signal.SIGKILL)
        leader.wait(10)
        killed_at = datetime.now(UTC)
        assert wait_until(lambda: bool(rows_of(standby)), timeout=10), "the standby never took over"  # type: ignore[arg-type]
        first = min(r.started_at for r in rows_of(standby))
        assert (first - killed_at).total_seconds() < 5  # "within a few seconds"
    finally:
        for proc in (leader, standby):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
    rows = cycle_rows(engine)
    assert len({r.slot_time for r in rows}) == len(rows)
    leader_rows = [r for r in rows if f":{leader.pid}:" in r.worker]
    assert max(r.slot_time for r in leader_rows) < min(r.slot_time for r in rows if r not in leader_rows)
    assert standby is not None and standby.returncode == 0  # SIGTERM: a clean stop


def test_the_lock_is_exclusive_and_released(engine: Any) -> None:
    first, second = leadership_for(engine, "one"), leadership_for(engine, "two")
    assert first.try_acquire() and first.still_held()
    assert not second.try_acquire()
    first.release()
    assert second.try_acquire()
    second.release()


def test_missed_runs_are_caught_up_once(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[float] = []

    def check_cycle_job(**_: Any) -> None:
        calls.append(time.monotonic())

    monkeypatch.setattr(jobs, "check_cycle_job", check_cycle_job)
    engine = make_engine(sqlite_url)
    upgrade(engine)
    scheduler = sched.build_scheduler(engine, make_settings(sqlite_url, **FAST), "A")
    scheduler.start(paused=True)
    try:
        job = scheduler.get_job("check_cycle_job")
        assert job.coalesce is True and job.misfire_grace_time == 1 + sched.GRACE_S
        time.sleep(2.3)  # the start-up run and two interval runs are missed
        scheduler.resume()
        time.sleep(0.5)
        assert len(calls) == 1
        time.sleep(1.2)
        assert 2 <= len(calls) <= 3  # then back to one run a second
    finally:
        scheduler.shutdown(wait=True)
        engine.dispose()
