"""quality_expected_periods: periods marked expected from an alert, left out of the baselines (teaching)

Revision ID: 0005_expected_periods
Revises: 0004_privacy
Create Date: 2026-12-01 10:55:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_expected_periods"
down_revision: str | None = "0004_privacy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quality_expected_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=40), nullable=False),
        sa.Column("event", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("quality_expected_periods", schema=None) as batch_op:
        batch_op.create_index("ix_quality_expected_periods_scope", ["source_id", "starts_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_quality_expected_periods_alert_id"), ["alert_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("quality_expected_periods", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quality_expected_periods_alert_id"))
        batch_op.drop_index("ix_quality_expected_periods_scope")
    op.drop_table("quality_expected_periods")
