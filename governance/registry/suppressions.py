"""The suppression rows: written by regulations, read by every web process.

A suppression is ``(scope, subject_id)``: the scope is ``*`` (every source) or a source id. Every
change takes the next ``config_state.suppression_seq`` and stamps it on the rows it touched, in
the same transaction, so a web process that has applied everything up to ``n`` reads only the
rows with ``seq > n`` (``changed_since``) instead of the whole set. Unsuppressing keeps the row
with ``lifted_at`` set (that is how the change reaches the processes); suppressing it again clears
``lifted_at``.

``next_seq`` is an atomic ``UPDATE ... + 1 RETURNING``: on PostgreSQL the row lock makes two
concurrent regulations take 5 and 6 (never both 6) and commit in that order, so a process that
has read ``seq = 6`` has seen every change up to 6.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, update
from sqlalchemy import select as core_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from governance.clock import utcnow
from governance.registry.tables import ConfigStateRow, SuppressionRow

GLOBAL = "*"
CHUNK = 500  # subjects per IN (...) list


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def next_seq(session: Session) -> int:
    """Take the next suppression sequence number (the config row is created first when missing, with
    ``ON CONFLICT DO NOTHING``, so two first regulations at once never collide)."""
    table = ConfigStateRow.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    build = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(build(table).values(id=1, seq=0, suppression_seq=0, changed_at=utcnow())
                    .on_conflict_do_nothing(index_elements=["id"]))
    taken = session.execute(update(table).where(table.c.id == 1)
                            .values(suppression_seq=table.c.suppression_seq + 1)
                            .returning(table.c.suppression_seq)).scalar_one()
    return int(taken)


def current_seq(session: Session | Connection) -> int:
    table = ConfigStateRow.__table__  # type: ignore[attr-defined]
    value = session.execute(core_select(table.c.suppression_seq).where(table.c.id == 1)).scalar_one_or_none()
    return int(value or 0)


def suppress(session: Session, *, subjects: Sequence[str], scopes: Sequence[str], regulation_id: str,
             now: datetime) -> int:
    """Put ``subjects`` under suppression in every scope of ``scopes``; returns the rows written
    (new, or lifted before and suppressed again); subjects already suppressed there are left."""
    seq = next_seq(session)
    written = 0
    for scope in scopes:
        for chunk in _chunks(subjects):
            rows = {r.subject_id: r for r in session.exec(select(SuppressionRow).where(
                SuppressionRow.scope == scope, col(SuppressionRow.subject_id).in_(chunk)))}
            for subject in chunk:
                row = rows.get(subject)
                if row is None:
                    session.add(SuppressionRow(scope=scope, subject_id=subject, regulation_id=regulation_id, seq=seq,
                                               created_at=now))
                elif row.lifted_at is not None:
                    row.lifted_at, row.seq, row.regulation_id, row.created_at = None, seq, regulation_id, now
                    session.add(row)
                else:
                    continue
                written += 1
    return written


def lift(session: Session, *, subjects: Sequence[str], scopes: Sequence[str] | None, regulation_id: str,
         now: datetime) -> list[tuple[str, str]]:
    """Lift the suppressions of ``subjects`` in ``scopes`` (None: in every scope); returns the
    ``(scope, subject)`` pairs lifted."""
    seq = next_seq(session)
    lifted: list[tuple[str, str]] = []
    for chunk in _chunks(subjects):
        query = select(SuppressionRow).where(col(SuppressionRow.subject_id).in_(chunk),
                                             col(SuppressionRow.lifted_at).is_(None))
        if scopes is not None:
            query = query.where(col(SuppressionRow.scope).in_(list(scopes)))
        for row in session.exec(query):
            row.lifted_at, row.seq, row.regulation_id = now, seq, regulation_id
            session.add(row)
            lifted.append((row.scope, row.subject_id))
    return lifted


def in_force(conn: Connection, *, batch: int = 10_000) -> Iterator[tuple[str, str]]:
    """Every ``(scope, subject)`` in force, streamed (a million rows are never held as objects)."""
    table = SuppressionRow.__table__  # type: ignore[attr-defined]
    result = conn.execution_options(yield_per=batch).execute(
        core_select(table.c.scope, table.c.subject_id).where(table.c.lifted_at.is_(None)))
    yield from ((scope, subject) for scope, subject in result)


def count_in_force(conn: Connection) -> int:
    table = SuppressionRow.__table__  # type: ignore[attr-defined]
    query = core_select(func.count()).select_from(table).where(table.c.lifted_at.is_(None))
    return int(conn.execute(query).scalar_one())


def changed_since(conn: Connection, after: int, upto: int) -> list[tuple[str, str, bool]]:
    """``(scope, subject, in_force)`` of every row changed with ``after < seq <= upto``."""
    table = SuppressionRow.__table__  # type: ignore[attr-defined]
    rows: Any = conn.execute(core_select(table.c.scope, table.c.subject_id, table.c.lifted_at)
                             .where(table.c.seq > after, table.c.seq <= upto))
    return [(scope, subject, lifted is None) for scope, subject, lifted in rows]


def in_force_for(session: Session, subjects: Sequence[str]) -> list[tuple[str, str]]:
    """The ``(scope, subject)`` suppressions in force for ``subjects``."""
    found: list[tuple[str, str]] = []
    for chunk in _chunks(subjects):
        found += [(r.scope, r.subject_id) for r in session.exec(select(SuppressionRow).where(
            col(SuppressionRow.subject_id).in_(chunk), col(SuppressionRow.lifted_at).is_(None)))]
    return found
