"""compact dedupe: the window as 16-byte keys (dedupe_keys, WITHOUT ROWID) instead of text rows

Revision ID: 0007_compact_dedupe
Revises: 0006_silences
Create Date: 2026-12-01 14:10:00

The live window moves over: every row of ``dedupe`` becomes its key (``dedupe.compact_key`` of
the stored source id and messageId, which is the form ``dedupe.key_of`` hashes, long ids included) with
the second it was last seen, so an event seen before the upgrade is still a duplicate after it.
Keys are copied ``BATCH`` at a time, ordered by the old primary key (about 5 s per million keys
on the 2-core machine of docs/operations/capacity.md). Downgrading cannot turn hashes back into
messageIds: it recreates the old table empty, so the window starts again (an event retried
after a downgrade is forwarded again: at least once).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = '0007_compact_dedupe'
down_revision: str | None = '0006_silences'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 10_000


def _epoch_s(value: object) -> int:
    """A stored ``seen_at`` (naive UTC text or datetime on SQLite, aware on PostgreSQL) in epoch seconds."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())


def compact_key(source_id: str, stored_id: str) -> bytes:
    """``governance.proxy.dedupe.compact_key`` as of this revision (a test holds the two equal)."""
    text = f"{len(source_id)}:{source_id}{stored_id}".encode("utf-8", "surrogatepass")
    return hashlib.blake2b(text, digest_size=16).digest()


def _copy_window(conn: sa.Connection) -> None:
    old = sa.table("dedupe", sa.column("source_id"), sa.column("message_id"), sa.column("seen_at"))
    new = sa.table("dedupe_keys", sa.column("key"), sa.column("seen_s"))
    after: tuple[str, str] | None = None
    while True:
        query = sa.select(old.c.source_id, old.c.message_id, old.c.seen_at)
        if after is not None:
            query = query.where(sa.tuple_(old.c.source_id, old.c.message_id) > sa.tuple_(*after))
        rows = conn.execute(query.order_by(old.c.source_id, old.c.message_id).limit(BATCH)).all()
        if not rows:
            return
        keys: dict[bytes, int] = {}
        for source_id, message_id, seen_at in rows:
            key, seen = compact_key(source_id, message_id), _epoch_s(seen_at)
            keys[key] = max(seen, keys.get(key, seen))
        conn.execute(new.insert(), [{"key": k, "seen_s": s} for k, s in keys.items()])
        after = (rows[-1][0], rows[-1][1])


def upgrade() -> None:
    op.create_table('dedupe_keys',
    sa.Column('key', sa.LargeBinary(length=16), nullable=False),
    sa.Column('seen_s', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('key'),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('dedupe_keys', schema=None) as batch_op:
        batch_op.create_index('ix_dedupe_keys_seen', ['seen_s'], unique=False)
    _copy_window(op.get_bind())
    with op.batch_alter_table('dedupe', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dedupe_seen_at'))
    op.drop_table('dedupe')


def downgrade() -> None:
    op.create_table('dedupe',
    sa.Column('source_id', sa.String(length=40), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('source_id', 'message_id')
    )
    with op.batch_alter_table('dedupe', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dedupe_seen_at'), ['seen_at'], unique=False)
    with op.batch_alter_table('dedupe_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_dedupe_keys_seen')
    op.drop_table('dedupe_keys')
