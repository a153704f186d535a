"""The hourly rollup: the detectors read the same inputs from it as from the minute counters, it is
kept up by the worker's cycle, takes in late counts, and an upgraded database gets it built (SQLite
and PostgreSQL)."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, insert, select, text

from governance.bench.cycle import detector_inputs, judged, same_inputs
from governance.db import make_engine, write_session, writer
from governance.migrations import upgrade
from governance.proxy.tables import EventCountRow
from governance.quality import rollup
from governance.quality.cycle import run_cycle
from governance.quality.tables import BackfillRow, HourlyCountRow
from governance.quality.teaching import mark_expected
from governance.worker import jobs
from governance.worker.tables import JobRunRow
from tests.conftest import make_settings
from tests.quality.test_checks_db import BASE, EVENTS, engine, insert_counts, seed

__all__ = ["engine"]  # the fixture, shared with the checks' tests
DAYS = 9
NOW = datetime.fromtimestamp((BASE + DAYS * 1440 + 37) * 60 + 5, UTC)  # 37 min into an hour
OTHER_ROWS = (("track", EVENTS[0], "deduplicated", 2), ("track", EVENTS[0], "blocked", 1),
              ("identify", "", "forwarded", 1), ("track", EVENTS[1], "rejected", 4))
HOURLY = HourlyCountRow.__table__  # type: ignore[attr-defined]
MINUTES = EventCountRow.__table__  # type: ignore[attr-defined]


def _traffic(engine: Any, source_id: str) -> None:
    """Nine days of three events (the third, at 120 an hour so no hour is quiet by chance, goes quiet
    for the last day), some duplicates (not traffic),
    blocked events (traffic), calls without a name, a day of backfill before, an expected period."""
    rng = np.random.default_rng(8)
    minutes = DAYS * 1440 + 37
    counts = rng.poisson(np.array([3.0, 0.6, 2.0])[:, None], (3, minutes))
    counts[2, -1440:] = 0
    insert_counts(engine, source_id, EVENTS, counts)
    extra = [{"minute": BASE + m, "source_id": source_id, "kind": kind, "event": event, "outcome": outcome,
              "planned": True, "count": n}
             for m in range(0, minutes, 7)
             for kind, event, outcome, n in OTHER_ROWS]
    extra.append({"minute": BASE + 100, "source_id": source_id, "kind": "track", "event": EVENTS[1],
                  "outcome": "forwarded", "planned": False, "count": 0})  # a zero row counts as live, not as seen
    with writer(engine).begin() as conn:
        conn.execute(insert(MINUTES), extra)
        first_hour = BASE // 60
        conn.execute(insert(BackfillRow.__table__), [  # type: ignore[attr-defined]
            {"source_id": source_id, "event": EVENTS[0], "hour": first_hour - 24 * (d + 1), "hours": 24,
             "count": 4000, "imported_at": NOW} for d in range(3)])
    with write_session(engine) as session:
        mark_expected(session, source_id=source_id, event=EVENTS[0], starts_at=NOW - timedelta(days=3, hours=5),
                      ends_at=NOW - timedelta(days=3), alert_id=None, note="campaign", actor="test", now=NOW)


def test_the_detectors_read_the_same_inputs_from_the_rollup_as_from_the_minutes(engine: Any, database_url: str) -> None:
    source_id = seed(engine)["web"]
    _traffic(engine, source_id)
    settings = make_settings(database_url)
    run_cycle(engine, settings, NOW)  # the default checks
    minutes, observed = detector_inputs(engine, source_id, NOW), judged(engine, settings, NOW)
    assert any(v is not None and not isinstance(v, np.ndarray) for v in minutes.values())  # last seen was read
    assert np.isfinite(minutes[(EVENTS[0], "history")]).sum() > 24 * (DAYS - 1)
    assert '"condition":true' in observed  # the quiet event is judged silent: the comparison can tell
    # the mark before, at and after "now": partly rolled up, rolled up to the closed hour, read at a past time
    for rolled_at in (NOW - timedelta(days=2, minutes=20), NOW, NOW + timedelta(days=1)):
        assert rollup.roll_up(engine, rolled_at)["hours"] > 0
        with engine.connect() as conn:
            assert rollup.mark(conn) == rollup.closed_through(rolled_at)
        assert same_inputs(minutes, detector_inputs(engine, source_id, NOW)), rolled_at
        assert judged(engine, settings, NOW) == observed, rolled_at


def test_roll_up_is_incremental_takes_in_late_counts_and_sums_traffic_only(engine: Any) -> None:
    source_id = seed(engine)["web"]
    _traffic(engine, source_id)
    first = rollup.roll_up(engine, NOW)
    assert first["hours"] == DAYS * 24  # from the first hour counted to the last closed one
    assert rollup.roll_up(engine, NOW + timedelta(minutes=10)) == {"hours": 0}  # no hour closed since
    last_closed = rollup.closed_through(NOW) - 1
    with writer(engine).begin() as conn:  # a count that reached the minutes after its hour was rolled up
        conn.execute(insert(MINUTES), [{"minute": last_closed * 60 + 59, "source_id": source_id, "kind": "track",
                                        "event": EVENTS[2], "outcome": "forwarded", "planned": True, "count": 5}])
    assert rollup.roll_up(engine, NOW + timedelta(hours=1))["hours"] == 2  # redoes the last hour rolled before
    with engine.connect() as conn:
        rolled = dict(conn.execute(select(HOURLY.c.event, func.sum(HOURLY.c.count)).group_by(HOURLY.c.event)).all())
        traffic = dict(conn.execute(
            select(MINUTES.c.event, func.sum(MINUTES.c.count))
            .where(MINUTES.c.outcome.not_in(["deduplicated", "rejected", "suppressed"]),
                   MINUTES.c.minute < (last_closed + 2) * 60).group_by(MINUTES.c.event)).all())
        late = conn.execute(select(HOURLY.c.count, HOURLY.c.last_minute).where(
            HOURLY.c.event == EVENTS[2], HOURLY.c.hour == last_closed)).one()
    assert rolled == traffic and late == (5, last_closed * 60 + 59)


def test_the_worker_rolls_up_before_a_full_cycle(engine: Any, database_url: str) -> None:
    source_id = seed(engine)["web"]
    _traffic(engine, source_id)
    settings = make_settings(database_url)

    class Clock:
        def now(self) -> datetime:
            return NOW

    jobs.check_cycle_job(engine, settings, "w1", Clock())  # type: ignore[arg-type]
    with engine.connect() as conn:
        assert rollup.mark(conn) == rollup.closed_through(NOW)
        run = conn.execute(select(JobRunRow.__table__.c.details).where(  # type: ignore[attr-defined]
            JobRunRow.__table__.c.job == "check_cycle")).scalar_one()  # type: ignore[attr-defined]
    assert '"rolled_up_hours":' + str(DAYS * 24) in run


def _fixture_copy(database_url: str, tmp_path: Path) -> str:
    from tests.test_migrations import FIXTURES, _load_into_postgres

    fixture = FIXTURES / "governance-0.1.0.db"
    if database_url.startswith("sqlite"):
        shutil.copy(fixture, tmp_path / "old.db")
        return f"sqlite:///{tmp_path / 'old.db'}"
    _load_into_postgres(fixture, database_url)
    return database_url


def test_an_upgraded_database_gets_its_rollup_built_from_its_minute_counters(database_url: str,
                                                                             tmp_path: Path) -> None:
    url = _fixture_copy(database_url, tmp_path)
    now_minute = int(datetime.now(UTC).timestamp() // 60)
    with sqlite3.connect(Path(__file__).parents[1] / "fixtures" / "governance-0.1.0.db") as old:
        (source_id,) = old.execute("SELECT source_id FROM event_counts LIMIT 1").fetchone()
    engine = make_engine(url)
    rows = [{"minute": m, "source_id": source_id, "kind": "track", "event": f"E{m % 3}",
             "outcome": "deduplicated" if m % 11 == 0 else "forwarded", "planned": True, "count": 1 + m % 4}
            for m in range(now_minute - 3 * 1440, now_minute + 1, 3)]  # three days, up to the open hour
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO event_counts (minute, source_id, kind, event, outcome, planned, count) "
                          "VALUES (:minute, :source_id, :kind, :event, :outcome, :planned, :count)"), rows)
    upgrade(engine)
    through = rollup.closed_through(datetime.now(UTC))
    with engine.connect() as conn:
        assert rollup.mark(conn) in (through, through - 1)  # the minute may have turned since the upgrade
        mark = rollup.mark(conn)
        assert mark is not None
        hour = (MINUTES.c.minute // 60).label("hour")
        expected = {(s, e, h): n for s, e, h, n in conn.execute(
            select(MINUTES.c.source_id, MINUTES.c.event, hour, func.sum(MINUTES.c.count))
            .where(MINUTES.c.outcome.not_in(["deduplicated", "rejected", "suppressed"]), MINUTES.c.minute < mark * 60)
            .group_by(MINUTES.c.source_id, MINUTES.c.event, hour))}
        got = {(s, e, h): n for s, e, h, n in conn.execute(
            select(HOURLY.c.source_id, HOURLY.c.event, HOURLY.c.hour, HOURLY.c.count))}
    assert len(expected) > 3 * 24 and got == expected
    engine.dispose()
