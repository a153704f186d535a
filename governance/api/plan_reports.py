"""Response bodies of the plan routes that report rather than store: diffs, compatibility,
compiled schemas, imports and inferred plans. Plan documents in them reference the plan format's
JSON Schema (``#/components/schemas/Plan``) in the OpenAPI document; they are returned as stored
(canonical: defaults left out), not re-serialised through the plan models."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from governance.api.schemas import ChangePublic, PlanBody, PlanPublic

# a whole diff's category: a single change's, or "none" when the two sides are the same
DiffCategory = Literal["additive", "revision", "breaking", "none"]


class DiffPublic(BaseModel):
    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    category: DiffCategory
    changes: list[ChangePublic]


class CompatibilityPublic(BaseModel):
    is_compatible: bool
    mode: str = Field(description="The compatibility mode judged against")
    category: DiffCategory
    changes: list[ChangePublic] = Field(description="Every change from the latest version")
    messages: list[str] = Field(description="The changes the mode refuses, as sentences")
    against_version: int | None = Field(None, description="The version a transitive mode found it incompatible with")


class CompiledSchema(BaseModel):
    kind: str = Field(description="track, identify, group, page, screen or common")
    event: str = Field(description="Event or page/screen name ('' for the kind's default schema)")
    event_version: int
    schema_: dict[str, Any] = Field(alias="schema", serialization_alias="schema",
                                    description="The JSON Schema 2020-12 a message of this kind is judged by")


class CompiledSchemasPublic(BaseModel):
    version: int
    schema_hash: str
    schemas: list[CompiledSchema]


class ReportItemPublic(BaseModel):
    path: str = Field(description="Where in the input (file:path.in.document)")
    message: str
    severity: Literal["info", "warning", "error"]


class ImportPublic(BaseModel):
    plan: PlanPublic
    created: bool = Field(description="true: a new plan; false: the draft of an existing plan was replaced")
    report: list[ReportItemPublic] = Field(description="What was not carried over exactly, and the naming detected")


class InferReportPublic(BaseModel):
    messages: int
    skipped: int = Field(description="Messages that are not track/page/screen/identify/group with an object body")
    invalid_lines: int = Field(description="Samples (lines) that are not JSON, skipped")
    invalid_line_numbers: list[int]
    events: dict[str, int] = Field(description="Messages seen per 'kind event'")
    properties: list[dict[str, Any]]
    near_duplicates: list[list[str]]
    items: list[ReportItemPublic]


class InferredPlanPublic(BaseModel):
    samples: int = Field(description="Samples read")
    plan: PlanBody
    report: InferReportPublic
