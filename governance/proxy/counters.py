"""The counters' vocabulary: what the proxy writes to ``event_counts`` and ``violation_counts``.

The proxy's store writes these rows; ``quality.queries``, ``proxy.observe`` and ``/metrics`` read
them. Every stored string is one of the values below, so writer and readers share one definition.

    event_counts.outcome        an ``Outcome``
    violation_counts.type       a violation type, or ``EVENTS_WITH_VIOLATIONS`` ("*"): one count per
                                event with at least one violation (exact violation rates)
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """Where one event ended (a ``StrEnum``: stored, counted and serialised as its string)."""

    FORWARDED = "forwarded"
    OMITTED = "omitted"  # forwarded with properties removed
    BLOCKED = "blocked"  # quarantined by the plan and settings
    BLOCKED_FORWARDED = "blocked_forwarded"  # blocked, sent to the source named by forwardingBlockedEventsTo
    REJECTED = "rejected"  # not a valid Segment message; quarantined
    DROPPED = "dropped"  # a transformation dropped it; quarantined
    DEDUPLICATED = "deduplicated"  # its messageId was seen within the window
    SHADOW_BLOCKED = "shadow_blocked"  # shadow mode: forwarded unchanged, enforce would block it
    SHADOW_OMITTED = "shadow_omitted"  # shadow mode: forwarded unchanged, enforce would trim it
    SUPPRESSED = "suppressed"  # a suppressed user's event (privacy regulation): answered 200, stored nowhere


QUARANTINED = frozenset({Outcome.BLOCKED, Outcome.REJECTED, Outcome.DROPPED})
# retries, unparseable messages and suppressed users' events are not traffic (checks never see them)
NOT_TRAFFIC = (Outcome.DEDUPLICATED, Outcome.REJECTED, Outcome.SUPPRESSED)
EVENTS_WITH_VIOLATIONS = "*"
