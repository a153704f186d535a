"""privacy: regulations, suppressions (with config_state.suppression_seq), purge counts

Revision ID: 0004_privacy
Revises: 0003_quality_backfill
Create Date: 2026-12-01 08:26:24.256771
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004_privacy'
down_revision: str | None = '0003_quality_backfill'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('purge_counts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('minute', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=40), nullable=False),
    sa.Column('store', sa.String(length=20), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('minute', 'source_id', 'store', name='uq_purge_counts')
    )
    with op.batch_alter_table('purge_counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purge_counts_minute'), ['minute'], unique=False)

    op.create_table('regulations',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('regulation_type', sa.String(length=30), nullable=False),
    sa.Column('subject_type', sa.String(length=20), nullable=False),
    sa.Column('subject_ids', sa.Text(), nullable=False),
    sa.Column('source_ids', sa.Text(), nullable=True),
    sa.Column('notify', sa.Text(), nullable=False),
    sa.Column('overall_status', sa.String(length=20), nullable=False),
    sa.Column('receipt', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('regulations', schema=None) as batch_op:
        batch_op.create_index('ix_regulations_status', ['overall_status', 'created_at'], unique=False)

    op.create_table('suppressions',
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.String(length=400), nullable=False),
    sa.Column('regulation_id', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lifted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('scope', 'subject_id')
    )
    with op.batch_alter_table('suppressions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suppressions_seq'), ['seq'], unique=False)

    with op.batch_alter_table('config_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suppression_seq', sa.Integer(), server_default='0', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('config_state', schema=None) as batch_op:
        batch_op.drop_column('suppression_seq')

    with op.batch_alter_table('suppressions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suppressions_seq'))

    op.drop_table('suppressions')
    with op.batch_alter_table('regulations', schema=None) as batch_op:
        batch_op.drop_index('ix_regulations_status')

    op.drop_table('regulations')
    with op.batch_alter_table('purge_counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purge_counts_minute'))

    op.drop_table('purge_counts')
