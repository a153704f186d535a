"""Today's level once a holiday or an outage is over: the last hours of the lookback against the rest.

The level (``level.recent_level``) and ``week_level`` are weighted medians over the lookback's 12 hours.
A holiday (traffic at 0.1-0.4 of a normal day) or a long outage covers most of them, and for up to 12 hours
after it ends the median is still the holiday's: the drops' bar (and a week sample scaled by
``week_level``) stands at a third of the rate, and a half drop the morning after passes. Where the
lookback's level is under ``below`` but its last ``hours`` complete hours, holding at least ``MIN_EVENTS``
expected events, are back at ``below`` or more, today is what those hours say (the error is the whole
lookback's, as before).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from governance.quality.baseline.level import recent_level

FloatArray = NDArray[np.float64]
MIN_EVENTS = 50.0  # the last hours must be expected to hold this many events to speak for today


def back_level(observed: ArrayLike, expected: ArrayLike, level: ArrayLike, hours: int, below: float,
               clip: tuple[float, float]) -> FloatArray:
    """``level`` (of lookback hours ``(..., lookback)``), or the level of the last ``hours`` of them where
    ``level`` is under ``below`` and theirs is not (``hours`` 0: ``level``)."""
    old = np.asarray(level, dtype=np.float64)
    if hours <= 0:
        return old
    obs = np.asarray(observed, dtype=np.float64)[..., -hours:]
    exp = np.asarray(expected, dtype=np.float64)[..., -hours:]
    recent, _ = recent_level(obs, exp, clip=clip)
    held = np.where(np.isfinite(obs) & np.isfinite(exp) & (exp > 0), exp, 0.0).sum(-1)
    back = (old < below) & (recent >= below) & (held >= MIN_EVENTS)
    return np.asarray(np.where(back, np.minimum(recent, 1.0), old))

