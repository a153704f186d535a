"""The silence timing of ``test_first_alerts.py`` at chosen alignments of its injected clock (a script,
not a test: each run takes about 40 s).

    PYTHONPATH=. .venv/bin/python tests/e2e/first_alerts_alignments.py MINUTE SECOND [HOURS_BACK [SEED]]

starts the stored traffic at ``MINUTE`` past the hour (and ``SECOND`` into the minute) of the hour
``HOURS_BACK`` before now, with the history drawn from ``SEED`` (the test's is 13), drives the
test's own fixture and worker ticks until the outage is over, and prints one JSON line: minutes
from the outage's first quiet minute to the silence webhook, to its resolve, and from the burst
to its webhook. ``docs/quality/checks.md`` gives what 53 such runs measured.
"""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

import tests.e2e.test_first_alerts as first_alerts


def measure(minute: int, second: float, hours_back: float = 0.0, seed: int = 13) -> dict[str, Any]:
    real = datetime.now(UTC) - timedelta(hours=hours_back)
    base = real.replace(minute=minute, second=0, microsecond=0)
    chosen = (base - timedelta(hours=1) if base > real else base) + timedelta(seconds=second)

    class Fixed(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return chosen

    drawn = np.random.default_rng
    first_alerts.datetime = Fixed  # type: ignore[misc]
    np.random.default_rng = lambda s=None, *a: drawn(seed if s == 13 else s, *a)  # type: ignore[assignment]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            fixture = first_alerts.world.__wrapped__(f"sqlite:///{tmp}/e2e.db")  # type: ignore[attr-defined]
            world = next(fixture)
            world.run_until(world.start + timedelta(minutes=first_alerts.BACK + 10))
            took = {"silence": world.after("silence", "firing", first_alerts.QUIET, "Product Viewed"),
                    "silence_resolved": world.after("silence", "resolved", first_alerts.BACK, "Product Viewed"),
                    "burst": world.after("violation_rate", "firing", first_alerts.BURST, None)}
            next(fixture, None)
    finally:
        first_alerts.datetime = datetime  # type: ignore[misc]
        np.random.default_rng = drawn
    return {"start": world.start.isoformat(), "seed": seed, **{k: round(v, 2) for k, v in took.items()}}


if __name__ == "__main__":
    args = sys.argv[1:]
    print(json.dumps(measure(int(args[0]), float(args[1]), *(float(args[2]),) if len(args) > 2 else (),
                             *(int(args[3]),) if len(args) > 3 else ())))
