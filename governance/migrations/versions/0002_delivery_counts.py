"""delivery_counts: events upstreams accepted, per source and minute of receipt (the ledger's forwarded term)

Revision ID: 0002_delivery_counts
Revises: 0001_baseline
Create Date: 2026-12-01 07:29:51.688976
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002_delivery_counts'
down_revision: str | None = '0001_baseline'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('delivery_counts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('minute', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=40), nullable=False),
    sa.Column('delivered', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('minute', 'source_id', name='uq_delivery_counts')
    )
    with op.batch_alter_table('delivery_counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_counts_minute'), ['minute'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('delivery_counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_counts_minute'))

    op.drop_table('delivery_counts')
