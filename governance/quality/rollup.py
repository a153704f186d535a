"""The hourly rollup of the proxy's minute counters: what the checks read for complete hours.

``event_counts_hourly`` holds, per (source, event, epoch hour), the traffic the proxy counted
(``event_counts`` rows of every outcome but ``NOT_TRAFFIC``, summed over the hour's minutes and over
kind and planned) and the hour's last minute with any (``last_minute``). ``rollup_marks`` holds how
far it goes: every hour before ``through_hour`` is rolled up; later hours are read from the minutes.

    maintained by   ``roll_up(engine, now)``: the worker's full check cycle, before it reads (a no-op
                    until another hour has closed); revision 0008 builds it from the minute rows of
                    an upgraded database
    closes          an hour is rolled up ``GRACE_MINUTES`` after it ended (a commit that read the
                    clock just before the hour turned has landed by then); each roll-up also redoes
                    the last hour it rolled before, so a count that came later still than that is
                    taken in an hour later
    kept            as long as the minute counters it sums (neither is pruned); ``roll_up`` rebuilds
                    the hours it covers from the minutes, so the two never disagree for long

``hourly_counts`` and ``last_seen`` give the checks exactly what the minute counters would:
the rollup for hours before the mark, the minutes after it (``tests/quality/test_rollup.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, Engine, case, delete, func, insert, select, update

from governance.clock import epoch_minute
from governance.db import writer
from governance.proxy.counters import NOT_TRAFFIC
from governance.proxy.tables import EventCountRow
from governance.quality.tables import HourlyCountRow, RollupMarkRow

GRACE_MINUTES = 5
MARK = "event_counts_hourly"
CHUNK_HOURS = 24  # hours rolled up per write transaction (SQLite: the proxy's writes wait meanwhile)
IntArray = NDArray[np.int64]
TOTAL = ""

_minutes = EventCountRow.__table__  # type: ignore[attr-defined]
_hours = HourlyCountRow.__table__  # type: ignore[attr-defined]
_marks = RollupMarkRow.__table__  # type: ignore[attr-defined]


def _traffic(source_id: str | None = None) -> Any:
    where = _minutes.c.outcome.not_in(NOT_TRAFFIC)
    return where if source_id is None else where & (_minutes.c.source_id == source_id)


def closed_through(now: datetime) -> int:
    """The first epoch hour not yet closed at ``now`` (every earlier hour may be rolled up)."""
    return (epoch_minute(now) - GRACE_MINUTES) // 60


def mark(conn: Connection) -> int | None:
    """The first hour not rolled up (``None``: nothing is; every hour is read from the minutes)."""
    return conn.execute(select(_marks.c.through_hour).where(_marks.c.name == MARK)).scalar()


def _roll(conn: Connection, start: int, end: int) -> None:
    """Rebuild the rollup of hours ``[start, end)`` from the minute counters."""
    hour = (_minutes.c.minute // 60).label("hour")
    last = func.max(case((_minutes.c.count > 0, _minutes.c.minute))).label("last_minute")
    summed = (select(_minutes.c.source_id, _minutes.c.event, hour, func.sum(_minutes.c.count), last)
              .where(_traffic(), _minutes.c.minute >= start * 60, _minutes.c.minute < end * 60)
              .group_by(_minutes.c.source_id, _minutes.c.event, hour))
    conn.execute(delete(_hours).where(_hours.c.hour >= start, _hours.c.hour < end))
    columns = ["source_id", "event", "hour", "count", "last_minute"]
    conn.execute(insert(_hours).from_select(columns, summed))


def roll_up(engine: Engine, now: datetime) -> dict[str, int]:
    """Roll up every hour closed at ``now`` not yet rolled up (and redo the last one rolled before);
    ``{"hours": hours rolled}``."""
    target = closed_through(now)
    with engine.connect() as conn:
        through = mark(conn)
        first = conn.execute(select(func.min(_minutes.c.minute))).scalar() if through is None else None
    if through is not None and through >= target:
        return {"hours": 0}
    start = (through - 1) if through is not None else (target if first is None else min(first // 60, target))
    for lo in range(start, max(target, start + 1), CHUNK_HOURS):
        hi = min(lo + CHUNK_HOURS, target)
        with writer(engine).begin() as conn:
            if hi > lo:
                _roll(conn, lo, hi)
            _set_mark(conn, max(hi, lo), now)
    return {"hours": max(target - start, 0)}


def _set_mark(conn: Connection, through: int, now: datetime) -> None:
    done = conn.execute(update(_marks).where(_marks.c.name == MARK)
                        .values(through_hour=through, updated_at=now)).rowcount
    if not done:
        conn.execute(insert(_marks).values(name=MARK, through_hour=through, updated_at=now))


def hourly_counts(engine: Engine, source_id: str, start: int, end: int) -> tuple[dict[str, IntArray], int | None]:
    """Traffic per event (``""``: the source) over epoch hours ``[start, end)``, and the first hour
    with any count: the rollup before its mark, the minute counters from it."""
    size = end - start
    series: dict[str, IntArray] = {TOTAL: np.zeros(size, np.int64)}
    live_start: int | None = None
    with engine.connect() as conn:
        through = mark(conn)
        split = start if through is None else min(max(through, start), end)
        queries = []
        if split > start:
            queries.append(select(_hours.c.event, _hours.c.hour, _hours.c.count).where(
                _hours.c.source_id == source_id, _hours.c.hour >= start, _hours.c.hour < split))
        if end > split:
            hour = (_minutes.c.minute // 60).label("h")
            queries.append(select(_minutes.c.event, hour, func.sum(_minutes.c.count))
                           .where(_traffic(source_id), _minutes.c.minute >= split * 60, _minutes.c.minute < end * 60)
                           .group_by(_minutes.c.event, hour))
        rows = [row for query in queries for row in conn.execute(query).all()]
    if not rows:
        return series, live_start
    names, hours, counts = zip(*rows, strict=True)  # decoded by numpy: 200 events x 38 days is 180,000 rows
    codes: dict[str, int] = {}
    index = np.fromiter((codes.setdefault(n, len(codes)) for n in names), np.int64, len(names))
    at = np.asarray(hours, np.int64) - start
    grid = np.zeros((len(codes), size), np.int64)
    np.add.at(grid, (index, at), np.asarray(counts, np.int64))
    series.update({name: grid[k] for name, k in codes.items() if name != TOTAL})
    series[TOTAL] = grid.sum(axis=0)  # calls without an event name count for the source, as every event does
    return series, int(at.min()) + start


def last_seen(engine: Engine, source_id: str, since: int, until: int) -> dict[str, int]:
    """The last minute in ``[since, until)`` each event had traffic in (``""`` excluded)."""
    seen: dict[str, int] = {}
    with engine.connect() as conn:
        through = mark(conn)
        split = since // 60 if through is None else min(through, until // 60)  # whole hours before ``until``
        queries = []
        if split > since // 60:
            queries.append(select(_hours.c.event, func.max(_hours.c.last_minute))
                           .where(_hours.c.source_id == source_id, _hours.c.hour >= since // 60,
                                  _hours.c.hour < split, _hours.c.last_minute >= since)
                           .group_by(_hours.c.event))
        lo = max(since, split * 60)
        if until > lo:
            queries.append(select(_minutes.c.event, func.max(_minutes.c.minute))
                           .where(_traffic(source_id), _minutes.c.count > 0, _minutes.c.minute >= lo,
                                  _minutes.c.minute < until)
                           .group_by(_minutes.c.event))
        for query in queries:
            for event, m in conn.execute(query):
                if event != TOTAL and m is not None:
                    seen[event] = max(seen.get(event, -1), int(m))
    return seen


def row_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(_hours)).scalar() or 0)
