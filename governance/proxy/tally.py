"""The pure half of a group commit: what a group's verdicts become, counted, without a database.

``tally(rows, duplicates, now=..., minute=..., samples=...)`` returns a ``Tally``: each row's final
outcome, the outbox and quarantine rows, the per-minute counters, and the samples. The counter
policy, in the vocabulary of ``counters``:

    event_counts       one per (source, kind, event, outcome, planned), every event included
    violation_counts   one per (source, event, field, type) and violation, plus one
                       ``EVENTS_WITH_VIOLATIONS`` per event with any violation (exact rates)

A duplicate (``dedupe.duplicates``) is counted as ``deduplicated`` and goes nowhere else; so is a
suppressed user's event, counted as ``suppressed`` (with no event name: nothing of it is kept).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from governance.proxy.counters import EVENTS_WITH_VIOLATIONS, QUARANTINED, Outcome
from governance.proxy.pipeline import Verdict
from governance.proxy.rows import quarantine_row, violation_sample_row
from governance.proxy.sampling import SamplePolicy
from governance.proxy.spec import without_credentials
from governance.proxy.timestamps import last_keys
from governance.proxy.violations import fingerprint


@dataclass
class Tally:
    outcomes: list[str] = field(default_factory=list)  # the final outcome of each row
    outbox: list[tuple[str, str, str]] = field(default_factory=list)  # (source, messageId, payload)
    event_samples: list[tuple[str, str, str, bool, str]] = field(default_factory=list)  # (.., payload)
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    event_counts: Counter[tuple[str, str, str, str, bool]] = field(default_factory=Counter)
    violation_counts: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)
    violation_samples: dict[str, dict[str, Any]] = field(default_factory=dict)  # fingerprint -> row


def tally(rows: Sequence[tuple[str, Verdict]], duplicates: Collection[int], *, now: datetime, minute: int,
          samples: SamplePolicy) -> Tally:
    """Count ``rows`` (source id, verdict) committed at ``now``; ``duplicates`` are row positions."""
    out = Tally()
    samples.start(minute)
    event_counts = out.event_counts
    for i, (source_id, verdict) in enumerate(rows):
        outcome = Outcome.DEDUPLICATED if i in duplicates else verdict.outcome
        out.outcomes.append(outcome)
        key = (source_id, verdict.kind, verdict.event, outcome, verdict.planned)
        event_counts[key] = event_counts.get(key, 0) + 1  # Counter's += calls __missing__ (Python) per new key
        if outcome in (Outcome.DEDUPLICATED, Outcome.SUPPRESSED):
            continue
        if verdict.forward is not None:
            forward = without_credentials(verdict.forward)
            last_keys(forward)  # the forwarder relays the text as stored, rewriting only its tail
            payload = orjson.dumps(forward).decode()
            out.outbox.append((source_id, verdict.message_id[:200], payload))
            if samples.take_event(source_id, verdict.event, minute):
                out.event_samples.append((source_id, verdict.kind, verdict.event[:200], verdict.planned, payload))
        elif outcome in QUARANTINED:
            out.quarantine.append(quarantine_row(source_id, verdict, now))
        if verdict.violations:
            out.violation_counts[(source_id, verdict.event, "", EVENTS_WITH_VIOLATIONS)] += 1
        for v in verdict.violations:
            out.violation_counts[(source_id, verdict.event, v.field, v.type)] += 1
            fp = fingerprint(source_id, verdict.event, v)
            if fp not in out.violation_samples and samples.wants_violation(fp):
                out.violation_samples[fp] = violation_sample_row(fp, source_id, verdict, v, now)
    return out
