"""Per-source transformations (ordered), validated against the registered actions."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import ValidationError
from sqlmodel import Session, col, select

from governance.clock import utcnow
from governance.errors import NotFound, ValidationFailed
from governance.registry.audit import bump_config, record
from governance.registry.secrets import new_id
from governance.registry.sources import get_source
from governance.registry.tables import TransformationRow
from governance.registry.transformation_spec import TransformationSpec


def parse_spec(body: dict[str, Any]) -> TransformationSpec:
    try:
        return TransformationSpec.model_validate(body)
    except ValidationError as exc:
        details = [{"path": ".".join(map(str, e["loc"])), "message": e["msg"].removeprefix("Value error, ")}
                   for e in exc.errors()]
        raise ValidationFailed(f"{details[0]['path'] or 'transformation'}: {details[0]['message']}",
                               details=details) from None


def to_public(row: TransformationRow) -> dict[str, Any]:
    spec = orjson.loads(row.spec)
    return {"id": row.id, "source_id": row.source_id, "position": row.position, "name": row.name,
            "enabled": row.enabled, **spec, "created_at": row.created_at, "updated_at": row.updated_at}


def list_transformations(session: Session, *, source: str) -> list[TransformationRow]:
    row = get_source(session, source)
    query = select(TransformationRow).where(TransformationRow.source_id == row.id)
    return list(session.exec(query.order_by(col(TransformationRow.position), col(TransformationRow.created_at))))


def _store(spec: TransformationSpec) -> str:
    return orjson.dumps({"if": spec.condition.model_dump(exclude_none=True), "action": spec.action,
                         "params": spec.params}).decode()


def create_transformation(session: Session, *, source: str, body: dict[str, Any], actor: str) -> TransformationRow:
    src = get_source(session, source)
    spec = parse_spec({k: v for k, v in body.items() if k != "position"})
    existing = list_transformations(session, source=src.id)
    position = body.get("position")
    if not isinstance(position, int):
        position = max((t.position for t in existing), default=-1) + 1  # after the last, even after deletes
    row = TransformationRow(id=new_id("tr"), source_id=src.id, position=position, name=spec.name,
                            enabled=spec.enabled, spec=_store(spec))
    session.add(row)
    session.flush()
    record(session, actor=actor, action="transformation.create", entity="source", entity_id=src.id,
           details={"transformation": row.id, "name": spec.name, "action": spec.action})
    bump_config(session)
    return row


def _get(session: Session, source: str, transformation_id: str) -> TransformationRow:
    src = get_source(session, source)
    row = session.get(TransformationRow, transformation_id)
    if row is None or row.source_id != src.id:
        raise NotFound(f"transformation {transformation_id!r} not found on source {src.name!r}")
    return row


def update_transformation(session: Session, *, source: str, transformation_id: str, body: dict[str, Any],
                          actor: str) -> TransformationRow:
    row = _get(session, source, transformation_id)
    current = {"name": row.name, "enabled": row.enabled, **orjson.loads(row.spec)}
    spec = parse_spec({**current, **{k: v for k, v in body.items() if k != "position"}})
    row.name, row.enabled, row.spec = spec.name, spec.enabled, _store(spec)
    if isinstance(body.get("position"), int):
        row.position = body["position"]
    row.updated_at = utcnow()
    session.add(row)
    record(session, actor=actor, action="transformation.update", entity="source", entity_id=row.source_id,
           details={"transformation": row.id})
    bump_config(session)
    return row


def delete_transformation(session: Session, *, source: str, transformation_id: str, actor: str) -> None:
    row = _get(session, source, transformation_id)
    session.delete(row)
    record(session, actor=actor, action="transformation.delete", entity="source", entity_id=row.source_id,
           details={"transformation": row.id})
    bump_config(session)
