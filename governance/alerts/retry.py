"""When a failed notification is tried again: the Standard Webhooks retry schedule.

After failed attempt 1, 2, 3, ... the dispatcher waits 5 s, 5 min, 30 min, 2 h, 5 h, 10 h; after
the last one a retryable failure is dead.
"""

from __future__ import annotations

RETRY_SCHEDULE_S: tuple[int, ...] = (5, 300, 1800, 7200, 18000, 36000)


def next_retry_delay(attempt: int) -> float | None:
    """Seconds to wait after failed attempt number ``attempt`` (1-based); ``None``: give up."""
    if attempt < 1:
        raise ValueError("attempt numbers start at 1")
    if attempt > len(RETRY_SCHEDULE_S):
        return None
    return float(RETRY_SCHEDULE_S[attempt - 1])
