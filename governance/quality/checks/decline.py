"""``decline``: the last 24 hours, and the 24 before, well below the event's 4-week level.

The hourly detectors judge against today's level and absorb a slow decline; this one compares
whole days with the same hours of earlier weeks (``detect.decline``). Its default severity is
``info``: a trend to look into, not an outage. Learning until two weeks of history stand behind
each of the last three days.
"""

from __future__ import annotations

import numpy as np

from governance.plan.check_spec import DeclineCheckParams
from governance.quality.checks.base import CheckContext, CheckKind, Observation, kind
from governance.quality.detect.decline import DeclineParams, decline_finding, decline_flags, decline_state


def detector(p: DeclineCheckParams) -> DeclineParams:
    return DeclineParams(min_decline=p.min_decline, confirm=p.confirm, min_per_day=p.min_per_day, weeks=p.weeks)


def evaluate(ctx: CheckContext) -> list[Observation]:
    params = detector(ctx.params)
    event = ctx.check.event
    history = ctx.data.history(event, coarse=True)  # whole days: a backfilled daily count is as good
    state = decline_state(history[None, :], [history.size], params)
    if state.learning[0, 0]:
        days = float(np.isfinite(history).sum()) / 24
        return [Observation.waiting(event, f"waits for {params.weeks} weeks of history before each of the last "
                                           f"3 days (has {days:.1f} days)")]
    if not decline_flags(state, params)[0, 0]:
        return [Observation(event)]
    finding = decline_finding(state.ratios[0, 0], float(state.reference[0, 0, 0]), float(state.recent[0, 0]))
    return [Observation(event, "", finding)]


KIND: CheckKind = kind("decline", evaluate)
