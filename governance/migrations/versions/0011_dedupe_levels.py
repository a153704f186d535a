"""dedupe levels: new keys go to a small table and are rolled down in key order; no seen_s index

Revision ID: 0011_dedupe_levels
Revises: 0010_time_first_dedupe_keys
Create Date: 2026-12-02 03:00:00

A new dedupe key goes to ``dedupe_l0``, kept small (``dedupe.TARGETS``), so the random keys of a
group commit (UUIDv4 ids) share its few leaves instead of dirtying a leaf each of a table holding
the whole window; each group commit then moves the keys past a level's target down to the next
level in key order (``dedupe.roll``), where they land side by side. ``dedupe_keys`` is the last
level and keeps every key it holds, so a key recorded before the upgrade is still found. Its
``seen_s`` index goes: the worker prunes every level by reading it in key order
(``housekeeping.forget_expired``), and the roll drops expired keys as it moves them.

``dedupe_levels`` holds each level's key count (an estimate that only decides when to roll) and
where its roll has got to; the upgrade writes one row per level.

The downgrade moves the levels' keys into ``dedupe_keys`` (a key in two levels keeps its latest
second), rebuilds the ``seen_s`` index and drops the levels: every key of the window is kept.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_dedupe_levels"
down_revision: str | None = "0010_time_first_dedupe_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEVELS = 4  # dedupe_l0 .. dedupe_l3 (tables.DEDUPE_LEVELS when written)


def upgrade() -> None:
    for level in range(LEVELS):
        op.create_table(f"dedupe_l{level}",
                        sa.Column("key", sa.LargeBinary(length=16), nullable=False),
                        sa.Column("seen_s", sa.BigInteger(), nullable=False),
                        sa.PrimaryKeyConstraint("key"), sqlite_with_rowid=False)
    levels = op.create_table("dedupe_levels",
                             sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
                             sa.Column("keys", sa.BigInteger(), server_default="0", nullable=False),
                             sa.Column("after", sa.LargeBinary(length=16), nullable=True),
                             sa.PrimaryKeyConstraint("level"))
    op.bulk_insert(levels, [{"level": level, "keys": 0, "after": None} for level in range(LEVELS)])
    op.drop_index("ix_dedupe_keys_seen", table_name="dedupe_keys")


def downgrade() -> None:
    conn = op.get_bind()
    newest = "max" if conn.dialect.name == "sqlite" else "GREATEST"
    for level in reversed(range(LEVELS)):  # table names are constants
        conn.execute(sa.text(f"INSERT INTO dedupe_keys (key, seen_s) SELECT key, seen_s FROM dedupe_l{level} "  # noqa: S608
                             f"WHERE true ON CONFLICT (key) DO UPDATE "
                             f"SET seen_s = {newest}(dedupe_keys.seen_s, excluded.seen_s)"))
    op.create_index("ix_dedupe_keys_seen", "dedupe_keys", ["seen_s"], unique=False)
    op.drop_table("dedupe_levels")
    for level in range(LEVELS):
        op.drop_table(f"dedupe_l{level}")
