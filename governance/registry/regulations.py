"""Privacy regulations in Segment's vocabulary: what each one writes, and its life from request to receipt.

    type                    at creation (one transaction)       then (the worker, ``governance.privacy``)
    SUPPRESS_ONLY           suppressions written; FINISHED      -
    SUPPRESS_WITH_DELETE    suppressions written; INITIALIZED   purge: RUNNING, then FINISHED, PARTIAL_SUCCESS
                                                                or FAILED
    DELETE_ONLY             INITIALIZED                         purge, as above
    UNSUPPRESS              suppressions lifted; FINISHED       -

Every creation writes an audit row in the same transaction, and a suppression change takes the
next ``config_state.suppression_seq`` (``suppressions``), which every web process polls: a
suppression is in force everywhere within ``GOVERNANCE_PLAN_REFRESH_S`` (<= 1 s) of the answer.

The receipt is a JSON document: ``steps`` (what was done, when) and ``deleted`` (rows each store
gave up). The worker claims a regulation with a lease (``claim``), renews it while it works and
finishes it (``finish``); a lease that runs out (a worker that died) lets another worker take it
over, and the purge is idempotent, so nothing is counted twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import update
from sqlmodel import Session, col, func, select

from governance.errors import RegulationNotFound, ValidationFailed
from governance.registry import audit, suppressions
from governance.registry.secrets import new_id
from governance.registry.tables import RegulationRow, SourceRow

MAX_SUBJECTS = 5000  # per regulation, as Segment's Public API
MAX_SUBJECT_LENGTH = 400


class RegulationType(StrEnum):
    SUPPRESS_ONLY = "SUPPRESS_ONLY"
    SUPPRESS_WITH_DELETE = "SUPPRESS_WITH_DELETE"
    DELETE_ONLY = "DELETE_ONLY"
    UNSUPPRESS = "UNSUPPRESS"


class Status(StrEnum):
    INITIALIZED = "INITIALIZED"
    RUNNING = "RUNNING"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    PARTIAL_SUCCESS = "PARTIAL_SUCCESS"


SUPPRESSING = frozenset({RegulationType.SUPPRESS_ONLY, RegulationType.SUPPRESS_WITH_DELETE})
DELETING = frozenset({RegulationType.SUPPRESS_WITH_DELETE, RegulationType.DELETE_ONLY})
SUBJECT_TYPES = ("USER_ID",)


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _subjects(subject_ids: Sequence[str]) -> list[str]:
    """The subject ids, each once, in order; refused when empty, too many or too long."""
    unique = list(dict.fromkeys(subject_ids))
    if not unique:
        raise ValidationFailed("subjectIds: give at least one id", details=[{"path": "subjectIds"}])
    if len(unique) > MAX_SUBJECTS:
        raise ValidationFailed(f"subjectIds: at most {MAX_SUBJECTS} ids per regulation",
                               details=[{"path": "subjectIds"}])
    for i, subject in enumerate(unique):
        if not subject or len(subject) > MAX_SUBJECT_LENGTH or "\x00" in subject:
            raise ValidationFailed(f"subjectIds.{i}: an id of 1 to {MAX_SUBJECT_LENGTH} characters, without NUL",
                                   details=[{"path": f"subjectIds.{i}"}])
    return unique


def resolve_sources(session: Session, refs: Sequence[str] | None) -> list[str] | None:
    """Source ids for ``refs`` (ids or names; None: every source); an unknown one is refused."""
    if refs is None:
        return None
    if not refs:
        raise ValidationFailed("sourceIds: leave it out for every source, or name at least one",
                               details=[{"path": "sourceIds"}])
    ids: list[str] = []
    for i, ref in enumerate(refs):
        row = session.exec(select(SourceRow).where((SourceRow.id == ref) | (SourceRow.name == ref))).first()
        if row is None:
            raise ValidationFailed(f"sourceIds.{i}: no source {ref!r}", details=[{"path": f"sourceIds.{i}"}])
        if row.id not in ids:
            ids.append(row.id)
    return ids


def create(session: Session, *, regulation_type: RegulationType, subject_ids: Sequence[str],
           source_refs: Sequence[str] | None, notify: Sequence[str], actor: str, now: datetime,
           subject_type: str = "USER_ID") -> RegulationRow:
    """Record a regulation and do what takes effect at once (suppress, unsuppress), with its audit row."""
    subjects = _subjects(subject_ids)
    source_ids = resolve_sources(session, source_refs)
    row = RegulationRow(id=new_id("reg"), regulation_type=regulation_type, subject_type=subject_type,
                        subject_ids=orjson.dumps(subjects).decode(),
                        source_ids=None if source_ids is None else orjson.dumps(source_ids).decode(),
                        notify=orjson.dumps(list(notify)).decode(), overall_status=Status.INITIALIZED,
                        actor=actor, created_at=now)
    steps: list[dict[str, Any]] = []
    scopes = source_ids if source_ids is not None else [suppressions.GLOBAL]
    if regulation_type in SUPPRESSING:
        written = suppressions.suppress(session, subjects=subjects, scopes=scopes, regulation_id=row.id, now=now)
        steps.append({"at": stamp(now), "action": "suppressed", "scopes": scopes, "subjects": len(subjects),
                      "new_suppressions": written})
    elif regulation_type == RegulationType.UNSUPPRESS:
        lifted = suppressions.lift(session, subjects=subjects, scopes=source_ids, regulation_id=row.id, now=now)
        steps.append({"at": stamp(now), "action": "unsuppressed", "scopes": sorted({s for s, _ in lifted}),
                      "subjects": len(subjects), "lifted_suppressions": len(lifted)})
    if regulation_type not in DELETING:
        row.overall_status, row.started_at, row.finished_at = Status.FINISHED, now, now
    row.receipt = orjson.dumps({"steps": steps, "deleted": {}}).decode()
    session.add(row)
    audit.record(session, actor=actor, action="regulation.create", entity="regulation", entity_id=row.id,
                 details={"type": regulation_type, "subjects": len(subjects), "sources": source_ids,
                          "notify": list(notify)})
    return row


def get(session: Session, regulation_id: str) -> RegulationRow:
    row = session.get(RegulationRow, regulation_id)
    if row is None:
        raise RegulationNotFound(f"regulation {regulation_id!r} not found")
    return row


def list_regulations(session: Session, *, limit: int, offset: int,
                     status: str | None = None) -> tuple[list[RegulationRow], int]:
    query = select(RegulationRow)
    count = select(func.count()).select_from(RegulationRow)
    if status:
        query, count = query.where(RegulationRow.overall_status == status), count.where(
            RegulationRow.overall_status == status)
    rows = session.exec(query.order_by(col(RegulationRow.created_at).desc(), col(RegulationRow.id))
                        .offset(offset).limit(limit)).all()
    return list(rows), int(session.exec(count).one())


def claim(session: Session, *, now: datetime, settle: timedelta, lease: timedelta) -> RegulationRow | None:
    """Take the oldest deletion that is due: INITIALIZED for at least ``settle`` (so every web process
    enforces its suppression before the purge starts), or RUNNING with a lease that ran out."""
    due = (col(RegulationRow.overall_status) == Status.INITIALIZED) & (col(RegulationRow.created_at) <= now - settle)
    stale = (col(RegulationRow.overall_status) == Status.RUNNING) & (col(RegulationRow.lease_until) < now)
    query = select(RegulationRow).where(due | stale).order_by(col(RegulationRow.created_at)).limit(1)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    row = session.exec(query).first()
    if row is None:
        return None
    table = RegulationRow.__table__  # type: ignore[attr-defined]
    taken = session.execute(update(table).where(table.c.id == row.id, table.c.overall_status == row.overall_status)
                            .values(overall_status=Status.RUNNING, started_at=row.started_at or now,
                                    lease_until=now + lease))
    if not taken.rowcount:  # type: ignore[attr-defined]
        return None
    session.refresh(row)
    return row


def renew(session: Session, regulation_id: str, *, until: datetime, receipt: dict[str, Any]) -> None:
    """Extend the lease and save the receipt so far (a takeover continues from it)."""
    table = RegulationRow.__table__  # type: ignore[attr-defined]
    session.execute(update(table).where(table.c.id == regulation_id, table.c.overall_status == Status.RUNNING)
                    .values(lease_until=until, receipt=orjson.dumps(receipt).decode()))


def finish(session: Session, regulation_id: str, *, status: Status, receipt: dict[str, Any], now: datetime,
           error: str | None = None) -> None:
    row = get(session, regulation_id)
    done = status in (Status.FINISHED, Status.FAILED, Status.PARTIAL_SUCCESS)  # INITIALIZED: tried again
    row.overall_status, row.finished_at, row.lease_until = status, now if done else None, None
    row.receipt, row.error = orjson.dumps(receipt).decode(), error
    session.add(row)
    audit.record(session, actor="worker", action="regulation.finish", entity="regulation", entity_id=row.id,
                 details={"status": status, "deleted": receipt.get("deleted", {}), "error": error})
