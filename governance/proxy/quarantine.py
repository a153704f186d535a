"""Browsing and replaying the quarantine and the dead letter.

Replay re-judges each quarantined event through the source's *current* plan and transformations.
Events that now pass go to the outbox in the same transaction that marks them replayed, so a
quarantined event is forwarded at most once (a messageId already waiting in the outbox is not
queued again; a copy that was forwarded the first time was deduplicated, never quarantined).
Events still blocked stay in the quarantine with ``replay_outcome`` noting why; so do events a
parse-time limit refused (too deep, too large, a NUL), whose stored form is not the message. A
suppressed user's events (privacy regulations) are never replayed, from the quarantine or the dead
letter: they stay where they are (``still_suppressed``) until the suppression is lifted or a
deletion purges them.

A replayed event keeps the time it was first received as its outbox row's ``created_at``, so the
conservation ledger counts it where it was received (and the latency metric includes its wait).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Engine, and_, delete, func, insert, or_, select, update

from governance.clock import utcnow
from governance.db import writer
from governance.proxy import outbox_batch
from governance.proxy.limits import LIMIT_CODES
from governance.proxy.pipeline import SourceState, judge
from governance.proxy.spec import now_iso
from governance.proxy.suppression import EMPTY, Suppressions
from governance.proxy.tables import DeadLetterRow, OutboxRow, QuarantineRow


@dataclass
class QuarantineFilter:
    source_id: str | None = None
    reason: str | None = None
    event: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    ids: list[int] | None = None
    include_replayed: bool = False

    def apply(self, query: Any, table: Any) -> Any:
        if self.source_id:
            query = query.where(table.c.source_id == self.source_id)
        if self.reason:
            query = query.where(table.c.reason == self.reason)
        if self.event:
            query = query.where(table.c.event == self.event)
        if self.since:
            query = query.where(table.c.received_at >= self.since)
        if self.until:
            query = query.where(table.c.received_at < self.until)
        if self.ids:
            query = query.where(table.c.id.in_(self.ids))
        if not self.include_replayed:
            query = query.where(table.c.replayed_at.is_(None))
        return query


def list_quarantine(engine: Engine, flt: QuarantineFilter, *, limit: int, offset: int) -> tuple[list[dict], int]:
    table = QuarantineRow.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        rows = conn.execute(flt.apply(select(table), table).order_by(table.c.id.desc()).offset(offset).limit(limit))
        total = conn.execute(flt.apply(select(func.count()).select_from(table), table)).scalar_one()
        return [_quarantine_public(r) for r in rows], int(total)


def _quarantine_public(row: Any) -> dict[str, Any]:
    return {
        "id": row.id, "source_id": row.source_id, "message_id": row.message_id, "type": row.kind,
        "event": row.event, "reason": row.reason, "violations": orjson.loads(row.violations),
        "plan_version": row.plan_version, "received_at": row.received_at, "payload": orjson.loads(row.payload),
        "replayed_at": row.replayed_at, "replay_outcome": row.replay_outcome,
    }


def replay_quarantine(engine: Engine, states: dict[str, SourceState], flt: QuarantineFilter, *, limit: int,
                      salt: bytes, max_depth: int, suppressions: Suppressions = EMPTY) -> dict[str, Any]:
    """Re-judge matching quarantined events; forward those that now pass (once)."""
    table = QuarantineRow.__table__  # type: ignore[attr-defined]
    outbox = OutboxRow.__table__  # type: ignore[attr-defined]
    summary = {"matched": 0, "forwarded": 0, "still_blocked": 0, "already_forwarded": 0, "no_source": 0,
               "suppressed": 0}
    now = utcnow()
    with writer(engine).begin() as conn:
        rows = list(conn.execute(flt.apply(select(table), table).order_by(table.c.id).limit(limit)))
        summary["matched"] = len(rows)
        for row in rows:
            state = states.get(row.source_id)
            if state is None:
                summary["no_source"] += 1
                continue
            refused = {v.get("code") for v in orjson.loads(row.violations)} & LIMIT_CODES
            if refused:  # what is kept of a message a limit refused is not the message: never forwarded
                summary["still_blocked"] += 1
                conn.execute(update(table).where(table.c.id == row.id).values(
                    replay_outcome=f"still_rejected:{min(refused)}"[:40]))
                continue
            if state.mode == "shadow":  # replay acts: judge as enforce would
                state = SourceState(**{**state.__dict__, "mode": "enforce"})
            payload = orjson.loads(row.payload)
            if suppressions.suppressed(row.source_id, payload) is not None:
                summary["suppressed"] += 1
                conn.execute(update(table).where(table.c.id == row.id).values(replay_outcome="still_suppressed"))
                continue
            # the event was received when it first arrived: its relayed sentAt is measured from then
            first = payload.get("receivedAt") if isinstance(payload, dict) else None
            received_at = first if isinstance(first, str) and first else now_iso()
            verdict = judge(payload, state, kind=None, received_at=received_at, max_depth=max_depth, salt=salt)
            outcome = verdict.outcome
            if verdict.forward is not None:
                message_id = verdict.message_id[:200]  # as the outbox column holds it
                if _waiting(conn, outbox, row.source_id, message_id):
                    outcome = "already_forwarded"
                    summary["already_forwarded"] += 1
                else:
                    conn.execute(insert(outbox).values(
                        source_id=row.source_id, message_id=message_id, payload=orjson.dumps(verdict.forward).decode(),
                        created_at=row.received_at, next_attempt_at=now, attempts=0))
                    summary["forwarded"] += 1
                conn.execute(update(table).where(table.c.id == row.id).values(replayed_at=now, replay_outcome=outcome))
            else:
                summary["still_blocked"] += 1
                conn.execute(update(table).where(table.c.id == row.id).values(
                    replay_outcome=f"still_{outcome}:{verdict.reason or ''}"[:40]))
    return summary


def _waiting(conn: Any, outbox: Any, source_id: str, message_id: str) -> bool:
    """Whether an event of this messageId waits in the source's outbox: a row's first event is its
    ``message_id``; the others are found in its payload (a ``LIKE`` prefilter, then parsed)."""
    found = conn.execute(select(outbox.c.message_id, outbox.c.events, outbox.c.payload).where(
        outbox.c.source_id == source_id,
        or_(outbox.c.message_id == message_id,
            and_(outbox.c.events > 1, outbox.c.payload.like(outbox_batch.message_like(message_id), escape="\\")))))
    return any(r.message_id == message_id or outbox_batch.holds_message(r.payload, message_id) for r in found)


def _dead_letter_where(query: Any, table: Any, source_id: str | None, since: datetime | None,
                       until: datetime | None) -> Any:
    """Dead letters not replayed yet, of one source and dead-lettered in ``[since, until)`` when given."""
    query = query.where(table.c.replayed_at.is_(None))
    if source_id:
        query = query.where(table.c.source_id == source_id)
    if since:
        query = query.where(table.c.created_at >= since)
    if until:
        query = query.where(table.c.created_at < until)
    return query


def list_dead_letter(engine: Engine, *, source_id: str | None, limit: int, offset: int, since: datetime | None = None,
                     until: datetime | None = None) -> tuple[list[dict], int]:
    table = DeadLetterRow.__table__  # type: ignore[attr-defined]
    query = _dead_letter_where(select(table), table, source_id, since, until)
    count = _dead_letter_where(select(func.count()).select_from(table), table, source_id, since, until)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(table.c.id.desc()).offset(offset).limit(limit))
        data = [{"id": r.id, "source_id": r.source_id, "message_id": r.message_id, "reason": r.reason,
                 "attempts": r.attempts, "first_attempt_at": r.first_attempt_at, "created_at": r.created_at,
                 "payload": orjson.loads(r.payload)} for r in rows]
        return data, int(conn.execute(count).scalar_one())


def replay_dead_letter(engine: Engine, *, source_id: str | None, ids: list[int] | None, limit: int,
                       since: datetime | None = None, until: datetime | None = None,
                       suppressions: Suppressions = EMPTY) -> int:
    """Move dead-lettered events back to the outbox for another round of tries (a suppressed user's stay)."""
    table = DeadLetterRow.__table__  # type: ignore[attr-defined]
    outbox = OutboxRow.__table__  # type: ignore[attr-defined]
    query = _dead_letter_where(select(table), table, source_id, since, until)
    if ids:
        query = query.where(table.c.id.in_(ids))
    now = utcnow()
    with writer(engine).begin() as conn:
        rows = [r for r in conn.execute(query.order_by(table.c.id).limit(limit))
                if not suppressions.suppressed(r.source_id, orjson.loads(r.payload))]
        if rows:
            conn.execute(insert(outbox), [{"source_id": r.source_id, "message_id": r.message_id, "payload": r.payload,
                                           "created_at": r.first_attempt_at, "next_attempt_at": now, "attempts": 0}
                                          for r in rows])
            conn.execute(delete(table).where(table.c.id.in_([r.id for r in rows])))
    return len(rows)
