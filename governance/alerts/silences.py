"""Silences and maintenance windows, as Alertmanager has them: matchers and a time range.

A silence mutes the notifications of every firing alert all its matchers accept (``matchers``)
while it is **active**; the alert keeps firing and its history says which silence muted it
(``muting``). It is created ahead of time, so it may be **pending**; it is **expired** once its
end has passed or someone expired it. A recurring silence (``recurrence``) is active during each
occurrence of its rule, pending between them, and expired after the last one. An expired silence
stays listed for ``silence_retention_days`` after it ended, then the hourly housekeeping deletes it
(``prune``; the alerts' history keeps its id and comment).

Every mutation writes an audit row. Times are aware UTC ``datetime``s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlmodel import Session, col, select

from governance import matchers as m
from governance.alerts.recurrence import MAX_DURATION, RecurrenceError, Window, around, first_window, zone
from governance.alerts.tables import SilenceRow
from governance.errors import SilenceExpired, SilenceNotFound, ValidationFailed
from governance.registry.audit import record
from governance.registry.secrets import new_id

State = Literal["active", "pending", "expired"]


@dataclass(frozen=True)
class Recurrence:
    rrule: str
    duration: timedelta
    timezone: str = "UTC"


@dataclass(frozen=True)
class Status:
    """Where a silence stands at a moment: its state, the window holding it, and the next window."""

    state: State
    current: Window | None = None
    next: Window | None = None


def _invalid(path: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{path}: {message}", details=[{"path": path, "message": message}])


def status(row: SilenceRow, now: datetime) -> Status:
    if row.expired_at is not None and row.expired_at <= now:
        return Status("expired")
    if row.rrule is None:
        end = row.ends_at or row.starts_at
        if now < row.starts_at:
            return Status("pending", next=Window(row.starts_at, end))
        return Status("active", current=Window(row.starts_at, end)) if now < end else Status("expired")
    try:
        current, following = around(row.rrule, row.starts_at, row.timezone, timedelta(seconds=row.duration_s or 0),
                                    now, row.ends_at)
    except RecurrenceError:  # stored before a rule was refused: it mutes nothing
        return Status("expired")
    if current is not None:
        return Status("active", current=current, next=following)
    return Status("pending", next=following) if following is not None else Status("expired")


def active(session: Session, now: datetime) -> list[tuple[SilenceRow, tuple[m.Matcher, ...]]]:
    """The silences active at ``now``, with their matchers (parsed once per distinct text), oldest first;
    silences that have not started or have ended are not even read."""
    query = select(SilenceRow).where(
        col(SilenceRow.starts_at) <= now,
        col(SilenceRow.expired_at).is_(None) | (col(SilenceRow.expired_at) > now),
        col(SilenceRow.rrule).is_not(None) | (col(SilenceRow.ends_at) > now))
    rows = session.exec(query.order_by(col(SilenceRow.created_at), col(SilenceRow.id))).all()
    return [(r, m.load_cached(r.matchers)) for r in rows if status(r, now).state == "active"]


def ended_at(row: SilenceRow, now: datetime) -> datetime | None:
    """When an expired silence ended (expired by hand, its end, or its series' last occurrence's end);
    ``None`` while it may still mute."""
    if status(row, now).state != "expired":
        return None
    natural = None
    if row.rrule is None:
        natural = row.ends_at or row.starts_at
    elif row.ends_at is not None:
        natural = row.ends_at + timedelta(seconds=row.duration_s or 0)
    ends = [t for t in (row.expired_at, natural) if t is not None]
    return min(ends) if ends else row.updated_at  # a rule refused after it was stored: since it last changed


def prune(session: Session, now: datetime, retention: timedelta) -> int:
    """Delete the silences that ended more than ``retention`` ago (Alertmanager's ``--data.retention``:
    until then an expired silence is still listed, as history); how many."""
    cutoff = now - retention
    old = session.exec(select(SilenceRow).where(
        (col(SilenceRow.expired_at) < cutoff) | (col(SilenceRow.ends_at) < cutoff) |
        (col(SilenceRow.rrule).is_not(None) & (col(SilenceRow.updated_at) < cutoff)))).all()
    gone = [r for r in old if (ended := ended_at(r, now)) is not None and ended < cutoff]
    for row in gone:
        session.delete(row)
    return len(gone)


def create(session: Session, *, matchers: list[m.Matcher], comment: str, starts_at: datetime | None,
           ends_at: datetime | None, recurrence: Recurrence | None, actor: str,
           now: datetime) -> SilenceRow:
    """A new silence; ``ValidationFailed`` (with its path) when it could never mute anything."""
    if not matchers:
        raise _invalid("matchers", "give at least one matcher (a silence of everything is refused)")
    if all(_matches_empty(x) for x in matchers):
        raise _invalid("matchers", "every matcher accepts the empty value: this silence would mute every alert")
    start = starts_at or now
    if recurrence is None:
        if ends_at is None:
            raise _invalid("ends_at", "a one-off silence needs ends_at (or give a recurrence)")
        if ends_at <= start:
            raise _invalid("ends_at", "ends_at must be after starts_at")
        if ends_at <= now:
            raise _invalid("ends_at", "ends_at is in the past")
    else:
        _check_recurrence(recurrence, start, ends_at, now)
    row = SilenceRow(id=new_id("sil"), matchers=m.dump(matchers), comment=comment, created_by=actor, starts_at=start,
                     ends_at=ends_at, rrule=recurrence.rrule.strip() if recurrence else None,
                     duration_s=int(recurrence.duration.total_seconds()) if recurrence else None,
                     timezone=recurrence.timezone if recurrence else "UTC", created_at=now, updated_at=now)
    session.add(row)
    record(session, actor=actor, action="silence.create", entity="silence", entity_id=row.id,
           details={"matchers": [x.text() for x in matchers], "comment": comment, "starts_at": start.isoformat(),
                    "ends_at": ends_at.isoformat() if ends_at else None, "rrule": row.rrule})
    return row


def _matches_empty(matcher: m.Matcher) -> bool:
    return m.matches(matcher, {})


def _check_recurrence(rec: Recurrence, start: datetime, until: datetime | None, now: datetime) -> None:
    if not timedelta(minutes=1) <= rec.duration <= MAX_DURATION:
        raise _invalid("recurrence.duration_minutes", f"between 1 minute and {MAX_DURATION.days} days")
    try:
        zone(rec.timezone)
        first = first_window(rec.rrule, start, rec.timezone, rec.duration)
        current, following = around(rec.rrule, start, rec.timezone, rec.duration, now, until)
    except RecurrenceError as exc:
        raise _invalid(f"recurrence.{exc.field}", str(exc)) from None
    if first is None or (until is not None and first.start >= until):
        raise _invalid("recurrence.rrule", "the rule has no occurrence")
    if current is None and following is None:
        raise _invalid("recurrence.rrule", "every occurrence of the rule has passed")


def get(session: Session, silence_id: str) -> SilenceRow:
    row = session.get(SilenceRow, silence_id)
    if row is None:
        raise SilenceNotFound(f"silence {silence_id!r} not found")
    return row


def list_silences(session: Session, *, now: datetime, state: State | None, limit: int,
                  offset: int) -> tuple[list[SilenceRow], int]:
    """Silences, newest first, optionally in one state (states depend on ``now``: filtered here)."""
    rows = session.exec(select(SilenceRow).order_by(col(SilenceRow.created_at).desc(), col(SilenceRow.id))).all()
    kept = [r for r in rows if state is None or status(r, now).state == state]
    return kept[offset : offset + limit], len(kept)


def expire(session: Session, silence_id: str, *, actor: str, now: datetime) -> SilenceRow:
    """End a silence now (an active one stops muting; a pending one never starts)."""
    row = get(session, silence_id)
    if status(row, now).state == "expired":
        raise SilenceExpired(f"silence {silence_id!r} has already ended")
    row.expired_at, row.expired_by, row.updated_at = now, actor, now
    session.add(row)
    record(session, actor=actor, action="silence.expire", entity="silence", entity_id=row.id)
    return row


def public(row: SilenceRow, now: datetime) -> dict[str, Any]:
    """A silence as the API shows it, with its state at ``now``."""
    st = status(row, now)
    recurrence = None
    if row.rrule is not None:
        recurrence = {"rrule": row.rrule, "duration_minutes": (row.duration_s or 0) / 60, "timezone": row.timezone}
    return {"id": row.id, "state": st.state, "matchers": [x.model_dump() for x in m.load(row.matchers)],
            "comment": row.comment, "created_by": row.created_by, "starts_at": row.starts_at, "ends_at": row.ends_at,
            "recurrence": recurrence, "created_at": row.created_at, "updated_at": row.updated_at,
            "expired_at": row.expired_at, "expired_by": row.expired_by,
            "current": {"start": st.current.start, "end": st.current.end} if st.current else None,
            "next": {"start": st.next.start, "end": st.next.end} if st.next else None}
