"""Sources: where events come from, the plan they are judged by, and where they go.

A source has write keys (stored hashed; rotation adds a key and keeps the old one valid until it
is revoked), one bound plan (the latest version or a pinned one), an upstream, a mode
(``enforce`` or ``shadow``) and Segment's schema controls.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from pydantic import ValidationError
from sqlmodel import Session, col, func, select

from governance.clock import utcnow
from governance.errors import AlreadyExists, NotFound, SourceNotFound, ValidationFailed
from governance.registry.audit import bump_config, record
from governance.registry.plans import get_plan
from governance.registry.secrets import display_prefix, hash_secret, new_id, new_secret
from governance.registry.source_settings import SourceSettings
from governance.registry.tables import SourceRow, TransformationRow, WriteKeyRow

MODES = ("enforce", "shadow")


def settings_of(row: SourceRow) -> SourceSettings:
    return SourceSettings.model_validate(orjson.loads(row.settings))


def get_source(session: Session, ref: str, *, lock: bool = False) -> SourceRow:
    query = select(SourceRow).where((SourceRow.id == ref) | (SourceRow.name == ref))
    if lock:
        query = query.with_for_update()
    row = session.exec(query).first()
    if row is None:
        raise SourceNotFound(f"source {ref!r} not found")
    return row


def list_sources(session: Session, *, limit: int, offset: int) -> tuple[list[SourceRow], int]:
    rows = session.exec(select(SourceRow).order_by(SourceRow.name).offset(offset).limit(limit)).all()
    return list(rows), session.exec(select(func.count()).select_from(SourceRow)).one()


REFERENCES = ("forwardingViolationsTo", "forwardingBlockedEventsTo")


def _check_references(session: Session, settings: SourceSettings, source_id: str | None,
                      names: Iterable[str] = REFERENCES) -> None:
    """``forwardingViolationsTo`` and ``forwardingBlockedEventsTo`` must name a source (by id or name)."""
    for name in names:
        ref = getattr(settings, name)
        if ref is None:
            continue
        target = session.exec(select(SourceRow).where((SourceRow.id == ref) | (SourceRow.name == ref))).first()
        if target is None:
            raise ValidationFailed(f"settings.{name}: no source {ref!r}", details=[{"path": f"settings.{name}"}])
        if name == "forwardingBlockedEventsTo" and target.id == source_id:
            raise ValidationFailed(f"settings.{name}: a source cannot forward its blocked events to itself",
                                   details=[{"path": f"settings.{name}"}])


def _validate_fields(session: Session, fields: dict[str, Any], source_id: str | None = None) -> dict[str, Any]:
    out = dict(fields)
    for required in ("name", "mode"):
        if required in out and out[required] is None:
            raise ValidationFailed(f"{required}: must not be null", details=[{"path": required}])
    if "mode" in out and out["mode"] not in MODES:
        raise ValidationFailed(f"mode: must be one of {list(MODES)}", details=[{"path": "mode"}])
    if out.get("plan") is not None:
        out["plan_id"] = get_plan(session, out.pop("plan")).id
    elif "plan" in out:
        out.pop("plan")
        out["plan_id"] = None
    if "settings" in out:
        try:
            settings = SourceSettings.model_validate(out["settings"] or {})
        except ValidationError as exc:
            raise ValidationFailed(
                "settings: invalid schema controls",
                details=[{"path": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()],
            ) from None
        _check_references(session, settings, source_id)
        out["settings"] = orjson.dumps(settings.model_dump()).decode()
    return out


def create_source(session: Session, *, fields: dict[str, Any], actor: str) -> tuple[SourceRow, str]:
    """Create a source and its first write key; the key is returned once and never again."""
    if session.exec(select(SourceRow).where(SourceRow.name == fields["name"])).first() is not None:
        raise AlreadyExists(f"a source named {fields['name']!r} already exists")
    values = _validate_fields(session, fields)
    row = SourceRow(id=new_id("src"), **values)
    session.add(row)
    session.flush()
    key = _add_key(session, row.id)
    record(session, actor=actor, action="source.create", entity="source", entity_id=row.id,
           details={"name": row.name, "plan_id": row.plan_id})
    bump_config(session)
    return row, key


def update_source(session: Session, *, ref: str, fields: dict[str, Any], actor: str) -> SourceRow:
    row = get_source(session, ref, lock=True)
    values = _validate_fields(session, fields, row.id)
    renamed = "name" in values and values["name"] != row.name
    if renamed and session.exec(select(SourceRow).where(SourceRow.name == values["name"])).first() is not None:
        raise AlreadyExists(f"a source named {values['name']!r} already exists")
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    session.add(row)
    audited = {k: v for k, v in fields.items() if k != "upstream_write_key"}
    record(session, actor=actor, action="source.update", entity="source", entity_id=row.id, details=audited)
    bump_config(session)
    return row


def patch_settings(session: Session, *, ref: str, patch: dict[str, Any], actor: str) -> SourceRow:
    row = get_source(session, ref, lock=True)
    try:
        merged = settings_of(row).merged(patch)
    except ValidationError as exc:
        raise ValidationFailed(
            "settings: invalid schema controls",
            details=[{"path": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()],
        ) from None
    _check_references(session, merged, row.id, [name for name in REFERENCES if name in patch])
    row.settings = orjson.dumps(merged.model_dump()).decode()
    row.updated_at = utcnow()
    session.add(row)
    record(session, actor=actor, action="source.settings", entity="source", entity_id=row.id, details=patch)
    bump_config(session)
    return row


def delete_source(session: Session, *, ref: str, actor: str) -> None:
    row = get_source(session, ref, lock=True)
    for key in session.exec(select(WriteKeyRow).where(WriteKeyRow.source_id == row.id)):
        session.delete(key)
    for transformation in session.exec(select(TransformationRow).where(TransformationRow.source_id == row.id)):
        session.delete(transformation)
    session.flush()
    session.delete(row)
    record(session, actor=actor, action="source.delete", entity="source", entity_id=row.id)
    bump_config(session)


def _add_key(session: Session, source_id: str) -> str:
    secret = new_secret("wk")
    session.add(WriteKeyRow(id=new_id("wk"), source_id=source_id, key_hash=hash_secret(secret),
                            prefix=display_prefix(secret)))
    return secret


def list_keys(session: Session, *, ref: str) -> list[WriteKeyRow]:
    row = get_source(session, ref)
    return list(session.exec(
        select(WriteKeyRow).where(WriteKeyRow.source_id == row.id).order_by(col(WriteKeyRow.created_at))
    ).all())


def rotate_key(session: Session, *, ref: str, actor: str) -> tuple[WriteKeyRow, str]:
    """A new write key; the old ones stay valid until revoked."""
    row = get_source(session, ref)
    secret = _add_key(session, row.id)
    session.flush()
    key = session.exec(select(WriteKeyRow).where(WriteKeyRow.key_hash == hash_secret(secret))).one()
    record(session, actor=actor, action="source.key_create", entity="source", entity_id=row.id,
           details={"key_id": key.id})
    bump_config(session)
    return key, secret


def revoke_key(session: Session, *, ref: str, key_id: str, actor: str) -> None:
    row = get_source(session, ref)
    key = session.get(WriteKeyRow, key_id)
    if key is None or key.source_id != row.id:
        raise NotFound(f"write key {key_id!r} not found on source {row.name!r}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        record(session, actor=actor, action="source.key_revoke", entity="source", entity_id=row.id,
               details={"key_id": key_id})
        bump_config(session)


def source_for_key(session: Session, secret: str) -> SourceRow | None:
    key = session.exec(
        select(WriteKeyRow).where(WriteKeyRow.key_hash == hash_secret(secret), col(WriteKeyRow.revoked_at).is_(None))
    ).first()
    return session.get(SourceRow, key.source_id) if key is not None else None
