"""Two cadences aligned to the clock: every check once per ``scheduler_interval_s``, the fast kinds
(new_unplanned, violation_rate, silence) every ``scheduler_fast_interval_s`` in between."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

import governance.worker.jobs as jobs
import governance.worker.scheduler as sched
from governance.clock import ManualClock
from governance.db import make_engine
from governance.migrations import upgrade
from governance.quality.tables import CheckRow, CheckRunRow
from governance.settings import Settings
from governance.worker.tables import JobRunRow
from tests.conftest import make_settings
from tests.quality.test_checks_db import seed


@pytest.fixture
def engine(database_url: str) -> Any:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def test_full_cycles_on_the_interval_fast_kinds_in_between(engine: Any, database_url: str) -> None:
    seed(engine)
    settings = make_settings(database_url)  # the defaults: 300 s and 15 s
    clock = ManualClock(datetime(2026, 3, 2, 10, 0, 7, tzinfo=UTC))  # started 7 s into a slot
    for _ in range(21):  # 10:00:07 .. 10:05:07, one tick every 15 s
        jobs.check_cycle_job(engine, settings, "w", clock)
        clock.advance(15)
    with Session(engine) as session:
        slots = [(r.job, r.slot_time.strftime("%H:%M:%S")) for r in session.exec(select(JobRunRow)
                 .order_by(JobRunRow.slot_time)).all()]
        kinds = {c.id: c.kind for c in session.exec(select(CheckRow)).all()}
        ran: dict[str, int] = {}
        for run in session.exec(select(CheckRunRow)).all():
            ran[kinds[run.check_id]] = ran.get(kinds[run.check_id], 0) + 1
    assert slots[0] == ("check_cycle", "10:00:00") and slots[-1] == ("check_cycle", "10:05:00")
    assert [s for s in slots[1:-1] if s[0] == "check_cycle"] == []
    assert [t for _, t in slots[1:-1]] == [f"10:0{m}:{s:02d}" for m in range(5) for s in (0, 15, 30, 45)][1:]
    per_event = {k: n // 3 for k, n in ran.items() if k != "new_unplanned"}  # three planned events
    assert per_event == {"volume": 2, "decline": 2, "violation_rate": 21, "silence": 21}
    assert ran["new_unplanned"] == 21


def test_the_job_fires_on_clock_boundaries_whenever_the_worker_started(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    scheduler = sched.build_scheduler(engine, make_settings(sqlite_url), "A")
    job = scheduler.get_job("check_cycle_job")
    started = datetime(2026, 3, 2, 10, 0, 7, 300_000, tzinfo=UTC)
    fires = [job.trigger.get_next_fire_time(None, started)]
    for _ in range(3):
        fires.append(job.trigger.get_next_fire_time(fires[-1], fires[-1] + timedelta(microseconds=1)))
    assert [f.strftime("%H:%M:%S.%f") for f in fires] == ["10:00:15.000000", "10:00:30.000000", "10:00:45.000000",
                                                          "10:01:00.000000"]
    engine.dispose()


def test_the_fast_cadence_divides_the_full_one() -> None:
    assert Settings(scheduler_interval_s=2).fast_interval_s == 2  # tests that run everything every 2 s
    with pytest.raises(ValueError, match="must divide"):
        Settings(scheduler_interval_s=100)
