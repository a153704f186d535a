"""The worker's table: the scheduler's job slots.

    scheduler_runs   one row per (job, slot_time): the unique constraint is the backstop that
                     keeps two schedulers from running the same slot twice; ``outcome`` is
                     ``running``, ``ok`` or ``error``, ``details`` what the job reported (JSON)
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from governance.clock import utc_column


class JobRunRow(SQLModel, table=True):
    __tablename__ = "scheduler_runs"
    __table_args__ = (UniqueConstraint("job", "slot_time", name="uq_scheduler_slot"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=40)
    slot_time: datetime = Field(sa_column=utc_column(index=True))
    worker: str = Field(max_length=120)
    started_at: datetime = Field(sa_column=utc_column())
    finished_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    outcome: str = Field(default="running", max_length=10)  # running | ok | error
    error: str | None = Field(default=None, sa_column=Column(Text))
    details: str = Field(default="{}", sa_column=Column(Text, nullable=False))
