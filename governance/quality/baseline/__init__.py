"""What the volume and silence checks expect, built from hourly counts (see docs/quality/detection.md).

    seasonal.py     the low and high estimate of an hour from the same hour of past weeks and
                    days; the weekday core; what a learning hour waits for
    level.py        today's level: weighted median of observed / expected over recent hours
    central.py      from three weeks on, the drops' bar against the week samples' median where they agree
    recovery.py     once a holiday or an outage is over, today's level from the lookback's last hours
    shape.py        how an hour's events spread over its minutes, learned from recent days
    expectation.py  all of it for a batch of events at one evaluation minute (``expect_now``)
"""

from __future__ import annotations

from governance.quality.baseline.expectation import ModelParams, Now, expect_now, first_arrival_mask

__all__ = ["ModelParams", "Now", "expect_now", "first_arrival_mask"]
