"""``governance quality backfill``: historical counts in, a baseline from the first cycle (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import orjson
import pytest
from sqlmodel import Session, select

from governance.db import make_engine
from governance.errors import InvalidBody, SourceNotFound
from governance.migrations import upgrade
from governance.quality.backfill import granularity_of, import_counts, parse_time, read_records
from governance.quality.cycle import run_cycle
from governance.quality.queries import SourceData
from governance.quality.tables import BackfillRow, CheckRow, CheckRunRow
from tests.conftest import make_settings
from tests.quality.test_checks_db import insert_counts, seed

NOW = datetime(2024, 4, 1, 10, 20, 5, tzinfo=UTC)  # a Monday morning
SHAPE = np.array([2, 1, 1, 1, 2, 4, 8, 12, 15, 16, 16, 15, 14, 15, 16, 15, 14, 12, 10, 8, 6, 5, 4, 3]) * 50


@pytest.fixture
def engine(database_url: str) -> Any:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _hourly_csv(days: int, *, source: str = "web", event: str = "Order Completed", now: datetime = NOW) -> bytes:
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(days=days, hours=now.hour)
    lines = ["date_hour,source_name,event_name,events"]
    rng = np.random.default_rng(1)
    for h in range(days * 24):
        moment = start + timedelta(hours=h)
        lines.append(f"{moment:%Y-%m-%d %H:%M:%S},{source},{event},{rng.poisson(SHAPE[moment.hour])}")
    return ("\n".join(lines) + "\n").encode()


def test_a_backfilled_event_is_judged_from_the_first_cycle(engine: Any, database_url: str) -> None:
    ids = seed(engine, sources=("web", "ios"))
    summary = import_counts(engine, io.BytesIO(_hourly_csv(28)), now=NOW)
    assert summary.granularity == "hour" and summary.stored == 28 * 24 and summary.sources == {"web": 28 * 24}
    # the proxy starts counting both sources 70 minutes before now; only "web" has history
    live = np.random.default_rng(2).poisson(SHAPE[9] / 60, (1, 70))
    minute = int(NOW.timestamp() // 60)
    for source in ("web", "ios"):
        insert_counts(engine, ids[source], ["Order Completed"], live, base=minute - 70)
    run_cycle(engine, make_settings(database_url), NOW)
    with Session(engine) as session:
        checks = {(c.source_id, c.kind): c.id for c in session.exec(select(CheckRow)).all()
                  if c.event == "Order Completed"}
        outcome = {key: session.exec(select(CheckRunRow).where(CheckRunRow.check_id == cid)).one().outcome
                   for key, cid in checks.items()}
    assert outcome[(ids["web"], "volume")] == "ok" and outcome[(ids["web"], "silence")] == "ok"
    assert outcome[(ids["ios"], "volume")] == "learning" and outcome[(ids["ios"], "silence")] == "learning"
    data = SourceData(engine, ids["web"], NOW)
    history = data.history("Order Completed")
    # 28 backfilled days up to today 00:00, nothing 00:00-09:00 (unknown, not zero), live from 09:10
    # the first hour an event arrived in counts as partial (unknown), backfilled or not
    assert np.isnan(history[-10 - 28 * 24]) and np.isfinite(history[-9 - 28 * 24 : -10]).all()
    assert np.isnan(history[-10:-1]).all() and history[-1] > 0


def test_reimport_replaces_and_old_or_future_rows_are_skipped(engine: Any) -> None:
    seed(engine)
    text = b"time,source,event,count\n2024-03-31T08:00:00Z,web,A Happened,5\n2024-03-31T08:30:00Z,web,A Happened,2\n" \
           b"2024-01-01T00:00:00Z,web,A Happened,9\n2024-04-01T10:00:00Z,web,A Happened,1\n"
    first = import_counts(engine, io.BytesIO(text), now=NOW)
    assert first.stored == 1 and first.skipped == {"older than the 38 days the checks read": 1,
                                                   "not complete yet, or in the future": 1}
    import_counts(engine, io.BytesIO(text.replace(b",5\n", b",50\n")), now=NOW)
    with Session(engine) as session:
        [row] = session.exec(select(BackfillRow)).all()
    assert (row.count, row.hours) == (52, 1)  # 50 + 2 in the same hour, replacing the 7 of the first import


def test_segment_event_volume_json_by_day_feeds_the_decline_check(engine: Any) -> None:
    ids = seed(engine)
    days = [NOW.date() - timedelta(days=d) for d in range(30, 0, -1)]
    body = {"data": {"path": "/events/volume", "query": {"granularity": "DAY"}, "result": [
        {"source": {"id": "segment-src-1", "name": "Web"}, "eventName": "Order Completed", "eventType": "track",
         "total": 0, "series": [{"time": f"{d}T00:00:00Z", "count": 4800} for d in days]},
        {"source": {"id": "segment-src-1"}, "eventType": "identify", "total": 0,
         "series": [{"time": f"{d}T00:00:00Z", "count": 99} for d in days]}]}}
    with pytest.raises(SourceNotFound, match="'Web'"):
        import_counts(engine, io.BytesIO(orjson.dumps(body)), now=NOW)
    summary = import_counts(engine, io.BytesIO(orjson.dumps(body)), now=NOW, source="web")
    assert summary.granularity == "day" and summary.stored == 30 and summary.skipped == {"not a track event": 30}
    data = SourceData(engine, ids["web"], NOW)
    coarse, fine = data.history("Order Completed", coarse=True), data.history("Order Completed")
    assert np.nansum(coarse) == 4800 * 30 - 200  # spread evenly over the hours (the first, partial, unknown)
    assert np.isnan(fine).all()  # no hourly shape to spread by: volume and silence wait


def test_bad_rows_name_their_line() -> None:
    with pytest.raises(InvalidBody, match="line 3: count must be a whole number"):
        read_records(io.BytesIO(b"hour,event,count\n2024-03-01T00:00:00Z,A,1\n2024-03-01T01:00:00Z,A,-4\n"))
    with pytest.raises(InvalidBody, match="line 2: no count column"):
        read_records(io.BytesIO(b'{"event": "A", "hour": "2024-03-01T00:00:00Z", "count": 1}\n{"event": "A"}\n'))
    records, _ = read_records(io.BytesIO(b'{"event_name": "A", "timestamp": 1709251200, "total": 3}\n'))
    assert records[0].moment == datetime(2024, 3, 1, tzinfo=UTC) and records[0].count == 3
    assert parse_time("2024-03-01") == parse_time("2024-03-01T00:00:00+00:00")
    assert granularity_of(records) == "day"


def test_the_cli_reports_a_dry_run_and_refuses_a_missing_source(tmp_path: Any, sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    seed(engine)
    engine.dispose()
    path = tmp_path / "volume.csv"
    path.write_bytes(_hourly_csv(3, now=datetime.now(UTC)))  # the CLI reads the real clock
    env = {"GOVERNANCE_DATABASE_URL": sqlite_url, "PATH": "/usr/bin:/bin"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "governance", "quality", "backfill", *args], capture_output=True,
                              text=True, timeout=120, env=env)

    done = cli(str(path), "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["stored"] == 72 and json.loads(done.stdout)["dry_run"] is True
    missing = cli(str(path), "--source", "nope", "--json")
    assert missing.returncode == 2 and json.loads(missing.stderr)["error"]["code"] == "source_not_found"
