"""``source_drop``: most of the source's expected volume is low together, one condition for the source.

A holiday nobody declared, an outage of the whole source or a broken SDK release makes every
event's volume and silence alerts fire, each at its own hour; this check sees them as one: per
trailing window, each event's count against its own low expectation (the volume check's, scaled to
today's level, over exactly the window), and the condition when enough of the source's events and
of its expected volume are low together (``detect.source_drop``). One busy event dropping on a
healthy source never holds it. It is a default check of every source (event ``""``); while it fires,
the default inhibition rule ``source drop`` mutes the per-event volume and silence alerts of that
source (they are still recorded). Learning while no event's window has an estimate.
"""

from __future__ import annotations

import numpy as np
import orjson

from governance.db import read_session
from governance.plan.check_spec import SourceDropParams as SourceDropCheckParams
from governance.quality.baseline import ModelParams
from governance.quality.checks.base import CheckContext, CheckKind, Observation, fingerprint, kind
from governance.quality.checks.expected import expectation_of
from governance.quality.detect.source_drop import SourceDropParams, breadth, source_drop


def detector(p: SourceDropCheckParams) -> SourceDropParams:
    return SourceDropParams(min_drop=p.min_drop, min_share=p.min_share, min_events_share=p.min_events_share,
                            min_events=p.min_events, min_event_count=p.min_event_count, min_count=p.min_count,
                            sensitivity=p.sensitivity, windows=tuple(p.windows), hold_factor=p.hold_factor)


def firing(ctx: CheckContext) -> bool:
    """Whether this check's alert fires now (its stored hysteresis): then the shares it needs are
    ``hold_factor`` of the thresholds, so a holiday's lunch dip does not resolve it."""
    from governance.quality.tables import CheckStateRow

    with read_session(ctx.data.engine) as session:
        row = session.get(CheckStateRow, fingerprint(ctx.check.id, ctx.check.source_id, "", ""))
    return row is not None and orjson.loads(row.state).get("state") == "firing"


def model(p: SourceDropCheckParams) -> ModelParams:
    """The volume check's model with its defaults (so the expectations of one cycle are shared)."""
    return ModelParams(weeks=p.weeks)


def evaluate(ctx: CheckContext) -> list[Observation]:
    p: SourceDropCheckParams = ctx.params
    if ctx.check.event:
        raise ValueError(f"a source_drop check judges a whole source, not the event {ctx.check.event!r}")
    events = ctx.data.events()
    if not events:
        return [Observation.waiting("", "waits for the source's first events")]
    lows, observed = [], []
    for event in events:
        now = expectation_of(ctx.data, event, model(p))
        low, _, learning = now.windows(p.windows)
        lows.append(np.where(learning[0], np.nan, low[0]))
        recent = ctx.data.recent(event)
        observed.append([float(recent[-w:].sum()) for w in p.windows])
    low_all, obs_all = np.asarray(lows), np.asarray(observed)
    if not np.isfinite(low_all).any():
        return [Observation.waiting("", "waits for an estimate of the current hour of one of the source's events")]
    params, held = detector(p), firing(ctx)
    finding = source_drop(obs_all, low_all, params, events, firing=held)
    seen = breadth(obs_all[:, -1], low_all[:, -1], params, firing=held)
    result = {"source_drop": {"window_minutes": p.windows[-1], "events_judged": int(seen.judged),
                              "events_low": int(seen.low), "volume_share_low": round(float(seen.share), 4),
                              "observed": float(seen.observed), "expected": round(float(seen.expected), 3)}}
    return [Observation("", "", finding, result)]


KIND: CheckKind = kind("source_drop", evaluate)
