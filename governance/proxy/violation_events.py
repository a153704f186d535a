"""Segment's ``Violation Generated`` track events, one per violation, in Segment's shape.

When a source's settings name ``forwardingViolationsTo`` (another source, by id or name), every
violation also becomes a track event with ``userId: "schema-violations"`` forwarded through that
source's upstream, committed in the same transaction as the event that caused it. The payload is
the one Segment documents (Protocols, "Forward Violations"): the offending event's
``context.app`` and ``context.library`` ("to aid in filtering"), ``integrations: {}``,
``forwardedFromProject`` and the properties below; ``trackingPlanVersion`` is ours.

The messageId is derived from the source, the offending messageId and the violation, so an SDK's
retry of the same event is deduplicated at the receiving source instead of doubling its violations.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from governance.proxy.counters import Outcome
from governance.proxy.pipeline import SourceState, Verdict
from governance.proxy.violations import SEGMENT_NAMES, Violation


def slug(name: str) -> str:
    """A source name as Segment's slugs look: ``Acme Store`` -> ``acme_store``."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _message_id(state: SourceState, verdict: Verdict, index: int, violation: Violation) -> str:
    seed = "\x1f".join((state.id, verdict.message_id, str(index), violation.type, violation.field))
    return "sch-" + hashlib.sha256(seed.encode()).hexdigest()[:32]


def _context(original: dict[str, Any]) -> dict[str, Any]:
    context = original.get("context")
    if not isinstance(context, dict):
        context = {}
    return {"app": context.get("app"), "library": context.get("library")}


def violation_events(state: SourceState, verdict: Verdict, received_at: str) -> list[Verdict]:
    original = verdict.original if isinstance(verdict.original, dict) else {}
    context = _context(original)
    app = context["app"]
    version = app.get("version") if isinstance(app, dict) else None
    out = []
    for index, violation in enumerate(verdict.violations):
        message: dict[str, Any] = {
            "type": "track",
            "event": "Violation Generated",
            "userId": "schema-violations",
            "messageId": _message_id(state, verdict, index, violation),
            "timestamp": received_at,
            "receivedAt": received_at,
            "context": context,
            "integrations": {},
            "forwardedFromProject": state.id,
            "properties": {
                "appVersion": version if isinstance(version, str) else "" if version is None else str(version),
                "eventMessageID": verdict.message_id, "eventName": verdict.event,
                "eventSentAt": original.get("sentAt"), "eventTimestamp": original.get("timestamp"),
                "eventType": verdict.kind, "sourceID": state.id, "sourceName": state.name,
                "sourceSlug": slug(state.name), "trackingPlanID": state.plan_id,
                "trackingPlanName": state.plan_name, "trackingPlanVersion": state.plan_version,
                "violationDescription": violation.message, "violationField": violation.field,
                "violationType": SEGMENT_NAMES.get(violation.type, violation.type),
            },
        }
        out.append(Verdict(Outcome.FORWARDED, kind="track", event="Violation Generated",
                           message_id=message["messageId"], forward=message, original=message))
    return out
