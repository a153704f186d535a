"""time-first dedupe keys: an id that embeds its time (ajs-next, node-next, UUIDv7) has it first in its key

Revision ID: 0010_time_first_dedupe_keys
Revises: 0009_outbox_batches
Create Date: 2026-12-01 23:40:00

From this revision on, ``dedupe.compact_key`` is a tag byte, then for an id that embeds the time
it was made (``ajs-next-<ms>-...``, ``node-next-<ms>-...``, a UUIDv7) that time in seconds and 11
bytes of BLAKE2b over the source id and the whole messageId, and for any other id 15 bytes of that
BLAKE2b; keys of one moment sit side by side in ``dedupe_keys`` (the table itself is unchanged).
The keys already in the window are in the older form and cannot be recomputed (the messageIds
are not stored): the upgrade writes the last second any of them was seen into ``dedupe_legacy``,
and until that second leaves the window the group commit also looks up the older form of each
key it calls fresh. On a database whose window is empty the table stays empty.

The downgrade drops ``dedupe_legacy`` and keeps every key. The code of 0009 computes only the
older form, so for one window after a downgrade an event first seen since the upgrade and sent
again is not caught as a duplicate (the keys recorded before the upgrade still are).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_time_first_dedupe_keys"
down_revision: str | None = "0009_outbox_batches"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table("dedupe_legacy",
                    sa.Column("last_seen_s", sa.BigInteger(), autoincrement=False, nullable=False),
                    sa.PrimaryKeyConstraint("last_seen_s"))
    conn = op.get_bind()
    last = conn.execute(sa.text("SELECT max(seen_s) FROM dedupe_keys")).scalar()
    if last is not None:
        conn.execute(sa.text("INSERT INTO dedupe_legacy (last_seen_s) VALUES (:s)"), {"s": int(last)})


def downgrade() -> None:
    op.drop_table("dedupe_legacy")
