"""``silence``: nothing arrived while the expectation over the gap held ``min_expected`` events.

The expectation is the floor integrated over exactly the gap (at most ``horizon_hours`` back), so
an event that is legitimately zero at night, on weekends or outside its batch hours expects
nothing then; the ``min_expected`` events must already have been owed ``settle_minutes`` ago (a
schedule running a few minutes late is not a silence), and the event must still be due over the
last ``settle_minutes`` (a batch that stopped a little early is over an edge, not silent), and
already due ``after_minutes`` ago (quiet that long while due); what the floor owed follows today's
level down (never up).
Learning while every hour of the gap lacks an estimate.
"""

from __future__ import annotations

from governance.plan.check_spec import SilenceParams
from governance.quality.baseline import ModelParams
from governance.quality.baseline.seasonal import FLOOR_KNOWN
from governance.quality.checks.base import CheckContext, CheckKind, Observation, kind
from governance.quality.checks.expected import expectation, waits_for
from governance.quality.detect.silence import silence
from governance.quality.queries import LAST_SEEN_MINUTES


def model(p: SilenceParams) -> ModelParams:
    return ModelParams(weeks=p.weeks, silence_horizon=p.horizon_hours)


def evaluate(ctx: CheckContext) -> list[Observation]:
    p: SilenceParams = ctx.params
    event = ctx.check.event
    now = expectation(ctx, model(p))
    ago = ctx.data.minutes_since_seen(event)
    gap = float(LAST_SEEN_MINUTES) if ago is None else ago
    span = min(max(gap, p.after_minutes), p.horizon_hours * 60.0)
    so_far = ctx.data.recent(event)[-(ctx.data.minute % 60) :].sum() if ctx.data.minute % 60 else 0
    due, learning, counted = now.gap([span], p.horizon_hours, [so_far])
    if learning[0]:
        return [Observation.waiting(event, waits_for(now, now.current - p.horizon_hours, FLOOR_KNOWN))]
    settled, _, _ = now.gap([span], p.horizon_hours, [so_far], until_minutes_ago=p.settle_minutes)
    recent, _, _ = now.gap([min(max(p.settle_minutes, 1.0), span)], p.horizon_hours, [so_far])
    early, _, _ = now.gap([span], p.horizon_hours, [so_far], until_minutes_ago=p.after_minutes)
    owed = (float(due[0]), float(settled[0]), float(recent[0])) if gap >= p.after_minutes else (0.0, 0.0, 0.0)
    finding = silence(gap, *owed, after_minutes=p.after_minutes, min_expected=p.min_expected,
                      settle_minutes=p.settle_minutes, span_minutes=float(counted[0]),
                      never_seen=ago is None, early=float(early[0]), level=float(now.drop_scale[0]))
    return [Observation(event, "", finding)]


KIND: CheckKind = kind("silence", evaluate)
