"""A weekdays-only batch whose edges move by a few minutes, through ``check_cycle`` on a real database:
its end and its start are not silences or drops; stopping mid-day is a silence."""

from __future__ import annotations

from typing import Any

import numpy as np

from governance.worker.jobs import check_cycle
from tests.conftest import make_settings
from tests.quality.test_checks_db import EVENTS, alerts, at, engine, insert_counts, seed

__all__ = ["engine"]
DAY = 1440


def batch(days: int, rng: np.random.Generator) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """``Product Viewed`` at 10 a minute, 09:00-17:00 UTC on weekdays, each edge moved by up to 2 minutes."""
    counts = np.zeros((len(EVENTS), days * DAY), np.int64)
    edges = []
    for d in range(days):
        start, end = 540 + int(rng.integers(-2, 3)), 1020 + int(rng.integers(-2, 3))
        edges.append((start, end))
        if d % 7 < 5:
            counts[1, d * DAY + start : d * DAY + end] = rng.poisson(10.0, end - start)
    return counts, edges


def test_a_batch_that_stops_and_starts_a_few_minutes_off_is_neither_silent_nor_dropped(engine: Any,
                                                                                       database_url: str) -> None:
    ids = seed(engine)
    counts, _ = batch(30, np.random.default_rng(3))
    monday, tuesday = 28 * DAY, 29 * DAY
    counts[1, monday + 1018 : monday + 1030] = 0  # Monday: stops at 16:58, two minutes early
    counts[1, tuesday + 530 : tuesday + 542] = 0  # Tuesday: starts at 09:02
    counts[1, tuesday + 542 :] = 0
    counts[1, tuesday + 542 : tuesday + 780] = np.random.default_rng(4).poisson(10.0, 238)  # until 13:00
    insert_counts(engine, ids["web"], EVENTS, counts)
    settings = make_settings(database_url)
    for minute in [monday + 1020 + m for m in range(0, 50, 5)] + [tuesday + 538 + m for m in range(8)]:
        check_cycle(engine, settings, at(minute))
    assert not alerts(engine, event="Product Viewed")
    for m in range(10, 21):  # it stops at 13:00: silent within 20 minutes
        check_cycle(engine, settings, at(tuesday + 780 + m))
    fired = alerts(engine, event="Product Viewed", check_kind="silence")
    assert fired and fired[0].status == "firing"
