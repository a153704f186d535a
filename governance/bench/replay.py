"""Traffic fed through the project's own ``run_cycle``: the checks bench's proof that ``fast.py`` measures
what the worker runs.

``replay`` writes a few events of a generated ``Traffic`` into a real SQLite database as the
proxy counts them (``event_counts`` per minute, ``violation_counts`` of type ``*``), publishes a
plan naming them, binds a source, and runs ``run_cycle`` with the default checks every
``cadence`` minutes of an evaluation span. Each run's recorded observations say whether its
condition held, and its outcome whether it was learning; ``replay_agreement`` compares them,
evaluation by evaluation, with the conditions ``fast.py`` computes for the same traffic.
``memory_cycle`` times one cycle's detection over thousands of in-memory events.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from sqlalchemy import insert, select

from governance.bench.truth import Traffic

NAMES = ["Order Completed", "Product Viewed", "Cart Viewed", "Checkout Started", "Signup Completed",
         "Coupon Applied", "Payment Failed", "Search Performed", "Invite Sent", "Report Exported",
         "Video Played", "Trial Started"]
KINDS = {"volume": "volume", "silence": "silence", "decline": "decline", "violation_rate": "violations"}


@dataclass
class Replay:
    """Per check kind (bench condition names) and evaluation: whether the condition held / was learning."""

    times: list[int] = field(default_factory=list)
    holds: dict[str, np.ndarray] = field(default_factory=dict)
    learning: dict[str, np.ndarray] = field(default_factory=dict)
    seconds: float = 0.0


def _rows(traffic: Traffic, events: list[int], source_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    counts, violations = [], []
    for i, e in enumerate(events):
        minutes = np.flatnonzero(traffic.counts[e])
        counts += [{"minute": traffic.start_minute + int(m), "source_id": source_id, "kind": "track",
                    "event": NAMES[i], "outcome": "forwarded", "planned": True, "count": int(traffic.counts[e, m])}
                   for m in minutes]
        bad = np.flatnonzero(traffic.violations[e])
        violations += [{"minute": traffic.start_minute + int(m), "source_id": source_id, "event": NAMES[i],
                        "field": "", "type": "*", "count": int(traffic.violations[e, m])} for m in bad]
    return counts, violations


def replay(traffic: Traffic, events: list[int], times: list[int], *, directory: str | None = None,
           checks: list[dict[str, Any]] | None = None) -> Replay:
    """Run ``run_cycle`` at every minute of ``times`` (relative to the traffic's start) over ``events``;
    ``checks``: plan-level checks (they replace the defaults of their kinds)."""
    import time

    from governance.db import make_engine, write_session, writer
    from governance.migrations import upgrade
    from governance.plan.model import Plan
    from governance.proxy.tables import EventCountRow, ViolationCountRow
    from governance.quality.cycle import run_cycle
    from governance.quality.tables import CheckRow, CheckRunRow
    from governance.registry.plans import create_plan, publish
    from governance.registry.sources import create_source
    from governance.settings import Settings

    if len(events) > len(NAMES):
        raise ValueError(f"at most {len(NAMES)} events")
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        url = f"sqlite:///{Path(tmp) / 'replay.db'}"
        engine = make_engine(url)
        upgrade(engine)
        body: dict[str, Any] = {"name": "replay",
                                "events": {NAMES[i]: {"description": "replayed"} for i in range(len(events))}}
        if checks:
            body["checks"] = checks
        with write_session(engine) as session:
            create_plan(session, plan=Plan.model_validate(body), actor="bench")
            publish(session, ref="replay", actor="bench")
            source = create_source(session, fields={"name": "replay", "plan": "replay"}, actor="bench")[0]
        counts, violations = _rows(traffic, events, source.id)
        with writer(engine).begin() as conn:
            tables = ((EventCountRow.__table__, counts), (ViolationCountRow.__table__, violations))  # type: ignore[attr-defined]
            for table, rows in tables:
                for lo in range(0, len(rows), 20_000):
                    conn.execute(insert(table), rows[lo : lo + 20_000])
        settings = Settings(database_url=url, run_worker=False)
        started = time.perf_counter()
        for m in times:
            run_cycle(engine, settings, datetime.fromtimestamp((traffic.start_minute + m) * 60 + 5, UTC))
        result = Replay(times=list(times), seconds=time.perf_counter() - started)
        with engine.connect() as conn:
            check_of = {r.id: (r.kind, r.event) for r in conn.execute(select(CheckRow.__table__))}  # type: ignore[attr-defined]
            runs = list(conn.execute(select(CheckRunRow.__table__)))  # type: ignore[attr-defined]
        engine.dispose()
    index = {m: j for j, m in enumerate(times)}
    row_of = {NAMES[i]: i for i in range(len(events))}
    for name in KINDS.values():
        result.holds[name] = np.zeros((len(events), len(times)), bool)
        result.learning[name] = np.zeros((len(events), len(times)), bool)
    for run in runs:
        kind, event = check_of.get(run.check_id, ("", ""))
        if kind not in KINDS or event not in row_of:
            continue
        j = index[int(run.started_at.timestamp() // 60) - traffic.start_minute]
        held = any(o["condition"] for o in orjson.loads(run.observations))
        result.holds[KINDS[kind]][row_of[event], j] = held
        result.learning[KINDS[kind]][row_of[event], j] = run.outcome == "learning"
    return result


def spread_sample(traffic: Traffic, n: int) -> list[int]:
    """``n`` events spread over the archetypes (busiest first within each)."""
    kinds = traffic.archetypes or ["-"] * traffic.counts.shape[0]
    order = sorted(range(len(kinds)), key=lambda e: -traffic.mean_per_hour[e])
    picked: list[int] = []
    while len(picked) < min(n, len(kinds)):
        for kind in dict.fromkeys(kinds):
            for e in order:
                if kinds[e] == kind and e not in picked:
                    picked.append(e)
                    break
            if len(picked) >= n:
                break
    return picked


def replay_agreement(name: str, *, events: int = 4, days: int = 35, eval_days: float = 1.0, seed: int = 0,
                     cadence: int = 5) -> dict[str, Any]:
    """Replay ``events`` of generator ``name`` through ``run_cycle`` over its last ``eval_days`` and
    compare every evaluation with ``fast.py``: the share that agrees, per check kind."""
    from governance.bench.checks import GENERATORS, BenchConfig, evaluate

    traffic = GENERATORS[name](200, days, seed)
    picked = spread_sample(traffic, events)
    when, holds, learning = evaluate(traffic, BenchConfig(cadence=cadence))
    chosen = [int(t) for t in when["drop"] if t > traffic.minutes - eval_days * 1440]
    got = replay(traffic, picked, chosen)
    fast = {"volume": holds["drop"] | holds["spike"], "silence": holds["silence"], "decline": holds["decline"],
            "violations": holds["violations"]}
    out: dict[str, Any] = {"events": picked, "evaluations": len(chosen), "cycles_s": round(got.seconds, 2),
                           "agreement": {}}
    for kind, cond in fast.items():
        columns = np.searchsorted(when["drop" if kind in ("volume", "decline") else kind], chosen)
        ours = cond[picked][:, columns]
        same = ours == got.holds[kind]
        waiting = learning.get(kind)
        if waiting is not None:
            same &= waiting[picked][:, columns] == got.learning[kind]
        out["agreement"][kind] = {"agree": round(float(same.mean()), 6), "held": int(ours.sum()),
                                  "disagreements": int((~same).sum())}
    return out


def memory_cycle(traffic: Traffic, minute: int) -> int:
    """One cycle's detection for every event of ``traffic`` at ``minute``, in memory, from the checks'
    own functions (``expect_now``, the windows, the gap, the decline state); conditions that hold."""
    from governance.bench.fast import hourly_counts
    from governance.plan.check_spec import DeclineCheckParams, SilenceParams, VolumeCheckParams
    from governance.quality.baseline import expect_now, first_arrival_mask
    from governance.quality.baseline.seasonal import MIN_WEEKS
    from governance.quality.baseline.shape import learned_shape, sample_hours
    from governance.quality.checks.decline import detector as decline_detector
    from governance.quality.checks.volume import detector, model
    from governance.quality.detect.decline import decline_flags, decline_state
    from governance.quality.detect.volume import volume_flags

    v, s, d = VolumeCheckParams(), SilenceParams(), DeclineCheckParams()
    t = minute // 60
    history = first_arrival_mask(hourly_counts(traffic.counts[:, : t * 60]))
    by_hour = traffic.counts[:, : t * 60].reshape(traffic.counts.shape[0], t, 60)
    samples = np.stack([by_hour[:, [h for h in sample_hours(hour)]] for hour in (t - 2, t - 1, t)], axis=1)
    now = expect_now(history, traffic.start_minute // 60, traffic.start_minute + minute, model(v),
                     learned_shape(samples))
    low, high, waiting = now.windows(v.windows)
    found = 0
    for i, w in enumerate(detector(v).windows):
        observed = traffic.counts[:, minute - w : minute].sum(1)
        drop, spike = volume_flags(observed, np.where(waiting[:, i], np.nan, low[:, i]),
                                   np.where(waiting[:, i], np.nan, high[:, i]), now.error, window_minutes=w,
                                   params=detector(v), error_high=now.error_high,
                                   settled=now.weeks[:, now.current] >= MIN_WEEKS)
        found += int((drop | spike).sum())
    seen = traffic.counts[:, :minute] > 0
    gap = np.where(seen.any(1), np.argmax(seen[:, ::-1], axis=1), minute)
    due, _, _ = now.gap(np.minimum(np.maximum(gap, s.after_minutes), s.horizon_hours * 60.0), s.horizon_hours,
                     traffic.counts[:, t * 60 : minute].sum(1))
    found += int(((gap >= s.after_minutes) & (due >= s.min_expected)).sum())
    state = decline_state(history, [history.shape[1]], decline_detector(d))
    return found + int(decline_flags(state, decline_detector(d)).sum())
