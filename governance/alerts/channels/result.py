"""The outcome of one delivery attempt, on any channel."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class DeliveryResult:
    """What one attempt came to: delivered (``ok``), worth a retry, or a reason to disable the channel.

    ``status`` is the receiver's HTTP or SMTP code when there was one; ``error`` says why it failed.
    """

    ok: bool
    status: int | None = None
    retryable: bool = False
    disable: bool = False
    error: str | None = None
    elapsed_ms: float = 0.0


def refused(error: str) -> DeliveryResult:
    """A delivery that was not attempted and will not be retried (bad config, channel gone)."""
    return DeliveryResult(ok=False, error=error)
