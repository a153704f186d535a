"""Requesting a regulation: record it (``registry.regulations``) and queue its webhooks, in one transaction.

``notify`` names alert channels of kind ``webhook`` (a regulation carries user ids, so it is never
sent by email or to Slack). Each gets a ``regulation.created`` notification in the alert outbox,
delivered by the dispatcher like an alert: Standard Webhooks signing with the channel's secret, a
``webhook-id`` kept across retries (receivers deduplicate on it), the retry schedule, and 410
disabling the channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Engine
from sqlmodel import Session

from governance.alerts.config import get_channel
from governance.alerts.signing import new_msg_id
from governance.alerts.tables import ChannelRow, NotificationRow
from governance.clock import utcnow
from governance.db import write_session
from governance.errors import ChannelNotFound, ValidationFailed
from governance.registry import regulations
from governance.registry.regulations import RegulationType, stamp
from governance.registry.tables import RegulationRow

EVENT_TYPE = "regulation.created"


def _webhook_channels(session: Session, refs: Sequence[str]) -> list[ChannelRow]:
    found: list[ChannelRow] = []
    for i, ref in enumerate(dict.fromkeys(refs)):
        try:
            channel = get_channel(session, ref)
        except ChannelNotFound:
            raise ValidationFailed(f"notify.{i}: no channel {ref!r}", details=[{"path": f"notify.{i}"}]) from None
        if channel.kind != "webhook":
            raise ValidationFailed(f"notify.{i}: {ref!r} is a {channel.kind} channel; regulations carry user ids and "
                                   "are sent only to webhook channels", details=[{"path": f"notify.{i}"}])
        found.append(channel)
    return found


def webhook_payload(row: RegulationRow) -> dict[str, Any]:
    """What a receiver gets as ``data`` (the webhook's ``type`` is ``regulation.created``)."""
    return {
        "id": row.id, "regulationType": row.regulation_type, "subjectType": row.subject_type,
        "subjectIds": orjson.loads(row.subject_ids),
        "sourceIds": orjson.loads(row.source_ids) if row.source_ids else None,
        "createdAt": stamp(row.created_at), "url": f"/api/v1/regulations/{row.id}",
    }


def create_regulation(engine: Engine, *, regulation_type: RegulationType, subject_ids: Sequence[str],
                      source_refs: Sequence[str] | None = None, notify: Sequence[str] = (), actor: str,
                      now: datetime | None = None) -> RegulationRow:
    """Record a regulation, put its suppressions in force and queue its webhooks (one transaction)."""
    now = now or utcnow()
    with write_session(engine) as session:
        channels = _webhook_channels(session, notify)
        row = regulations.create(session, regulation_type=regulation_type, subject_ids=subject_ids,
                                 source_refs=source_refs, notify=[c.id for c in channels], actor=actor, now=now)
        if channels:
            payload = orjson.dumps({**webhook_payload(row), "event_type": EVENT_TYPE, "status": "regulation"}).decode()
            for channel in channels:
                session.add(NotificationRow(channel_id=channel.id, group_key=f"regulation:{row.id}",
                                            status="regulation", payload=payload, msg_id=new_msg_id(),
                                            next_attempt_at=now, created_at=now))
            receipt = orjson.loads(row.receipt)
            receipt["steps"].append({"at": stamp(now), "action": "notification_queued", "event_type": EVENT_TYPE,
                                     "channels": [c.name for c in channels]})
            row.receipt = orjson.dumps(receipt).decode()
            session.add(row)
    return row
