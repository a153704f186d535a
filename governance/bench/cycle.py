"""What one full check cycle costs on a real database holding weeks of the proxy's minute counters.

``cycle_bench(events, days)`` makes a real SQLite file (or uses an empty database at ``url``, e.g.
PostgreSQL), publishes a plan of ``events`` events, stores ``days`` days of per-minute counts as the
proxy writes them (``event_counts``: every minute of every event, a daily curve drawn with the
database's random numbers, and minutes of duplicates that are not traffic), and times a full
``run_cycle`` (every default check, nothing reused):

    minutes_cycle_s   the hourly history read from the minute counters (no rollup yet: how every
                      cycle ran before ``event_counts_hourly``)
    rollup_build_s    rolling every closed hour up (what revision 0008 does on upgrade)
    rollup_hour_s     rolling one more closed hour up (what the worker does once an hour)
    rollup_cycle_s    the same cycle reading closed hours from the rollup, the current hour's minutes
    identical         the detectors' inputs (every event's hourly history, known hours, last-seen
                      minute, hour shapes) and every check's observations are the same both ways

The first cycle of each kind also syncs the default checks; each figure is the best of ``repeat``.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

DUPLICATES = 0.05  # share of the minutes that also count ``deduplicated`` events (not traffic)


_SQLITE = """
WITH RECURSIVE m(x) AS (SELECT :start UNION ALL SELECT x + 1 FROM m WHERE x + 1 < :end),
               e(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM e WHERE i + 1 < :events)
INSERT INTO event_counts (minute, source_id, kind, event, outcome, planned, count)
SELECT x, :source, 'track', printf('Event %03d', i), :outcome, 1, 1 + abs(random()) % (1 + (x % 1440) / 240 + i % 4)
FROM m, e WHERE abs(random()) % 1000 < :share"""
_POSTGRES = """
INSERT INTO event_counts (minute, source_id, kind, event, outcome, planned, count)
SELECT x, :source, 'track', 'Event ' || lpad(i::text, 3, '0'), :outcome, true,
       1 + floor(random() * (1 + (x % 1440) / 240 + i % 4))::int
FROM generate_series(:start, :end - 1) AS x, generate_series(0, :events - 1) AS i
WHERE random() * 1000 < :share"""


def _store(engine: Any, source_id: str, events: int, days: int, end_minute: int) -> None:
    """Every minute of ``days`` for each event as ``forwarded`` (a busy day curve, by the database's own
    random numbers: millions of rows in seconds), and ``DUPLICATES`` of those minutes ``deduplicated``."""
    from sqlalchemy import text

    sql = _POSTGRES if engine.dialect.name == "postgresql" else _SQLITE
    with engine.begin() as conn:
        for outcome, share in (("forwarded", 1000), ("deduplicated", int(DUPLICATES * 1000))):
            conn.execute(text(sql), {"start": end_minute - days * 1440, "end": end_minute, "events": events,
                                     "source": source_id, "outcome": outcome, "share": share})


def _setup(url: str, events: int) -> tuple[Any, str]:
    from governance.db import make_engine, write_session
    from governance.migrations import upgrade
    from governance.plan.model import Plan
    from governance.registry.plans import create_plan, publish
    from governance.registry.sources import create_source

    engine = make_engine(url)
    upgrade(engine)
    body = {"name": "cycle", "events": {f"Event {e:03d}": {"description": "benched"} for e in range(events)}}
    with write_session(engine) as session:
        create_plan(session, plan=Plan.model_validate(body), actor="bench")
        publish(session, ref="cycle", actor="bench")
        source = create_source(session, fields={"name": "cycle", "plan": "cycle"}, actor="bench")[0]
    return engine, source.id


def _best(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def timed_cycles(url: str, events: int, days: int, *, now: datetime,
                 repeat: int = 2) -> tuple[Any, str, dict[str, Any]]:
    """Store the counters at ``url`` and time full cycles over them as the code base reads them now."""
    from sqlalchemy import func, select

    from governance.proxy.tables import EventCountRow
    from governance.quality.cycle import run_cycle
    from governance.settings import Settings

    engine, source_id = _setup(url, events)
    started = time.perf_counter()
    _store(engine, source_id, events, days, int(now.timestamp() // 60))
    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(EventCountRow.__table__)).scalar()  # type: ignore[attr-defined]
    out: dict[str, Any] = {"events": events, "days": days, "minute_rows": rows,
                           "store_s": round(time.perf_counter() - started, 1)}
    settings = Settings(database_url=url, run_worker=False)
    run_cycle(engine, settings, now)  # syncs the default checks
    out["minutes_cycle_s"] = round(_best(lambda: run_cycle(engine, settings, now), repeat), 3)
    return engine, source_id, out


def detector_inputs(engine: Any, source_id: str, now: datetime) -> dict[tuple[str, str], Any]:
    """What the detectors read about every event of the source at ``now`` (a fresh read, nothing reused)."""
    from sqlalchemy import select

    from governance.proxy.tables import EventCountRow
    from governance.quality.queries import SourceData, forget

    t = EventCountRow.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        events = sorted(conn.execute(select(t.c.event).distinct().where(t.c.source_id == source_id)).scalars())
    forget(engine, source_id)
    data = SourceData(engine, source_id, now)
    out: dict[tuple[str, str], Any] = {("", "first_hour"): data.first_hour}
    for event in ["", *events]:
        out[(event, "hourly")] = data.hourly(event)
        out[(event, "history")] = data.history(event)
        out[(event, "history_coarse")] = data.history(event, coarse=True)
        out[(event, "shapes")] = data.shapes(event)
        out[(event, "recent")] = data.recent(event)
        out[(event, "since_seen")] = data.minutes_since_seen(event)
    return out


def same_inputs(a: dict[tuple[str, str], Any], b: dict[tuple[str, str], Any]) -> bool:
    """Equal keys and values (arrays equal element by element, ``NaN`` equal to ``NaN``)."""
    if a.keys() != b.keys():
        return False
    for key, value in a.items():
        if isinstance(value, np.ndarray):
            if not np.array_equal(value, b[key], equal_nan=value.dtype.kind == "f"):
                return False
        elif value != b[key]:
            return False
    return True


def judged(engine: Any, settings: Any, now: datetime) -> str:
    """Every enabled check's observations at ``now``, evaluated afresh and serialised (nothing recorded)."""
    import orjson
    from sqlmodel import Session, select

    from governance.quality.cycle import _entry, evaluate
    from governance.quality.queries import SourceData
    from governance.quality.sync import load_sources
    from governance.quality.tables import CheckRow

    with Session(engine) as session:
        sources = load_sources(session)
        checks = list(session.exec(select(CheckRow).where(CheckRow.enabled == True).order_by(CheckRow.id)))  # noqa: E712
    data: dict[str, SourceData] = {}
    results = [evaluate(engine, c, sources.get(c.source_id), data, now) for c in checks]
    entries = [(r.check.id, r.error, [_entry(o, None) | {"result": o.result} for o in r.observations])
               for r in results]
    return orjson.dumps(entries, default=str, option=orjson.OPT_SERIALIZE_NUMPY).decode()


def cycle_bench(events: int = 12, days: int = 35, *, url: str | None = None, directory: str | None = None,
                repeat: int = 2) -> dict[str, Any]:
    """Full-cycle timings over the minute counters and over the hourly rollup (see the module doc)."""
    from governance.quality import rollup
    from governance.quality.cycle import run_cycle
    from governance.settings import Settings

    now = datetime.fromtimestamp((int(time.time()) // 3600) * 3600 + 37 * 60 + 5, UTC)  # 37 min into the hour
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        target = url or f"sqlite:///{Path(tmp) / 'cycle.db'}"
        engine, source_id, out = timed_cycles(target, events, days, now=now, repeat=repeat)
        out["database"] = engine.dialect.name
        settings = Settings(database_url=target, run_worker=False)
        before, observed_before = detector_inputs(engine, source_id, now), judged(engine, settings, now)
        started = time.perf_counter()
        rollup.roll_up(engine, datetime.fromtimestamp(now.timestamp() - 3600, UTC))
        out["rollup_build_s"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        rollup.roll_up(engine, now)
        out["rollup_hour_s"] = round(time.perf_counter() - started, 3)
        out["rollup_rows"] = rollup.row_count(engine)
        out["rollup_cycle_s"] = round(_best(lambda: run_cycle(engine, settings, now), repeat), 3)
        after, observed_after = detector_inputs(engine, source_id, now), judged(engine, settings, now)
        out["identical"] = same_inputs(before, after) and observed_before == observed_after
        out["speedup"] = round(out["minutes_cycle_s"] / max(out["rollup_cycle_s"], 1e-9), 1)
        engine.dispose()
    return out
