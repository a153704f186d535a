"""outbox batches: one outbox row holds several events (``outbox.events``, payloads joined by newlines)

Revision ID: 0009_outbox_batches
Revises: 0008_hourly_rollup
Create Date: 2026-12-01 17:00:00

A queued row of one event is already a row of the new format with ``events`` = 1: the upgrade
adds the column with that default and leaves every queued row as it is (its lease, attempts and
next try included). The downgrade splits each row of several events back into one row per event
(the same ``created_at``, attempts and next try; the messageId read from each payload), ``BATCH``
rows at a time, then drops the column. The format is written out here (not imported from
``governance.proxy.outbox_batch``) so that this revision keeps doing what it did.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson
import sqlalchemy as sa
from alembic import op

revision: str = "0009_outbox_batches"
down_revision: str | None = "0008_hourly_rollup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500
SEP = "\n"


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("events", sa.Integer(), nullable=False, server_default="1"))


def _message_id(payload: str) -> str:
    try:
        message = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return ""
    value = message.get("messageId") if isinstance(message, dict) else None
    return str(value)[:200] if value is not None else ""


def _split_batches(conn: sa.Connection) -> None:
    cols = ("id", "source_id", "message_id", "payload", "events", "created_at", "attempts", "next_attempt_at",
            "claimed_until", "last_error")
    outbox = sa.table("outbox", *[sa.column(c) for c in cols])
    while True:
        rows = conn.execute(sa.select(*outbox.c).where(outbox.c.events > 1).order_by(outbox.c.id)
                            .limit(BATCH)).mappings().all()
        if not rows:
            return
        singles = [{**{k: row[k] for k in cols if k not in ("id", "events")}, "payload": payload,
                    "message_id": _message_id(payload), "events": 1}
                   for row in rows for payload in row["payload"].split(SEP)]
        conn.execute(outbox.insert(), singles)
        conn.execute(outbox.delete().where(outbox.c.id.in_([row["id"] for row in rows])))


def downgrade() -> None:
    _split_batches(op.get_bind())
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("events")
