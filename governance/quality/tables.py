"""Quality tables: checks, their runs and their hysteresis states.

    quality_checks        one row per concrete check: (kind, source, event) with its params;
                          ``origin`` says where it comes from: ``api`` (REST), ``plan`` (plan YAML)
                          or ``default`` (the built-in defaults); plan and default rows are
                          materialised by the scheduler each cycle
    quality_check_runs    one row per evaluation (start, end, outcome, findings, GX result)
    quality_check_states  the ``Hysteresis`` of each fingerprint (check, source, event, field)
    quality_backfill      historical counts per (source, event) and hour or day, imported by
                          ``governance quality backfill`` so a new install starts with a baseline;
                          the checks read them for the hours before the proxy counted that source
    quality_expected_periods  periods someone marked "expected" (a campaign, a launch) from a fired
                          alert: the baselines leave their hours out (``teaching.py``)
    event_counts_hourly   the proxy's traffic per (source, event, hour), rolled up from its minute
                          counters once the hour closed (``rollup.py``); the checks read complete
                          hours from it
    rollup_marks          how far each rollup goes (the first hour not rolled up)

Times are stored as UTC and always read back aware (``UTCDateTime``), on SQLite too.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint, delete
from sqlmodel import Field, Session, SQLModel

from governance.clock import utc_column, utcnow


class CheckRow(SQLModel, table=True):
    __tablename__ = "quality_checks"
    __table_args__ = (Index("ix_quality_checks_scope", "source_id", "event"),)

    id: str = Field(primary_key=True, max_length=40)
    kind: str = Field(max_length=40)
    source_id: str = Field(max_length=40)
    event: str = Field(default="", max_length=200)  # "" = the whole source
    params: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    severity: str = Field(default="warning", max_length=10)
    for_evaluations: int | None = None  # None: the kind's default
    keep_firing_for: int | None = None
    enabled: bool = True
    origin: str = Field(default="api", max_length=10)
    description: str | None = Field(default=None, sa_column=Column(Text))
    run_requested_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    last_run_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    last_outcome: str | None = Field(default=None, max_length=20)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class CheckRunRow(SQLModel, table=True):
    __tablename__ = "quality_check_runs"
    __table_args__ = (Index("ix_quality_check_runs_check", "check_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    check_id: str = Field(max_length=40)
    trigger: str = Field(default="schedule", max_length=10)  # schedule | manual
    started_at: datetime = Field(sa_column=utc_column(index=True))
    finished_at: datetime = Field(sa_column=utc_column())
    duration_ms: float = 0.0
    outcome: str = Field(max_length=20)  # ok | pending | firing | resolved | error | skipped
    observations: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    result: str | None = Field(default=None, sa_column=Column(Text))  # e.g. the GX suite result
    error: str | None = Field(default=None, sa_column=Column(Text))


class CheckStateRow(SQLModel, table=True):
    __tablename__ = "quality_check_states"

    fingerprint: str = Field(primary_key=True, max_length=64)
    check_id: str = Field(max_length=40, index=True)
    event: str = Field(default="", max_length=200)
    field: str = Field(default="", max_length=300)
    state: str = Field(sa_column=Column(Text, nullable=False))  # Hysteresis.to_dict()
    finding: str | None = Field(default=None, sa_column=Column(Text))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class BackfillRow(SQLModel, table=True):
    """Imported historical counts: ``hours`` (1 or 24) hours from epoch hour ``hour``."""

    __tablename__ = "quality_backfill"
    __table_args__ = (UniqueConstraint("source_id", "event", "hour", "hours", name="uq_quality_backfill"),
                      Index("ix_quality_backfill_scope", "source_id", "hour"))

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(max_length=40)
    event: str = Field(max_length=200)
    hour: int  # epoch hour (UTC) of the first hour counted
    hours: int = 1  # 1: an hour; 24: a day, from 00:00 UTC
    count: int = 0
    imported_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class ExpectedPeriodRow(SQLModel, table=True):
    """A period marked expected from an alert: its hours of ``event`` (``""``: every event of the
    source) are left out of the history the baselines read. ``ends_at`` null: until its alert resolves."""

    __tablename__ = "quality_expected_periods"
    __table_args__ = (Index("ix_quality_expected_periods_scope", "source_id", "starts_at"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(max_length=40)
    event: str = Field(default="", max_length=200)
    starts_at: datetime = Field(sa_column=utc_column())
    ends_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    alert_id: int | None = Field(default=None, index=True)
    note: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_by: str = Field(default="", max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class HourlyCountRow(SQLModel, table=True):
    """Traffic (every outcome but ``NOT_TRAFFIC``) of one event in one epoch hour, from ``event_counts``."""

    __tablename__ = "event_counts_hourly"

    source_id: str = Field(primary_key=True, max_length=40)
    hour: int = Field(primary_key=True)  # epoch hour (UTC)
    event: str = Field(primary_key=True, max_length=200)  # "" as in event_counts (calls without a name)
    count: int = 0
    last_minute: int | None = None  # the hour's last epoch minute with any traffic


class RollupMarkRow(SQLModel, table=True):
    """How far a rollup goes: every hour before ``through_hour`` is rolled up."""

    __tablename__ = "rollup_marks"

    name: str = Field(primary_key=True, max_length=40)
    through_hour: int
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


def delete_checks(session: Session, ids: list[str]) -> None:
    """Delete checks and their hysteresis states (their alerts are resolved by the caller)."""
    states, checks = CheckStateRow.__table__, CheckRow.__table__  # type: ignore[attr-defined]
    session.connection().execute(delete(states).where(states.c.check_id.in_(ids)))
    session.connection().execute(delete(checks).where(checks.c.id.in_(ids)))
