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
    # attribute docstrings are the field descriptions of the plan's JSON Schema (governance/plan/schema.py)
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=False, use_attribute_docstrings=True)


class PropertySpec(StrictModel):
    """A friendly subset of JSON Schema for one property, or a raw ``schema:`` escape hatch."""

    type: str | list[str] | None = None
    """A type name or a list of them: string, number, integer, boolean, object, array, null, any (none: any)."""
    required: bool = False
    """The property must be present (a missing one is a required_missing violation)."""
    nullable: bool = False
    """null is also accepted (added to the types, and to enum when there is one)."""
    description: str | None = None
    """What the property means (copied into the compiled schema)."""
    pii: bool = False
    """The value is personal data (metadata: it does not change validation)."""
    enum: list[Any] | None = None
    """The value must be one of these (Segment's permitted values)."""
    const: Any = None
    """The value must be exactly this."""
    pattern: str | None = None
    """Strings must match this regular expression (unanchored: add ^...$ for a full match)."""
    format: str | None = None
    """Strings must be in this format (validated, not only annotated)."""
    minimum: int | float | None = None
    """Inclusive lower bound for numbers."""
    maximum: int | float | None = None
    """Inclusive upper bound for numbers."""
    exclusiveMinimum: int | float | None = None
    """Exclusive lower bound for numbers."""
    exclusiveMaximum: int | float | None = None
    """Exclusive upper bound for numbers."""
    multipleOf: int | float | None = Field(None, gt=0)
    """Numbers must be a multiple of it (0.01 for cents)."""
    minLength: int | None = Field(None, ge=0)
    """Minimum length of a string, in characters."""
    maxLength: int | None = Field(None, ge=0)
    """Maximum length of a string, in characters."""
    minItems: int | None = Field(None, ge=0)
    """Minimum length of an array."""
    maxItems: int | None = Field(None, ge=0)
    """Maximum length of an array."""
    uniqueItems: bool | None = None
    """Array items must all differ."""
    items: PropertySpec | None = None
    """The property every array item must meet (for type: array)."""
    properties: dict[str, PropertySpec] | None = None
    """The keys of a nested object (for type: object)."""
    additionalProperties: bool | None = None
    """false closes a nested object: keys not in properties are refused (open otherwise)."""
    deprecated: bool = False
    """On its way out (compiled as the deprecated annotation; rejects nothing)."""
    raw_schema: dict[str, Any] | None = Field(None, alias="schema")
    """A raw JSON Schema 2020-12 for the property; combines only with required, description, pii and deprecated."""

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
    """What changed in this version."""
    properties: Properties = Field(default_factory=dict)
    """The properties of this version (they replace the event's)."""
    deprecated: bool = False
    """This version is on its way out."""


class CheckSpec(StrictModel):
    """A data-quality check declared in the plan; kinds and their params: ``plan/check_spec.py``."""

    kind: str
    """The check to run (a kind registered by the quality module)."""
    params: dict[str, Any] = Field(default_factory=dict)
    """The kind's parameters, validated against the kind's JSON Schema (``plan/check_spec.py``)."""
    severity: Literal["info", "warning", "critical"] | None = None
    """Severity of the alerts the check raises (default: the kind's, ``info`` for ``decline``)."""
    for_: int | None = Field(None, alias="for", ge=1)
    """Failing evaluations in a row before the check fires (default: the kind's)."""
    keep_firing_for: int | None = Field(None, ge=0)
    """Passing evaluations in a row before a firing check resolves."""


class EventSpec(StrictModel):
    description: str | None = None
    """What happened, in a sentence."""
    owner: str | None = None
    """Who answers for the event (an email); alerts about it go there."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Free key/value tags, as Segment's labels; used to filter and to route alerts."""
    version: int = Field(1, ge=1)
    """The version number of properties below."""
    properties: Properties = Field(default_factory=dict)
    """The properties of this version (undeclared ones are unplanned properties)."""
    versions: dict[int, EventVersion] = Field(default_factory=dict)
    """Further live versions by number, chosen by context.protocols.event_version."""
    deprecated: bool = False
    """On its way out (metadata: the compiled schema is unchanged)."""
    checks: list[CheckSpec] = Field(default_factory=list)
    """Data-quality checks on this event."""
    expectations: list[dict[str, Any]] = Field(default_factory=list)
    """Great Expectations expectations on this event's properties."""

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
    """What these calls describe."""
    owner: str | None = None
    """Who answers for these traits."""
    traits: Properties = Field(default_factory=dict)
    """The traits, by name (undeclared ones are unplanned traits)."""


class NamedView(StrictModel):
    description: str | None = None
    """What this page or screen is."""
    owner: str | None = None
    """Who answers for it."""
    properties: Properties = Field(default_factory=dict)
    """The properties calls with this name send."""


class ViewSpec(StrictModel):
    """Page or screen calls: a default schema and optional per-name schemas."""

    description: str | None = None
    """What these calls are."""
    properties: Properties = Field(default_factory=dict)
    """The properties of calls whose name has no entry in names."""
    names: dict[str, NamedView] = Field(default_factory=dict)
    """A schema per page or screen name, matched exactly against the message's name."""


class CommonSpec(StrictModel):
    """Rules over the whole message, every kind (e.g. ``context.app.version`` required)."""

    description: str | None = None
    """What every message must carry, in a sentence."""
    properties: Properties = Field(default_factory=dict)
    """Keys of the whole message (context, userId, ...); open at every level."""


class NamingConfig(StrictModel):
    events: Literal["object_action_title", "snake_case", "camelCase", "any"] = "object_action_title"
    """The convention event names follow (lint warnings only)."""
    properties: Literal["snake_case", "camelCase", "any"] = "snake_case"
    """The convention property names follow (lint warnings only)."""


CompatibilityMode = Literal[
    "NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"
]
PlanName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9_.-]*$")]


class Plan(StrictModel):
    """A whole tracking plan, the unit that is versioned and published."""

    name: PlanName
    """The plan's identifier: lower case, digits, _ . - (at most 100 characters)."""
    display_name: str | None = None
    """A human name for the plan."""
    description: str | None = None
    """What the plan covers."""
    owner: str | None = None
    """Who answers for the plan as a whole, usually a team's email address."""
    compatibility: CompatibilityMode | None = None
    """Which changes a publish accepts (default BACKWARD)."""
    event_version_fallback: VersionFallback = VersionFallback.latest
    """Which event version applies when a message names none."""
    naming: NamingConfig = Field(default_factory=NamingConfig)
    """The naming conventions the linter checks."""
    common: CommonSpec = Field(default_factory=CommonSpec)
    """Rules over the whole message, every kind (e.g. context.app.version required)."""
    events: dict[str, EventSpec] = Field(default_factory=dict)
    """track calls, by exact event name (at most 200 characters)."""
    identify: TraitsSpec | None = None
    """The traits identify calls may set."""
    group: TraitsSpec | None = None
    """The traits group calls may set."""
    page: ViewSpec | None = None
    """What page calls send."""
    screen: ViewSpec | None = None
    """What screen calls send."""
    checks: list[CheckSpec] = Field(default_factory=list)
    """Plan-wide data-quality checks."""

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
