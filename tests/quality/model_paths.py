"""The bench's fast path against the checks' own ``expect_now``, hour by hour (shared by the tests of the
rules both paths compute)."""

from __future__ import annotations

import numpy as np
import pytest

from governance.bench.fast import hour_model
from governance.quality.baseline import ModelParams, expect_now


def assert_bench_model_matches(history: np.ndarray, first_hour: int, last_hours: int,
                               fields: tuple[str, ...] = ("drop_scale",), params: ModelParams | None = None) -> None:
    """``hour_model``'s ``fields`` equal ``expect_now``'s at half past each of the series' last ``last_hours``
    hours (and the hour after it)."""
    p = params or ModelParams()
    model = hour_model(history, first_hour, p)
    for t in range(history.shape[1] - last_hours, history.shape[1] + 1):
        now = expect_now(history[:, :t], first_hour, (first_hour + t) * 60 + 30, p)
        for field in fields:
            assert float(getattr(model, field)[0, t]) == pytest.approx(float(getattr(now, field)[0])), (field, t)
