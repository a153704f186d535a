"""The authored tracking-plan format: what people write in ``plans/*.yaml`` and send to the API.

A plan describes, per Segment message kind, what a valid message looks like::

    name: ecommerce
    events:                       # track calls, by exact event name
      Order Completed:
        description: A customer completed an order
        owner: checkout@example.com
        labels: {team: checkout}
        properties:
          order_id: {type: string, required: true}
          total: {type: number, minimum: 0}
        versions:                 # further live versions, chosen by context.protocols.event_version
          2: {properties: {...}}
    identify: {traits: {...}}
    group: {traits: {...}}
    page: {properties: {...}, names: {Home: {properties: {...}}}}
    screen: {...}
    common: {properties: {context: {...}}}   # over the whole message, every kind

Models forbid unknown keys so a typo is an error with a path, never a silently ignored rule.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from governance.plan.regex import regex_problem

PROPERTY_TYPES = ("string", "number", "integer", "boolean", "object", "array", "null", "any")
FORMATS = frozenset(
    {"date-time", "date", "time", "email", "uri", "uuid", "ipv4", "ipv6", "hostname", "duration"}
)


class MessageKind(StrEnum):
    track = "track"
    identify = "identify"
    group = "group"
    page = "page"
    screen = "screen"
    alias = "alias"


class VersionFallback(StrEnum):
    """Which event version applies when a message names none (Segment: always the oldest)."""

    latest = "latest"
    oldest = "oldest"
    any = "any"


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=False)


class PropertySpec(StrictModel):
    """A friendly subset of JSON Schema for one property, or a raw ``schema:`` escape hatch."""

    type: str | list[str] | None = None
    required: bool = False
    nullable: bool = False
    description: str | None = None
    pii: bool = False
    enum: list[Any] | None = None
    const: Any = None
    pattern: str | None = None
    format: str | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    exclusiveMinimum: int | float | None = None
    exclusiveMaximum: int | float | None = None
    multipleOf: int | float | None = Field(None, gt=0)
    minLength: int | None = Field(None, ge=0)
    maxLength: int | None = Field(None, ge=0)
    minItems: int | None = Field(None, ge=0)
    maxItems: int | None = Field(None, ge=0)
    uniqueItems: bool | None = None
    items: PropertySpec | None = None
    properties: dict[str, PropertySpec] | None = None
    additionalProperties: bool | None = None
    deprecated: bool = False
    raw_schema: dict[str, Any] | None = Field(None, alias="schema")

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str | list[str] | None) -> str | list[str] | None:
        names = [value] if isinstance(value, str) else (value or [])
        for name in names:
            if name not in PROPERTY_TYPES:
                raise ValueError(f"unknown type {name!r}; expected one of {list(PROPERTY_TYPES)}")
        if isinstance(value, list) and not value:
            raise ValueError("type must name at least one type")
        return value

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str | None) -> str | None:
        if value is not None and value not in FORMATS:
            raise ValueError(f"unknown format {value!r}; expected one of {sorted(FORMATS)}")
        return value

    @field_validator("enum")
    @classmethod
    def _enum_not_empty(cls, value: list[Any] | None) -> list[Any] | None:
        if value is not None and not value:
            raise ValueError("enum must list at least one value")
        return value

    @model_validator(mode="after")
    def _coherent(self) -> PropertySpec:
        if self.raw_schema is not None:
            friendly = self.model_fields_set - {"raw_schema", "required", "description", "pii", "deprecated"}
            if friendly:
                raise ValueError(
                    f"'schema' is a raw JSON Schema escape hatch; do not combine it with {sorted(friendly)}"
                )
        for low, high in (("minimum", "maximum"), ("minLength", "maxLength"), ("minItems", "maxItems")):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and lo > hi:
                raise ValueError(f"{low} ({lo}) is greater than {high} ({hi})")
        if self.pattern is not None:
            problem = regex_problem(self.pattern)
            if problem:
                raise ValueError(problem)
        return self

    def types(self) -> list[str]:
        """The declared types as a list (empty means any)."""
        if self.type is None or self.type == "any":
            return []
        return [self.type] if isinstance(self.type, str) else [t for t in self.type if t != "any"]


Properties = dict[str, PropertySpec]


class EventVersion(StrictModel):
    """Another live version of a track event; it replaces the properties, keeps the metadata."""

    description: str | None = None
    properties: Properties = Field(default_factory=dict)
    deprecated: bool = False


class CheckSpec(StrictModel):
    """A data-quality check declared in the plan; kinds and their params: ``plan/check_spec.py``."""

    kind: str
    params: dict[str, Any] = Field(default_factory=dict)
    severity: Literal["info", "warning", "critical"] | None = None  # None: the kind's default
    for_: int | None = Field(None, alias="for", ge=1)
    keep_firing_for: int | None = Field(None, ge=0)


class EventSpec(StrictModel):
    description: str | None = None
    owner: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    version: int = Field(1, ge=1)
    properties: Properties = Field(default_factory=dict)
    versions: dict[int, EventVersion] = Field(default_factory=dict)
    deprecated: bool = False
    checks: list[CheckSpec] = Field(default_factory=list)
    expectations: list[dict[str, Any]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _versions(self) -> EventSpec:
        if self.version in self.versions:
            raise ValueError(f"version {self.version} is both the event's own version and in 'versions'")
        for number in self.versions:
            if number < 1:
                raise ValueError(f"event versions are positive integers, got {number}")
        return self

    def all_versions(self) -> dict[int, Properties]:
        """Every live version number with its properties, in ascending order."""
        found = {self.version: self.properties}
        found.update({n: v.properties for n, v in self.versions.items()})
        return dict(sorted(found.items()))


class TraitsSpec(StrictModel):
    description: str | None = None
    owner: str | None = None
    traits: Properties = Field(default_factory=dict)


class NamedView(StrictModel):
    description: str | None = None
    owner: str | None = None
    properties: Properties = Field(default_factory=dict)


class ViewSpec(StrictModel):
    """Page or screen calls: a default schema and optional per-name schemas."""

    description: str | None = None
    properties: Properties = Field(default_factory=dict)
    names: dict[str, NamedView] = Field(default_factory=dict)


class CommonSpec(StrictModel):
    """Rules over the whole message, every kind (e.g. ``context.app.version`` required)."""

    description: str | None = None
    properties: Properties = Field(default_factory=dict)


class NamingConfig(StrictModel):
    events: Literal["object_action_title", "snake_case", "camelCase", "any"] = "object_action_title"
    properties: Literal["snake_case", "camelCase", "any"] = "snake_case"


CompatibilityMode = Literal[
    "NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"
]
PlanName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9_.-]*$")]


class Plan(StrictModel):
    """A whole tracking plan, the unit that is versioned and published."""

    name: PlanName
    display_name: str | None = None
    description: str | None = None
    owner: str | None = None
    compatibility: CompatibilityMode | None = None
    event_version_fallback: VersionFallback = VersionFallback.latest
    naming: NamingConfig = Field(default_factory=NamingConfig)
    common: CommonSpec = Field(default_factory=CommonSpec)
    events: dict[str, EventSpec] = Field(default_factory=dict)
    identify: TraitsSpec | None = None
    group: TraitsSpec | None = None
    page: ViewSpec | None = None
    screen: ViewSpec | None = None
    checks: list[CheckSpec] = Field(default_factory=list)

    @field_validator("events")
    @classmethod
    def _event_names(cls, value: dict[str, EventSpec]) -> dict[str, EventSpec]:
        for name in value:
            if not name.strip():
                raise ValueError("event names must not be empty")
            if len(name) > 200:
                raise ValueError(f"event name is longer than 200 characters: {name[:40]!r}…")
        return value

    def body(self) -> dict[str, Any]:
        """The canonical JSON body: defaults dropped, aliases used (what is stored and hashed)."""
        return self.model_dump(mode="json", by_alias=True, exclude_defaults=True)
