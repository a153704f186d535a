"""Teaching: a fired alert marked "expected" (a campaign, a launch, a planned migration) leaves its
period out of the history the baselines read, so it does not poison the following weeks.

``mark_expected`` stores an ``ExpectedPeriodRow`` (source, event, start, end); ``SourceData.history``
reads every hour that overlaps one as unknown (``NaN``), exactly as an hour nobody counted: the
same-hour-of-week and last-seven-days estimates, today's level, the minute shapes and the decline
reference are computed from the other hours. An open period (``ends_at`` null, its alert still
firing) lasts until its alert resolves (the worker closes it). The caller (REST, CLI) reads the
alert and passes what the period needs: this module knows nothing of alerts and imports no numpy
(the web process uses it).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, or_
from sqlmodel import Session, col, select

from governance.clock import as_utc
from governance.errors import ValidationFailed
from governance.quality.tables import ExpectedPeriodRow
from governance.registry.audit import record

TEACHABLE = ("volume", "silence", "decline")  # the kinds whose alerts judge against the history
MAX_SPAN = timedelta(days=31)  # the checks read at most 31 days back


def mark_expected(session: Session, *, source_id: str, event: str, starts_at: datetime, ends_at: datetime | None,
                  alert_id: int | None, note: str, actor: str, now: datetime) -> ExpectedPeriodRow:
    """Store an expected period (``ValidationFailed`` with a path when it makes no sense), audited."""
    starts_at = as_utc(starts_at)
    ends_at = as_utc(ends_at) if ends_at is not None else None
    if starts_at > now:
        raise ValidationFailed("starts_at: an expected period starts in the past", details=[{"path": "starts_at"}])
    if ends_at is not None and ends_at <= starts_at:
        raise ValidationFailed("ends_at: must be after starts_at", details=[{"path": "ends_at"}])
    if (ends_at or now) - starts_at > MAX_SPAN:
        raise ValidationFailed("ends_at: an expected period lasts at most 31 days", details=[{"path": "ends_at"}])
    row = ExpectedPeriodRow(source_id=source_id, event=event, starts_at=starts_at, ends_at=ends_at,
                            alert_id=alert_id, note=note, created_by=actor, created_at=now)
    session.add(row)
    session.flush()
    record(session, actor=actor, action="alert.expected", entity="alert", entity_id=str(alert_id or ""),
           details={"period": row.id, "source_id": source_id, "event": event, "starts_at": starts_at.isoformat(),
                    "ends_at": ends_at.isoformat() if ends_at else None, "note": note})
    return row


def list_periods(session: Session, *, source_id: str | None = None, alert_id: int | None = None,
                 limit: int = 100, offset: int = 0) -> tuple[list[ExpectedPeriodRow], int]:
    query = select(ExpectedPeriodRow)
    if source_id is not None:
        query = query.where(ExpectedPeriodRow.source_id == source_id)
    if alert_id is not None:
        query = query.where(ExpectedPeriodRow.alert_id == alert_id)
    rows = list(session.exec(query.order_by(col(ExpectedPeriodRow.starts_at).desc())).all())
    return rows[offset : offset + limit], len(rows)


def delete_period(session: Session, period_id: int, *, actor: str) -> bool:
    """Forget a period (its hours count again); ``False`` when there is none."""
    row = session.get(ExpectedPeriodRow, period_id)
    if row is None:
        return False
    session.delete(row)
    record(session, actor=actor, action="alert.expected.delete", entity="alert", entity_id=str(row.alert_id or ""),
           details={"period": period_id})
    return True


def periods_between(engine: Engine, source_id: str, start: datetime, end: datetime,
                    now: datetime) -> list[tuple[str, datetime, datetime]]:
    """``(event, starts_at, ends_at)`` of the periods of ``source_id`` overlapping ``[start, end)``; an
    open one ends ``now``."""
    query = select(ExpectedPeriodRow).where(
        ExpectedPeriodRow.source_id == source_id, ExpectedPeriodRow.starts_at < end,
        or_(col(ExpectedPeriodRow.ends_at).is_(None), col(ExpectedPeriodRow.ends_at) > start))
    with Session(engine) as session:
        return [(r.event, as_utc(r.starts_at), as_utc(r.ends_at) if r.ends_at else now)
                for r in session.exec(query).all()]
