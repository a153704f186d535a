"""Audit rows, written in the same transaction as the mutation they describe."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from sqlmodel import Session, col, func, select

from governance.clock import utcnow
from governance.registry.tables import ApiTokenRow, AuditRow, ConfigStateRow


def record(
    session: Session, *, actor: str, action: str, entity: str, entity_id: str, details: Any = None
) -> None:
    session.add(
        AuditRow(
            actor=actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            details=orjson.dumps(details or {}).decode(),
        )
    )


def list_audit(
    session: Session, *, entity: str | None = None, entity_id: str | None = None, actor: str | None = None,
    action: str | None = None, since: datetime | None = None, until: datetime | None = None, limit: int, offset: int,
) -> tuple[list[AuditRow], int]:
    """Newest first. ``action`` ending in ``.`` is a prefix (``alert.`` for every alert action)."""
    conditions: list[Any] = []
    for column, value in ((AuditRow.entity, entity), (AuditRow.entity_id, entity_id), (AuditRow.actor, actor)):
        if value:
            conditions.append(column == value)
    if action:
        conditions.append(col(AuditRow.action).startswith(action) if action.endswith(".")
                          else AuditRow.action == action)
    if since:
        conditions.append(col(AuditRow.at) >= since)
    if until:
        conditions.append(col(AuditRow.at) < until)
    query = select(AuditRow).where(*conditions).order_by(col(AuditRow.id).desc()).offset(offset).limit(limit)
    count = select(func.count()).select_from(AuditRow).where(*conditions)
    return list(session.exec(query).all()), session.exec(count).one()


def bump_config(session: Session) -> None:
    """Tell every web process that plans or sources changed (they poll ``config_seq``)."""
    row = session.get(ConfigStateRow, 1)
    if row is None:
        session.add(ConfigStateRow(id=1, seq=1))
    else:
        row.seq += 1
        row.changed_at = utcnow()
        session.add(row)


def config_seq(session: Session) -> int:
    row = session.get(ConfigStateRow, 1)
    return row.seq if row else 0


def last_change(session: Session, *, entity: str, entity_id: str) -> dict[str, Any] | None:
    """Who last changed an entity and when: ``{changed_by, changed_by_name, changed_at, action}``."""
    row = session.exec(select(AuditRow).where(AuditRow.entity == entity, AuditRow.entity_id == entity_id)
                       .order_by(col(AuditRow.id).desc()).limit(1)).first()
    if row is None:
        return None
    name = None
    if row.actor.startswith("token:"):
        token = session.get(ApiTokenRow, row.actor.removeprefix("token:"))
        name = token.name if token is not None else None
    at = row.at if row.at.tzinfo is not None else row.at.replace(tzinfo=UTC)  # SQLite keeps naive UTC
    return {"changed_by": row.actor, "changed_by_name": name, "changed_at": at.isoformat(), "action": row.action}
