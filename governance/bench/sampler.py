"""What the event sampler costs the proxy's hot path, in microseconds per forwarded event, in-process.

``sampler_cost`` drives ``SamplePolicy`` as the group commit does: per commit ``start``, one
``take_event`` per event, and ``settle`` with the rows the tally would make (when the policy has
it). The traffic: ``events`` forwarded events over ``slots`` (source, event) pairs, ``per_minute``
events a minute, in commits of ``commit`` events. ``written`` and ``deleted`` are the sample rows a
store would insert and delete per slot and minute.
"""

from __future__ import annotations

import random
import time
from typing import Any


def sampler_cost(events: int = 300_000, slots: int = 20, per_minute: int = 6000, commit: int = 50,
                 sample_per_minute: int = 10, repeat: int = 3) -> dict[str, Any]:
    from governance.proxy.sampling import SamplePolicy

    names = [f"Event {i}" for i in range(slots)]
    rng = random.Random(1)
    order = [names[rng.randrange(slots)] for _ in range(events)]
    best, written, deleted = float("inf"), 0, 0
    for _ in range(repeat):
        policy = SamplePolicy(sample_per_minute, rng=random.Random(2))
        settle = getattr(policy, "settle", None)
        written = deleted = 0
        started = time.perf_counter()
        for lo in range(0, events, commit):
            minute = lo // per_minute
            policy.start(minute)
            rows = [("src", "track", e, True, "{}") for e in order[lo : lo + commit]
                    if policy.take_event("src", e, minute)]
            if settle is not None:
                keep, gone = settle(rows, lo)
                written, deleted = written + len(keep), deleted + len(gone)
            else:
                written += len(rows)
        best = min(best, time.perf_counter() - started)
    slot_minutes = slots * -(-events // per_minute)
    return {"events": events, "us_per_event": round(best / events * 1e6, 3),
            "written_per_slot_minute": round(written / slot_minutes, 1),
            "deleted_per_slot_minute": round(deleted / slot_minutes, 1)}
