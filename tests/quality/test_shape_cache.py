"""The hour shapes' minute read is done once an hour per source: every later cycle of the hour (full
or fast) reuses it, and what the detectors get equals an uncached read, one row at a time, after new
counts arrive (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from governance.clock import epoch_minute
from governance.proxy.counters import NOT_TRAFFIC
from governance.proxy.tables import EventCountRow
from governance.quality.baseline.shape import SAMPLES, sample_hours
from governance.quality.cycle import run_cycle
from governance.quality.queries import SHAPED_HOURS, TOTAL, SourceData, forget
from tests.conftest import make_settings
from tests.quality.test_checks_db import EVENTS, engine, insert_counts, seed
from tests.quality.test_rollup import NOW, _traffic

__all__ = ["engine"]  # the fixture, shared with the checks' tests
T = EventCountRow.__table__  # type: ignore[attr-defined]


def _shape_reads(engine: Any, work: Any) -> int:
    """How many minute reads of the shapes' sample hours ``work()`` issues (one range per sample hour)."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "event_counts" in statement and statement.count(" OR ") >= 10:
            seen.append(statement)

    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        work()
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def _row_by_row(engine: Any, source_id: str, hour: int) -> dict[str, np.ndarray]:
    """The sample hours' minute counts read plainly: every traffic row of the source, one at a time."""
    out: dict[str, np.ndarray] = {TOTAL: np.zeros((SHAPED_HOURS, SAMPLES, 60), np.int64)}
    query = select(T.c.event, T.c.minute, T.c.count).where(T.c.source_id == source_id,
                                                           T.c.outcome.not_in(NOT_TRAFFIC))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    for name, minute, n in rows:
        for i, h in enumerate((hour - 2, hour - 1, hour)):
            for j, sample in enumerate(sample_hours(h)):
                if minute // 60 == sample:
                    out.setdefault(name, np.zeros((SHAPED_HOURS, SAMPLES, 60), np.int64))[i, j, minute % 60] += n
                    if name != TOTAL:
                        out[TOTAL][i, j, minute % 60] += n
    return out


def test_the_hour_shapes_are_read_once_an_hour_and_equal_an_uncached_read(engine: Any, database_url: str) -> None:
    source_id = seed(engine)["web"]
    _traffic(engine, source_id)
    settings = make_settings(database_url)
    forget(engine, source_id)
    assert _shape_reads(engine, lambda: run_cycle(engine, settings, NOW)) == 1  # the hour's first cycle reads
    later = NOW + timedelta(minutes=5)
    assert later.hour == NOW.hour
    # new counts arrive in the current hour, one event new to the source
    now_minute = epoch_minute(NOW)
    fresh = np.zeros((len(EVENTS) + 1, 3), np.int64)
    fresh[:, :] = 7
    insert_counts(engine, source_id, [*EVENTS, "Brand New"], fresh, base=now_minute)
    assert _shape_reads(engine, lambda: run_cycle(engine, settings, later)) == 0  # a full cycle of the hour
    assert _shape_reads(engine, lambda: run_cycle(engine, settings, later, fast=True)) == 0
    cached = SourceData(engine, source_id, later)
    expected = _row_by_row(engine, source_id, epoch_minute(later) // 60)
    forget(engine, source_id)
    uncached = SourceData(engine, source_id, later)
    assert _shape_reads(engine, lambda: uncached.shapes(TOTAL)) == 1
    empty = np.zeros((SHAPED_HOURS, SAMPLES, 60), np.int64)
    for name in [TOTAL, *EVENTS, "Brand New"]:
        assert np.array_equal(cached._shape_minutes().get(name, empty), expected.get(name, empty)), name
        assert np.array_equal(uncached._shape_minutes().get(name, empty), expected.get(name, empty)), name
        assert np.array_equal(cached.shapes(name), uncached.shapes(name), equal_nan=True), name
    assert set(cached._shape_minutes()) == set(expected)  # the calls without a name ("identify") included
    assert expected[EVENTS[0]].sum() > 0 and expected[TOTAL].sum() > expected[EVENTS[0]].sum()
    next_hour = NOW + timedelta(minutes=30)  # 37 + 30: the next hour reads its own
    assert _shape_reads(engine, lambda: run_cycle(engine, settings, next_hour)) == 1


def test_recent_reads_the_longest_window_asked_once_a_cycle(engine: Any) -> None:
    source_id = seed(engine)["web"]
    now_minute = epoch_minute(NOW)
    counts = np.arange(1, 3 * 150 + 1, dtype=np.int64).reshape(3, 150)  # every minute its own count
    insert_counts(engine, source_id, EVENTS, counts, base=now_minute - 150)
    data = SourceData(engine, source_id, NOW)
    assert np.array_equal(data.recent(EVENTS[0]), counts[0, -60:])  # the default: the last 60 minutes
    assert np.array_equal(data.recent(EVENTS[1], 120), counts[1, -120:])  # a 120-minute window's
    assert np.array_equal(data.recent(TOTAL, 120), counts.sum(0)[-120:])
    assert np.array_equal(data.recent(EVENTS[2], 30), counts[2, -30:])  # shorter: the same read, its tail
    assert np.array_equal(data.recent("Never Sent", 120), np.zeros(120, np.int64))
    with pytest.raises(ValueError, match=r"1\.\.120 minutes"):
        data.recent(EVENTS[0], 121)
