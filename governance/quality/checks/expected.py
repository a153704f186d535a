"""The expectation of a check's event at the cycle's minute, shared by ``volume`` and ``silence``."""

from __future__ import annotations

from governance.quality.baseline import ModelParams, Now, expect_now
from governance.quality.baseline.seasonal import KNOWN, LEARNING, NEEDS_DAYS
from governance.quality.checks.base import CheckContext
from governance.quality.queries import SourceData


def expectation(ctx: CheckContext, model: ModelParams) -> Now:
    """``expect_now`` of the check's event (cached per cycle, event and model)."""
    return expectation_of(ctx.data, ctx.check.event, model)


def expectation_of(data: SourceData, event: str, model: ModelParams) -> Now:
    """``expect_now`` of ``event`` of the source (cached per cycle, event and model: the checks of one
    source share it)."""
    key = ("expectation", event, model)
    cache = data._cache
    if key not in cache:
        history, shapes = data.history(event), data.shapes(event)
        cache[key] = expect_now(history[None, :], data.first_hour, data.minute, model, shapes[None])
    result: Now = cache[key]
    return result


def waits_for(now: Now, first_hour: int, known: tuple[int, ...] = (KNOWN,)) -> str:
    """What the current hour (or the first learning hour from ``first_hour`` on) waits for; ``known``: the
    codes that wait for nothing this check needs (silence: ``FLOOR_KNOWN``)."""
    codes = [int(c) for c in now.learning[0, max(first_hour, 0) : now.current + 1] if c not in known]
    return LEARNING[max(codes)] if codes else LEARNING[NEEDS_DAYS]
