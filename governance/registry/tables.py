"""Registry tables: plans (with their one draft), immutable versions, sources, keys, tokens, audit,
and the privacy regulations with the suppressions they put in force.

JSON documents are stored as text (canonical JSON) so the same schema works on SQLite and
PostgreSQL. Secrets (write keys, API tokens) are stored as SHA-256 hashes only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from governance.clock import utc_column, utcnow


class PlanRow(SQLModel, table=True):
    __tablename__ = "plans"

    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(index=True, unique=True, max_length=100)
    display_name: str | None = None
    description: str | None = Field(default=None, sa_column=Column(Text))
    compatibility: str = Field(default="BACKWARD", max_length=30)
    latest_version: int = 0
    draft_body: str = Field(sa_column=Column(Text, nullable=False))
    draft_hash: str = Field(max_length=64)
    draft_revision: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    deleted_at: datetime | None = None


class PlanVersionRow(SQLModel, table=True):
    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("plan_id", "version", name="uq_plan_version"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: str = Field(foreign_key="plans.id", index=True, max_length=40)
    version: int
    body: str = Field(sa_column=Column(Text, nullable=False))
    content_hash: str = Field(max_length=64)
    schema_hash: str = Field(max_length=64)
    category: str = Field(default="none", max_length=20)
    changes: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    message: str | None = None
    rollback_of: int | None = None
    created_by: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class SourceRow(SQLModel, table=True):
    __tablename__ = "sources"

    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(index=True, unique=True, max_length=100)
    plan_id: str | None = Field(default=None, foreign_key="plans.id", index=True, max_length=40)
    plan_version: int | None = None  # None: follow the latest published version
    upstream_url: str | None = None
    upstream_write_key: str | None = None  # sent to the upstream; never returned by the API
    mode: str = Field(default="enforce", max_length=10)
    settings: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class WriteKeyRow(SQLModel, table=True):
    __tablename__ = "write_keys"

    id: str = Field(primary_key=True, max_length=40)
    source_id: str = Field(foreign_key="sources.id", index=True, max_length=40)
    key_hash: str = Field(index=True, unique=True, max_length=64)
    prefix: str = Field(max_length=12)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class ApiTokenRow(SQLModel, table=True):
    __tablename__ = "api_tokens"

    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=100)
    role: str = Field(max_length=10)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    prefix: str = Field(max_length=12)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class AuditRow(SQLModel, table=True):
    __tablename__ = "audit"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=100)
    action: str = Field(max_length=60)
    entity: str = Field(max_length=30)
    entity_id: str = Field(max_length=100)
    details: str = Field(default="{}", sa_column=Column(Text, nullable=False))


class ConfigStateRow(SQLModel, table=True):
    """One row whose ``seq`` grows on every change a web process must pick up (publish, settings)."""

    __tablename__ = "config_state"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    changed_at: datetime = Field(default_factory=utcnow)
    # grows on every change of the suppressions; web processes then read only the changed rows
    suppression_seq: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class TransformationRow(SQLModel, table=True):
    __tablename__ = "transformations"

    id: str = Field(primary_key=True, max_length=40)
    source_id: str = Field(foreign_key="sources.id", index=True, max_length=40)
    position: int = 0
    name: str = Field(max_length=100)
    enabled: bool = True
    spec: str = Field(sa_column=Column(Text, nullable=False))  # JSON: condition + action
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class RegulationRow(SQLModel, table=True):
    """A privacy request in Segment's vocabulary (``SUPPRESS_ONLY``, ``SUPPRESS_WITH_DELETE``,
    ``DELETE_ONLY``, ``UNSUPPRESS``) by user id, with its status and receipt."""

    __tablename__ = "regulations"
    __table_args__ = (Index("ix_regulations_status", "overall_status", "created_at"),)

    id: str = Field(primary_key=True, max_length=40)
    regulation_type: str = Field(max_length=30)
    subject_type: str = Field(max_length=20)
    subject_ids: str = Field(sa_column=Column(Text, nullable=False))  # JSON list
    source_ids: str | None = Field(default=None, sa_column=Column(Text))  # JSON list; None: every source
    notify: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON list of channel ids
    overall_status: str = Field(max_length=20)
    receipt: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    actor: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    started_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    lease_until: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    error: str | None = Field(default=None, sa_column=Column(Text))


class SuppressionRow(SQLModel, table=True):
    """One suppressed subject in one scope (``*``: every source, or a source id). An unsuppressed row
    stays with ``lifted_at`` set, so that web processes learn of the change from ``seq``."""

    __tablename__ = "suppressions"

    scope: str = Field(primary_key=True, max_length=40)
    subject_id: str = Field(primary_key=True, max_length=400)
    regulation_id: str = Field(max_length=40)
    seq: int = Field(index=True)  # config_state.suppression_seq when this row last changed
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    lifted_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
