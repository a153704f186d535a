"""What one request writes for *other* sources, committed in the same transaction as its own rows.

* ``forwardingViolationsTo``: one ``Violation Generated`` event per violation (``violation_events``).
* ``forwardingBlockedEventsTo``: each event the source blocks goes to the named source's outbox,
  and from there to that source's upstream, instead of the quarantine. The blocking source counts
  it as ``blocked_forwarded`` (its reason and violations are counted as for ``blocked``); the
  named source counts it as ``forwarded``, as if it had received the event itself. It is stored
  once (one outbox row of the named source) and deduplicated there by messageId like any event,
  so an SDK's retry is not forwarded twice. The forwarded event is the one that arrived (before
  transformations), with ``context.protocols`` saying why it was blocked and where it came from.
  It is not judged again by the named source's plan. Rejected (not valid Segment) and dropped
  (a transformation's ``drop_event``) events stay in the quarantine: they were not blocked.
"""

from __future__ import annotations

from typing import Any

import orjson

from governance.proxy.counters import Outcome
from governance.proxy.pipeline import SourceState, Verdict
from governance.proxy.runtime import Runtime
from governance.proxy.violation_events import violation_events


def blocked_copy(state: SourceState, verdict: Verdict) -> Verdict:
    """The row a blocked event becomes in the source named by ``forwardingBlockedEventsTo``."""
    message: dict[str, Any] = orjson.loads(orjson.dumps(verdict.original))
    context = message.get("context")
    if not isinstance(context, dict):
        context = {}
    protocols = dict(context.get("protocols") or {}) if isinstance(context.get("protocols"), dict) else {}
    protocols.update(blocked=verdict.reason, violations=[v.segment_form() for v in verdict.violations],
                     plan_version=verdict.plan_version, sourceId=state.id)
    message["context"] = {**context, "protocols": protocols}
    return Verdict(Outcome.FORWARDED, kind=verdict.kind, event=verdict.event, message_id=verdict.message_id,
                   planned=verdict.planned, forward=message, original=message,
                   plan_version=verdict.plan_version)


def rows_for_other_sources(runtime: Runtime, state: SourceState, verdicts: list[Verdict],
                           received_at: str) -> list[tuple[str, Verdict]]:
    """The (source id, verdict) rows for other sources; marks forwarded blocked verdicts in place."""
    extra: list[tuple[str, Verdict]] = []
    violations_to = runtime.violations_target(state)
    if violations_to is not None:
        extra += [(violations_to, v) for verdict in verdicts if verdict.violations
                  for v in violation_events(state, verdict, received_at)]
    blocked_to = runtime.blocked_target(state)
    if blocked_to is not None:
        for verdict in verdicts:
            if verdict.outcome == Outcome.BLOCKED and isinstance(verdict.original, dict):
                extra.append((blocked_to, blocked_copy(state, verdict)))
                verdict.outcome = Outcome.BLOCKED_FORWARDED
    return extra
