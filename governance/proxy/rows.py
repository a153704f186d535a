"""What one verdict becomes in storage: its quarantine row and its violation samples.

No stored payload keeps a credential a sender put on the message (``spec.without_credentials``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from governance.proxy.pipeline import Verdict
from governance.proxy.spec import without_credentials
from governance.proxy.violations import Violation


def quarantine_row(source_id: str, verdict: Verdict, now: datetime) -> dict[str, Any]:
    """The ``quarantine`` row of a blocked, rejected or dropped event: what arrived, and why."""
    return {
        "source_id": source_id, "message_id": verdict.message_id[:200], "kind": verdict.kind[:20] or "unknown",
        "event": (verdict.event or None) and verdict.event[:200],
        "payload": orjson.dumps(without_credentials(verdict.original), default=str).decode(),
        "reason": verdict.reason or "blocked",
        "violations": orjson.dumps([v.to_dict() for v in verdict.violations] or
                                   ([verdict.error.to_dict()] if verdict.error else [])).decode(),
        "plan_version": verdict.plan_version, "received_at": now,
    }


def violation_sample_row(fp: str, source_id: str, verdict: Verdict, v: Violation, now: datetime) -> dict[str, Any]:
    """A ``violation_samples`` row: the whole event as it arrived, under its fingerprint."""
    return {"fingerprint": fp, "source_id": source_id, "event": verdict.event[:200], "field": v.field[:300],
            "type": v.type, "message": v.message, "plan_version": verdict.plan_version, "seen_at": now,
            "payload": orjson.dumps(without_credentials(verdict.original)).decode()}
