"""A volume check stores what each run measured (the console charts it): every window's observed
count against its expected band, on both backends."""

from __future__ import annotations

from typing import Any

import orjson
from sqlmodel import Session, select

from governance.bench.synthetic import generate_traffic
from governance.quality.tables import CheckRow
from governance.worker.jobs import check_cycle
from tests.conftest import make_settings
from tests.quality.test_checks_db import EVENTS, at, engine, insert_counts, runs, seed

__all__ = ["engine"]  # the fixture, imported for this module


def test_each_volume_run_stores_its_observed_count_and_expected_band(engine: Any, database_url: str) -> None:
    ids = seed(engine)
    traffic = generate_traffic(events=3, days=14, seed=11, min_rate=3000, max_rate=6000, anomaly_rates={},
                               keep_rate=False)
    drop = 13 * 1440 + 600
    traffic.counts[0, drop : drop + 120] = 0  # Order Completed stops for two hours
    insert_counts(engine, ids["web"], EVENTS, traffic.counts)
    settings = make_settings(database_url)
    normal, dropped = drop - 30, drop + 65
    for minute in (normal, dropped):
        check_cycle(engine, settings, at(minute))
    with Session(engine) as session:
        volume = session.exec(select(CheckRow).where(CheckRow.kind == "volume",
                                                     CheckRow.event == "Order Completed")).one()
    before, during = (orjson.loads(r.result)["volume"] for r in runs(engine, volume.id))
    for measured, minute in ((before, normal), (during, dropped)):
        minutes = [w["window_minutes"] for w in measured["windows"]]
        assert minutes == sorted(minutes) and len(minutes) > 1
        top = measured["windows"][-1]
        assert {k: measured[k] for k in top} == top  # the longest window on top
        window = top["window_minutes"]
        assert top["observed"] == float(traffic.counts[0, minute - window : minute].sum())
        assert 0 <= top["low"] <= top["expected"] <= top["high"]
    assert before["low"] <= before["observed"] <= before["high"]  # an ordinary hour sits in its band
    assert during["observed"] == 0 < during["low"]  # the drop is below it
