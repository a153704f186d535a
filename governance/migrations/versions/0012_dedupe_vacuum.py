"""dedupe levels on PostgreSQL: vacuum without truncating (vacuum_truncate = false on dedupe_l0 .. dedupe_l3)

Revision ID: 0012_dedupe_vacuum
Revises: 0011_dedupe_levels
Create Date: 2026-12-02 06:30:00

Every dedupe key enters ``dedupe_l0`` and leaves it again within a few group commits (and each
deeper level a little later), so the levels live on vacuum. At its end a vacuum tries to give the
table's empty last pages back to the file system, which takes the table's ACCESS EXCLUSIVE lock;
autovacuum gives that attempt up whenever a claim or a roll waits for the table, which on these
tables is always, and a vacuum cancelled there reports nothing: measured on the phase-8 soak
(docs/operations/capacity.md), five autovacuums of ``dedupe_l0`` in ten minutes, each cancelled
"while truncating", its dead-row count still climbing to 1.1 million. A level's size is set by its
target and its churn, not by a past peak, so its pages need not go back: ``vacuum_truncate =
false`` on the four levels, PostgreSQL only (SQLite has no vacuum of this kind; nothing changes
there). The web process's own vacuum of the first levels (``proxy.dedupe_pg.Vacuum``) asks for no
truncation either. The downgrade resets the option.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012_dedupe_vacuum"
down_revision: str | None = "0011_dedupe_levels"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEVELS = ("dedupe_l0", "dedupe_l1", "dedupe_l2", "dedupe_l3")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in LEVELS:  # constants
        op.execute(f"ALTER TABLE {table} SET (vacuum_truncate = false)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in LEVELS:
        op.execute(f"ALTER TABLE {table} RESET (vacuum_truncate)")
