"""Segment-style ``Violation Generated`` track events, one per violation.

When a source's settings name ``forwardingViolationsTo`` (another source, by id or name), every
violation also becomes a track event with ``userId: "schema-violations"`` forwarded through that
source's upstream, committed in the same transaction as the event that caused it.
"""

from __future__ import annotations

import uuid
from typing import Any

from governance.proxy.pipeline import SourceState, Verdict
from governance.proxy.violations import SEGMENT_NAMES


def violation_events(state: SourceState, verdict: Verdict, received_at: str) -> list[Verdict]:
    original = verdict.original if isinstance(verdict.original, dict) else {}
    app = original.get("context", {}).get("app") if isinstance(original.get("context"), dict) else None
    out = []
    for violation in verdict.violations:
        message: dict[str, Any] = {
            "type": "track",
            "event": "Violation Generated",
            "userId": "schema-violations",
            "messageId": f"gov-violation-{uuid.uuid4()}",
            "timestamp": received_at,
            "receivedAt": received_at,
            "context": {"library": {"name": "governance"}},
            "properties": {
                "eventName": verdict.event, "eventType": verdict.kind, "eventMessageID": verdict.message_id,
                "eventSentAt": original.get("sentAt"), "eventTimestamp": original.get("timestamp"),
                "appVersion": app.get("version") if isinstance(app, dict) else None,
                "sourceID": state.id, "sourceName": state.name, "trackingPlanID": state.plan_id,
                "trackingPlanName": state.plan_name, "trackingPlanVersion": state.plan_version,
                "violationType": SEGMENT_NAMES.get(violation.type, violation.type),
                "violationField": violation.field, "violationDescription": violation.message,
            },
        }
        out.append(Verdict("forwarded", kind="track", event="Violation Generated", message_id=message["messageId"],
                           forward=message, original=message))  # fmt: skip
    return out
