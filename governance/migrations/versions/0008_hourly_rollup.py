"""event_counts_hourly, rollup_marks: the hourly rollup of the minute counters, built from the existing rows

Revision ID: 0008_hourly_rollup
Revises: 0007_compact_dedupe
Create Date: 2026-12-01 13:40:00.000000

The upgrade sums every closed hour of ``event_counts`` (closed: ended five minutes ago or more, as
``governance.quality.rollup``) into the new table in one statement and sets the mark after it; the
worker's cycles roll up the hours after that. The SQL is written out here (not imported) so that
this revision keeps doing what it did when the rollup module changes.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0008_hourly_rollup"
down_revision: str | None = "0007_compact_dedupe"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GRACE_MINUTES = 5
NOT_TRAFFIC = ("deduplicated", "rejected", "suppressed")


def upgrade() -> None:
    op.create_table(
        "event_counts_hourly",
        sa.Column("source_id", sa.String(length=40), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last_minute", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("source_id", "hour", "event"),
    )
    op.create_table(
        "rollup_marks",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("through_hour", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    through = (int(time.time() // 60) - GRACE_MINUTES) // 60
    bind = op.get_bind()
    bind.execute(sa.text(
        "INSERT INTO event_counts_hourly (source_id, hour, event, count, last_minute) "
        "SELECT source_id, minute / 60, event, SUM(count), MAX(CASE WHEN count > 0 THEN minute END) "
        "FROM event_counts WHERE minute < :end AND outcome NOT IN :skip "
        "GROUP BY source_id, minute / 60, event"
    ).bindparams(sa.bindparam("skip", expanding=True)), {"end": through * 60, "skip": list(NOT_TRAFFIC)})
    marks = sa.table("rollup_marks", sa.column("name"), sa.column("through_hour"),
                     sa.column("updated_at", sa.DateTime(timezone=True)))
    op.bulk_insert(marks, [{"name": "event_counts_hourly", "through_hour": through,
                            "updated_at": datetime.now(UTC)}])


def downgrade() -> None:
    op.drop_table("rollup_marks")
    op.drop_table("event_counts_hourly")
