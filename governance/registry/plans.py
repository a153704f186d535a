"""Plans, their one editable draft and their immutable published versions.

Every function takes the session of the caller's transaction and writes its audit row in it.
Concurrency: the draft carries a revision (the ETag); an edit names the revision it read and only
one edit per revision wins (``UPDATE ... WHERE draft_revision = ?``). Publishing locks the plan
row (``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) and the unique (plan, version)
constraint backs it up, so concurrent publishes of one draft make exactly one version.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import update
from sqlmodel import Session, col, func, select

from governance.clock import utcnow
from governance.errors import (
    AlreadyExists,
    IncompatiblePlan,
    NothingToPublish,
    PlanInUse,
    PlanInvalid,
    PlanNotFound,
    PreconditionFailed,
    PreconditionRequired,
    VersionNotFound,
)
from governance.plan.compatibility import Refusal, check_publish, classify, offending, resolve_mode
from governance.plan.compile import compile_validators, content_hash
from governance.plan.diff import Change, diff_plans
from governance.plan.loader import plan_from_data
from governance.plan.model import EventSpec, Plan
from governance.registry.audit import bump_config, last_change, record
from governance.registry.secrets import new_id
from governance.registry.tables import PlanRow, PlanVersionRow, SourceRow


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def etag_of(row: PlanRow) -> str:
    return f'"{row.id}.{row.draft_revision}"'


def parse_plan_body(body: Any) -> Plan:
    plan = plan_from_data(body)
    compile_validators(plan)  # raw schemas and patterns must compile before anything is stored
    return plan


def get_plan(session: Session, ref: str, *, include_deleted: bool = False, lock: bool = False) -> PlanRow:
    """A plan by id or by name."""
    query = select(PlanRow).where((PlanRow.id == ref) | (PlanRow.name == ref))
    if lock:
        query = query.with_for_update()
    row = session.exec(query).first()
    if row is None or (row.deleted_at is not None and not include_deleted):
        raise PlanNotFound(f"plan {ref!r} not found")
    return row


def list_plans(
    session: Session, *, limit: int, offset: int, include_deleted: bool = False
) -> tuple[list[PlanRow], int]:
    query = select(PlanRow)
    count = select(func.count()).select_from(PlanRow)
    if not include_deleted:
        query = query.where(col(PlanRow.deleted_at).is_(None))
        count = count.where(col(PlanRow.deleted_at).is_(None))
    rows = session.exec(query.order_by(PlanRow.name).offset(offset).limit(limit)).all()
    return list(rows), session.exec(count).one()


def create_plan(session: Session, *, plan: Plan, actor: str, compatibility: str | None = None) -> PlanRow:
    if session.exec(select(PlanRow).where(PlanRow.name == plan.name)).first() is not None:
        raise AlreadyExists(f"a plan named {plan.name!r} already exists")
    body = plan.body()
    row = PlanRow(
        id=new_id("pl"),
        name=plan.name,
        display_name=plan.display_name,
        description=plan.description,
        compatibility=compatibility or plan.compatibility or "BACKWARD",
        draft_body=_dumps(body),
        draft_hash=content_hash(body),
    )
    session.add(row)
    session.flush()
    record(session, actor=actor, action="plan.create", entity="plan", entity_id=row.id, details={"name": plan.name})
    return row


def update_plan_meta(session: Session, *, ref: str, changes: dict[str, Any], actor: str) -> PlanRow:
    row = get_plan(session, ref, lock=True)
    for key in ("display_name", "description", "compatibility"):
        if key in changes:
            setattr(row, key, changes[key])
    row.updated_at = utcnow()
    session.add(row)
    record(session, actor=actor, action="plan.update", entity="plan", entity_id=row.id, details=changes)
    return row


def delete_plan(session: Session, *, ref: str, permanent: bool, actor: str) -> None:
    """Soft delete first; ``permanent`` removes a soft-deleted plan and its versions for good."""
    row = get_plan(session, ref, include_deleted=True, lock=True)
    if permanent:
        bound = session.exec(select(SourceRow).where(SourceRow.plan_id == row.id)).first()
        if bound is not None:
            raise PlanInUse(f"plan {row.name!r} is bound to source {bound.name!r}; unbind it first")
        if row.deleted_at is None:
            raise PlanInUse(f"plan {row.name!r} must be soft-deleted before it is deleted permanently")
        for version in session.exec(select(PlanVersionRow).where(PlanVersionRow.plan_id == row.id)):
            session.delete(version)
        session.flush()
        session.delete(row)
        record(session, actor=actor, action="plan.delete_permanent", entity="plan", entity_id=row.id)
    else:
        if row.deleted_at is not None:
            raise PlanNotFound(f"plan {ref!r} not found")
        row.deleted_at = utcnow()
        session.add(row)
        record(session, actor=actor, action="plan.delete", entity="plan", entity_id=row.id)
    bump_config(session)


def draft_plan(row: PlanRow) -> Plan:
    return Plan.model_validate(orjson.loads(row.draft_body))


def _check_if_match(session: Session, row: PlanRow, if_match: str | None) -> None:
    if if_match is None:
        raise PreconditionRequired("draft edits need an If-Match header with the draft's ETag")
    if if_match.strip() not in {etag_of(row), etag_of(row).strip('"'), "*"}:
        change = last_change(session, entity="plan", entity_id=row.id)
        who = f" by {change['changed_by']}" if change else ""
        raise PreconditionFailed(f"the draft changed since it was read{who} (current ETag {etag_of(row)})",
                                 details={"etag": etag_of(row), **(change or {})})


def _store_draft(session: Session, row: PlanRow, plan: Plan, *, if_match: str | None, actor: str, action: str,
                 details: Any) -> PlanRow:
    _check_if_match(session, row, if_match)
    if plan.name != row.name:
        raise PlanInvalid(f"name: the draft of plan {row.name!r} cannot be renamed to {plan.name!r}",
                          details=[{"path": "name", "message": "must equal the plan's name"}])
    body = plan.body()
    result = session.execute(
        update(PlanRow)
        .where(col(PlanRow.id) == row.id, col(PlanRow.draft_revision) == row.draft_revision)
        .values(
            draft_body=_dumps(body),
            draft_hash=content_hash(body),
            draft_revision=row.draft_revision + 1,
            display_name=plan.display_name or row.display_name,
            description=plan.description if plan.description is not None else row.description,
            updated_at=utcnow(),
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise PreconditionFailed("the draft changed since it was read")
    record(session, actor=actor, action=action, entity="plan", entity_id=row.id, details=details)
    session.expire(row)
    return get_plan(session, row.id)


def replace_draft(session: Session, *, ref: str, body: Any, if_match: str | None, actor: str) -> PlanRow:
    row = get_plan(session, ref)
    plan = parse_plan_body(body)
    return _store_draft(session, row, plan, if_match=if_match, actor=actor, action="draft.replace", details={})


def upsert_event(
    session: Session, *, ref: str, event: str, spec: Any, if_match: str | None, actor: str
) -> PlanRow:
    """Add or replace one track event in the draft (Segment's PATCH rules, one event)."""
    row = get_plan(session, ref)
    data = orjson.loads(row.draft_body)
    data.setdefault("events", {})[event] = spec.model_dump(mode="json", by_alias=True, exclude_defaults=True) \
        if isinstance(spec, EventSpec) else spec
    plan = parse_plan_body(data)
    return _store_draft(session, row, plan, if_match=if_match, actor=actor, action="draft.upsert_event",
                        details={"event": event})


def delete_event(session: Session, *, ref: str, event: str, if_match: str | None, actor: str) -> PlanRow:
    row = get_plan(session, ref)
    data = orjson.loads(row.draft_body)
    if event not in data.get("events", {}):
        raise PlanNotFound(f"event {event!r} is not in the draft of plan {row.name!r}")
    del data["events"][event]
    plan = parse_plan_body(data)
    return _store_draft(session, row, plan, if_match=if_match, actor=actor, action="draft.delete_event",
                        details={"event": event})


def list_versions(session: Session, *, ref: str, limit: int, offset: int) -> tuple[list[PlanVersionRow], int]:
    row = get_plan(session, ref)
    query = select(PlanVersionRow).where(PlanVersionRow.plan_id == row.id)
    rows = session.exec(query.order_by(col(PlanVersionRow.version).desc()).offset(offset).limit(limit)).all()
    total = session.exec(
        select(func.count()).select_from(PlanVersionRow).where(PlanVersionRow.plan_id == row.id)
    ).one()
    return list(rows), total


def get_version(session: Session, *, ref: str, version: int | str) -> PlanVersionRow:
    row = get_plan(session, ref)
    number = row.latest_version if version == "latest" else int(version)
    found = session.exec(
        select(PlanVersionRow).where(PlanVersionRow.plan_id == row.id, PlanVersionRow.version == number)
    ).first()
    if found is None:
        raise VersionNotFound(f"plan {row.name!r} has no version {version}")
    return found


def version_plan(version: PlanVersionRow) -> Plan:
    return Plan.model_validate(orjson.loads(version.body))


def _history(session: Session, plan_id: str) -> list[Plan]:
    rows = session.exec(
        select(PlanVersionRow).where(PlanVersionRow.plan_id == plan_id).order_by(col(PlanVersionRow.version))
    ).all()
    return [version_plan(r) for r in rows]


def publish(
    session: Session,
    *,
    ref: str,
    actor: str,
    message: str | None = None,
    allow_breaking: bool = False,
    if_match: str | None = None,
    body: Any = None,
    rollback_of: int | None = None,
) -> PlanVersionRow:
    """Publish the draft (or ``body``, for rollback) as the next version, if compatible."""
    row = get_plan(session, ref, lock=True)
    if if_match is not None:
        _check_if_match(session, row, if_match)
    data = orjson.loads(row.draft_body) if body is None else body
    plan = plan_from_data(data)
    compiled = compile_validators(plan)
    canonical = plan.body()
    digest = content_hash(canonical)
    latest = get_version(session, ref=row.id, version=row.latest_version) if row.latest_version else None
    if latest is not None and latest.content_hash == digest:
        raise NothingToPublish(f"plan {row.name!r}: the draft is identical to version {row.latest_version}")
    previous = version_plan(latest) if latest is not None else None
    changes = diff_plans(previous, plan) if previous is not None else []
    _refuse_incompatible(session, row, plan, changes, allow_breaking=allow_breaking)
    version = PlanVersionRow(
        plan_id=row.id,
        version=row.latest_version + 1,
        body=_dumps(canonical),
        content_hash=digest,
        schema_hash=compiled.schema_hash,
        category=classify(changes) if previous is not None else "additive",
        changes=_dumps([c.to_dict() for c in changes]),
        message=message,
        rollback_of=rollback_of,
        created_by=actor,
    )
    session.add(version)
    row.latest_version = version.version
    row.updated_at = utcnow()
    if body is not None:  # a rollback also resets the draft to what was published
        row.draft_body, row.draft_hash = _dumps(canonical), digest
        row.draft_revision += 1
    session.add(row)
    session.flush()
    record(session, actor=actor, action="plan.rollback" if rollback_of else "plan.publish", entity="plan",
           entity_id=row.id, details={"version": version.version, "category": version.category,
                                      "rollback_of": rollback_of})
    bump_config(session)
    return version


def _refuse_incompatible(session: Session, row: PlanRow, plan: Plan, changes: list[Change], *,
                         allow_breaking: bool) -> None:
    """Raise ``IncompatiblePlan`` when publishing ``plan`` breaks the plan's compatibility mode."""
    mode = resolve_mode("NONE" if allow_breaking else row.compatibility)
    if mode.transitive:  # judged against every earlier version
        refusal = check_publish(plan, _history(session, row.id), mode)
    else:  # against the latest version only: the diff of the caller already says it
        bad = offending(changes, mode)
        refusal = Refusal(mode=mode, against_version=row.latest_version, changes=tuple(bad)) if bad else None
    if refusal is not None:
        raise IncompatiblePlan(
            f"plan {row.name!r}: the change is not {row.compatibility}-compatible "
            f"with version {refusal.against_version}",
            details={
                "mode": row.compatibility,
                "against_version": refusal.against_version,
                "changes": [c.to_dict() for c in refusal.changes],
            },
        )


def rollback(session: Session, *, ref: str, to_version: int, actor: str, message: str | None = None,
             allow_breaking: bool = False) -> PlanVersionRow:
    """Publish an old version's body as a new version, judged like any publish.

    Going back is a change from the latest version like any other (rolling back an added required
    property removes it), so the plan's compatibility mode applies unless ``allow_breaking``.
    """
    old = get_version(session, ref=ref, version=to_version)
    try:
        return publish(
            session, ref=ref, actor=actor, body=orjson.loads(old.body), allow_breaking=allow_breaking,
            rollback_of=to_version, message=message if message is not None else f"rollback to version {to_version}",
        )
    except IncompatiblePlan as exc:
        raise IncompatiblePlan(f"rollback to version {to_version} refused: {exc.message} (pass allow_breaking: "
                               f"true to roll back anyway)", details=exc.details) from None
