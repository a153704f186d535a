"""API model families: ``XCreate / XUpdate / XPublic / XsPublic{data, count}``.

Every request body derives from ``RequestModel``: an unknown key is a 422 naming its path
(``{"code": "validation_failed", "details": [{"path": "colour", "message": "unknown key"}]}``),
never a setting silently ignored. ``tests/api/test_strict_bodies.py`` walks the OpenAPI document
to keep it so.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from governance.api.openapi import PLAN_REF
from governance.api.stats import PlanStats, SourceStats
from governance.plan.model import CompatibilityMode
from governance.registry.source_settings import SourceSettings
from governance.registry.tables import (
    ApiTokenRow,
    AuditRow,
    PlanRow,
    PlanVersionRow,
    SourceRow,
    WriteKeyRow,
)
from governance.registry.transformation_spec import Condition, TransformationSpec

T = TypeVar("T")

PlanBody = Annotated[dict[str, Any], WithJsonSchema({"allOf": [PLAN_REF]})]  # a bare $ref trips pydantic
Category = Literal["additive", "revision", "breaking"]


class ChangePublic(BaseModel):
    kind: str = Field(description="What changed, in Karapace's vocabulary (property_removed, type_narrowed, ...)")
    path: str = Field(description="Where in the plan")
    event: str | None = Field(description="The event it concerns, if any")
    category: Category
    backward: bool = Field(description="Every message valid under the old plan stays valid under the new one")
    forward: bool = Field(description="Every message valid under the new plan was valid under the old one")
    message: str
    old: Any = None
    new: Any = None


INT32_MAX = 2**31 - 1  # versions, positions and counts are INTEGER columns on PostgreSQL
INT64 = 2**63


def _too_big(value: Any, path: str = "") -> str | None:
    """The path of an integer no column or JSON document of ours can hold (beyond 64 bits), if any."""
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, int) and not isinstance(item, bool) and not -INT64 <= item < INT64:
            return where or "<body>"
        if isinstance(item, dict):
            stack.extend((v, f"{where}.{k}" if where else str(k)) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, f"{where}.{i}" if where else str(i)) for i, v in enumerate(item))
    return None


class RequestModel(BaseModel):
    """The base of every request body: unknown keys are refused, and so are integers beyond 64 bits
    anywhere in it (free-form parts too: they are stored as JSON, which holds 64 bits)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _integers_fit(cls, data: Any) -> Any:
        where = _too_big(data)
        if where is not None:
            raise ValueError(f"{where}: integer out of range (at most 64 bits)")
        return data


class ListOf(BaseModel, Generic[T]):
    data: list[T]
    count: int = Field(description="Total number of items (all pages)")


class PlanPublic(BaseModel):
    id: str
    name: str
    display_name: str | None
    description: str | None
    compatibility: str
    latest_version: int
    draft_revision: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None

    @classmethod
    def of(cls, row: PlanRow) -> PlanPublic:
        return cls.model_validate(row, from_attributes=True)


class PlanListed(PlanPublic):
    stats: PlanStats | None = Field(None, description="With ?stats=true")

    @classmethod
    def of(cls, row: PlanRow, stats: PlanStats | None = None) -> PlanListed:
        return cls(**PlanPublic.of(row).model_dump(), stats=stats)


class PlanUpdate(RequestModel):
    display_name: str | None = None
    description: str | None = None
    compatibility: CompatibilityMode | None = None


class VersionPublic(BaseModel):
    plan_id: str
    version: int
    content_hash: str
    schema_hash: str
    category: str
    changes: list[ChangePublic]
    message: str | None
    rollback_of: int | None
    created_by: str | None
    created_at: datetime
    body: PlanBody | None = Field(None, description="The plan document of this version (when asked for one)")

    @classmethod
    def of(cls, row: PlanVersionRow, *, with_body: bool = False) -> VersionPublic:
        return cls(
            plan_id=row.plan_id, version=row.version, content_hash=row.content_hash,
            schema_hash=row.schema_hash, category=row.category, changes=orjson.loads(row.changes),
            message=row.message, rollback_of=row.rollback_of, created_by=row.created_by,
            created_at=row.created_at, body=orjson.loads(row.body) if with_body else None,
        )


class PublishRequest(RequestModel):
    message: str | None = None
    allow_breaking: bool = Field(False, description="Publish even when the plan's compatibility mode forbids it")


class RollbackRequest(RequestModel):
    version: int = Field(ge=1, le=INT32_MAX, description="The version whose body is published again as a new version")
    message: str | None = Field(None, description="Kept with the new version (default: 'rollback to version N')")
    allow_breaking: bool = Field(False, description="Roll back even when the plan's compatibility mode forbids "
                                                    "the change from the latest version")


class SourceCreate(RequestModel):
    name: str = Field(min_length=1, max_length=100)
    plan: str | None = Field(None, description="Plan id or name")
    plan_version: int | None = Field(None, ge=1, le=INT32_MAX, description="Pin a version; null follows the latest")
    upstream_url: str | None = Field(None, pattern=r"^https?://")
    upstream_write_key: str | None = Field(None, description="Write key sent to the upstream (never returned)")
    mode: Literal["enforce", "shadow"] = "enforce"
    settings: SourceSettings = Field(default_factory=SourceSettings)


class SourceUpdate(RequestModel):
    name: str | None = Field(None, min_length=1, max_length=100)
    plan: str | None = None
    plan_version: int | None = Field(None, ge=1, le=INT32_MAX)
    upstream_url: str | None = Field(None, pattern=r"^https?://")
    upstream_write_key: str | None = None
    mode: Literal["enforce", "shadow"] | None = None


class SourcePublic(BaseModel):
    id: str
    name: str
    plan_id: str | None
    plan_version: int | None
    upstream_url: str | None
    has_upstream_write_key: bool
    mode: str
    settings: SourceSettings
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: SourceRow) -> SourcePublic:
        return cls(
            id=row.id, name=row.name, plan_id=row.plan_id, plan_version=row.plan_version,
            upstream_url=row.upstream_url, has_upstream_write_key=bool(row.upstream_write_key),
            mode=row.mode, settings=SourceSettings.model_validate(orjson.loads(row.settings)),
            created_at=row.created_at, updated_at=row.updated_at,
        )


class SourceListed(SourcePublic):
    stats: SourceStats | None = Field(None, description="With ?stats=true")

    @classmethod
    def of(cls, row: SourceRow, stats: SourceStats | None = None) -> SourceListed:
        return cls(**SourcePublic.of(row).model_dump(), stats=stats)


class SourceCreated(SourcePublic):
    write_key: str = Field(description="Shown once: store it now")


class WriteKeyPublic(BaseModel):
    id: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: WriteKeyRow) -> WriteKeyPublic:
        return cls.model_validate(row, from_attributes=True)


class WriteKeyCreated(WriteKeyPublic):
    write_key: str = Field(description="Shown once: store it now")


class TokenCreate(RequestModel):
    role: Literal["viewer", "editor", "admin"]
    name: str = Field("api", min_length=1, max_length=100)


class TokenPublic(BaseModel):
    id: str
    name: str
    role: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: ApiTokenRow) -> TokenPublic:
        return cls.model_validate(row, from_attributes=True)


class TokenCreated(TokenPublic):
    token: str = Field(description="Shown once: store it now")


class AuditPublic(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    details: Any

    @classmethod
    def of(cls, row: AuditRow) -> AuditPublic:
        return cls(id=row.id or 0, at=row.at, actor=row.actor, action=row.action, entity=row.entity,
                   entity_id=row.entity_id, details=orjson.loads(row.details))


class TransformationCreate(TransformationSpec):
    """A transformation: ``{name, enabled, if, action, params}`` and where it runs in the order."""

    position: int | None = Field(None, ge=0, le=INT32_MAX, description="Place in the order (default: after the last)")


class TransformationUpdate(RequestModel):
    """The fields to change; the result is validated as a whole transformation."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    name: str | None = Field(None, min_length=1, max_length=100)
    enabled: bool | None = None
    condition: Condition | None = Field(None, alias="if")
    action: str | None = None
    params: dict[str, Any] | None = Field(None, description="The action's parameters (see the actions)")
    position: int | None = Field(None, ge=0, le=INT32_MAX)
