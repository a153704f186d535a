"""Time a check cycle and its reads on a database kept between runs (to compare two versions of the code).

    python scripts/cycle_parts.py URL setup EVENTS   # store EVENTS x 35 days of minute counters, roll them up
    python scripts/cycle_parts.py URL time EVENTS    # four cycles (full, full, fast, full) and SourceData's reads

``setup`` writes the evaluation time next to this file's working directory (``cycle_parts.now``), so
``time`` runs at the same minute (37 minutes into the hour) however often it is repeated. The counters
are those of ``governance bench cycle`` (``bench.cycle._store``); unlike it, the database stays, so
the code under test can change between two ``time`` runs. Prints seconds; never fails on a figure.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

NOW_FILE = Path("cycle_parts.now")


def setup(url: str, events: int) -> None:
    from governance.bench.cycle import _setup, _store
    from governance.quality import rollup

    now = datetime.fromtimestamp((int(time.time()) // 3600) * 3600 + 37 * 60 + 5, UTC)
    NOW_FILE.write_text(str(now.timestamp()))
    engine, source_id = _setup(url, events)
    started = time.perf_counter()
    _store(engine, source_id, events, 35, int(now.timestamp() // 60))
    print("store_s", round(time.perf_counter() - started, 1))
    started = time.perf_counter()
    rollup.roll_up(engine, now)
    print("rollup_s", round(time.perf_counter() - started, 1))
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def timed(url: str) -> None:
    from governance.db import make_engine
    from governance.quality import queries
    from governance.quality.cycle import run_cycle
    from governance.settings import Settings

    now = datetime.fromtimestamp(float(NOW_FILE.read_text()), UTC)
    engine = make_engine(url)
    settings = Settings(database_url=url, run_worker=False)
    with engine.connect() as conn:
        source_id = conn.execute(text("SELECT id FROM sources LIMIT 1")).scalar()
    started = time.perf_counter()
    run_cycle(engine, settings, now)
    print("first cycle_s", round(time.perf_counter() - started, 3), flush=True)
    for label, fast in (("full", False), ("full", False), ("fast", True), ("full", False)):
        started = time.perf_counter()
        run_cycle(engine, settings, now, fast=fast)
        print(label, "cycle_s", round(time.perf_counter() - started, 3), flush=True)
    queries._REUSED.clear()
    data = queries.SourceData(engine, source_id, now)
    for name, read in (("hourly", lambda: data.hourly("")), ("shape_minutes", data._shape_minutes),
                       ("seen", lambda: data.minutes_since_seen("")), ("recent", lambda: data.recent(""))):
        started = time.perf_counter()
        read()
        print(name, "s", round(time.perf_counter() - started, 3), flush=True)


if __name__ == "__main__":
    url, what, events = sys.argv[1], sys.argv[2], int(sys.argv[3])
    setup(url, events) if what == "setup" else timed(url)
