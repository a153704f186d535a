"""Alert lifecycle: fire, update, resolve, acknowledge, snooze; every step leaves a history row.

A fingerprint (check, source, event, field) has at most one ``firing`` alert; firing again after
a resolution opens a new row, so the resolved ones are the history. Acknowledging stops repeat
notifications of that alert (its resolution is still announced); snoozing silences every
notification of it until the given time. Both end with the alert. ``apply`` turns a check
cycle's ``Transitions`` into these steps.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlmodel import Session, col, func, select

from governance.alerts.tables import AlertHistoryRow, AlertRow
from governance.clock import as_utc
from governance.errors import AlertNotFound, ValidationFailed
from governance.quality.transitions import AlertInput, Step, Transitions
from governance.registry.audit import record

SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}


def _dumps(value: Any) -> str:
    """JSON text; numpy numbers stay numbers (findings come from numpy)."""
    return orjson.dumps(value, default=str, option=orjson.OPT_SERIALIZE_NUMPY).decode()


def history(session: Session, alert_id: int, action: str, now: datetime, actor: str = "scheduler",
            details: Any = None) -> None:
    """One history row of an alert (fired, resolved, acked, silenced, inhibited, correlated, notified, ...)."""
    session.add(AlertHistoryRow(alert_id=alert_id, at=now, action=action, actor=actor, details=_dumps(details or {})))


_history = history


def onset(details: dict[str, Any], now: datetime) -> datetime | None:
    """The estimated onset of a finding: its own ``onset`` (ISO), the last event of a silence, the start
    of the window that judged it; ``None`` when the finding says nothing of it."""
    given = details.get("onset")
    if isinstance(given, str):
        try:
            return as_utc(datetime.fromisoformat(given))
        except ValueError:
            pass
    for key in ("last_seen_minutes_ago", "window_minutes"):
        value = details.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 7 * 24 * 60:
            return now - timedelta(minutes=float(value))
    return None


def active(session: Session, fingerprint: str) -> AlertRow | None:
    return session.exec(select(AlertRow).where(AlertRow.fingerprint == fingerprint,
                                               AlertRow.status == "firing")).first()


def fire(session: Session, alert: AlertInput, now: datetime) -> AlertRow:
    """Open an alert for the fingerprint, or refresh the one already firing."""
    row = active(session, alert.fingerprint)
    if row is None:
        row = AlertRow(fingerprint=alert.fingerprint, check_id=alert.check_id, check_kind=alert.check_kind,
                       source_id=alert.source_id, source_name=alert.source_name, event=alert.event,
                       field=alert.field, severity=alert.severity, status="firing", title=alert.title,
                       summary=alert.summary, details=_dumps(alert.details), owner=alert.owner,
                       labels=_dumps(alert.labels), started_at=now, last_firing_at=now,
                       onset_at=_before(onset(alert.details, now), now))
        session.add(row)
        session.flush()
        assert row.id is not None
        _history(session, row.id, "fired", now, details={"summary": alert.summary})
        return row
    row.title, row.summary, row.details = alert.title, alert.summary, _dumps(alert.details)
    row.severity, row.owner, row.labels, row.last_firing_at = alert.severity, alert.owner, _dumps(alert.labels), now
    session.add(row)
    return row


def _before(moment: datetime | None, now: datetime) -> datetime | None:
    return min(moment, now) if moment is not None else None


def keep_firing(session: Session, fingerprint: str, now: datetime) -> None:
    """The condition cleared but ``keep_firing_for`` holds the alert: it is still firing."""
    row = active(session, fingerprint)
    if row is not None:
        row.last_firing_at = now
        session.add(row)


def resolve(session: Session, fingerprint: str, now: datetime, reason: str = "condition cleared") -> AlertRow | None:
    row = active(session, fingerprint)
    if row is None:
        return None
    row.status, row.resolved_at = "resolved", now
    session.add(row)
    assert row.id is not None
    _history(session, row.id, "resolved", now, details={"reason": reason})
    return row


def resolve_checks(session: Session, check_ids: list[str], now: datetime, reason: str) -> int:
    """Resolve every firing alert of these checks (deleted or disabled checks)."""
    rows = session.exec(select(AlertRow).where(col(AlertRow.check_id).in_(check_ids),
                                               AlertRow.status == "firing")).all()
    for row in rows:
        resolve(session, row.fingerprint, now, reason)
    return len(rows)


def apply(session: Session, transitions: Transitions) -> None:
    """A check cycle's transitions as alert steps, in order (the worker calls this inside the
    cycle's own write transaction)."""
    now = transitions.now
    if transitions.retired:
        resolve_checks(session, transitions.retired, now, "check removed or disabled")
    for t in transitions.steps:
        if t.step is Step.FIRED and t.alert is not None:
            fire(session, t.alert, now)
        elif t.step is Step.KEPT:
            keep_firing(session, t.fingerprint, now)
        elif t.step is Step.RESOLVED:
            resolve(session, t.fingerprint, now)


def get_alert(session: Session, alert_id: int) -> AlertRow:
    row = session.get(AlertRow, alert_id)
    if row is None:
        raise AlertNotFound(f"alert {alert_id} not found")
    return row


def history_of(session: Session, alert_id: int) -> list[AlertHistoryRow]:
    query = select(AlertHistoryRow).where(AlertHistoryRow.alert_id == alert_id).order_by(col(AlertHistoryRow.id))
    return list(session.exec(query).all())


def list_alerts(session: Session, *, status: str | None = None, source_id: str | None = None,
                check_kind: str | None = None, check_id: str | None = None, event: str | None = None,
                acked: bool | None = None, limit: int, offset: int) -> tuple[list[AlertRow], int]:
    """Alerts, newest first, filtered."""
    conditions: list[Any] = []
    if status:
        conditions.append(AlertRow.status == status)
    if source_id:
        conditions.append(AlertRow.source_id == source_id)
    if check_kind:
        conditions.append(AlertRow.check_kind == check_kind)
    if check_id:
        conditions.append(AlertRow.check_id == check_id)
    if event is not None:
        conditions.append(AlertRow.event == event)
    if acked is not None:
        conditions.append(col(AlertRow.acked_at).is_not(None) if acked else col(AlertRow.acked_at).is_(None))
    query = select(AlertRow).where(*conditions).order_by(col(AlertRow.id).desc()).offset(offset).limit(limit)
    count = session.exec(select(func.count()).select_from(AlertRow).where(*conditions)).one()
    return list(session.exec(query).all()), int(count)


def ack(session: Session, alert_id: int, *, actor: str, now: datetime, comment: str | None = None) -> AlertRow:
    row = get_alert(session, alert_id)
    row.acked_at, row.acked_by = now, actor
    session.add(row)
    _history(session, alert_id, "acked", now, actor, {"comment": comment} if comment else None)
    record(session, actor=actor, action="alert.ack", entity="alert", entity_id=str(alert_id),
           details={"comment": comment})
    return row


def unack(session: Session, alert_id: int, *, actor: str, now: datetime) -> AlertRow:
    row = get_alert(session, alert_id)
    row.acked_at, row.acked_by = None, None
    session.add(row)
    _history(session, alert_id, "unacked", now, actor)
    record(session, actor=actor, action="alert.unack", entity="alert", entity_id=str(alert_id))
    return row


def snooze(session: Session, alert_id: int, *, until: datetime, actor: str, now: datetime,
           comment: str | None = None) -> AlertRow:
    if until <= now:
        raise ValidationFailed("until: a snooze must end in the future", details=[{"path": "until"}])
    row = get_alert(session, alert_id)
    row.snoozed_until, row.snoozed_by = until, actor
    session.add(row)
    _history(session, alert_id, "snoozed", now, actor, {"until": until.isoformat(), "comment": comment})
    record(session, actor=actor, action="alert.snooze", entity="alert", entity_id=str(alert_id),
           details={"until": until.isoformat(), "comment": comment})
    return row


def unsnooze(session: Session, alert_id: int, *, actor: str, now: datetime) -> AlertRow:
    row = get_alert(session, alert_id)
    row.snoozed_until, row.snoozed_by = None, None
    session.add(row)
    _history(session, alert_id, "unsnoozed", now, actor)
    record(session, actor=actor, action="alert.unsnooze", entity="alert", entity_id=str(alert_id))
    return row


def notified(session: Session, alert_ids: list[int], *, channel_id: str, status: str, now: datetime) -> None:
    for alert_id in alert_ids:
        _history(session, alert_id, "notified", now, details={"channel_id": channel_id, "status": status})
