"""Per-source schema controls, named and shaped as Segment's Public API source settings.

``PATCH /api/v1/sources/{id}/settings`` takes ``{"track": {...}, "identify": {...}, "group": {...}}``
exactly as Segment does, so existing automation carries over. Page and screen calls follow the
``track`` controls (except unplanned events: page/screen names fall back to the default schema).

Beyond Segment's names: ``allowedOrigins`` restricts which web pages may send with the source's
write key (empty: any origin, since a write key is public in a browser anyway).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

CommonTrack = Literal["ALLOW", "BLOCK", "OMIT_PROPERTIES"]
CommonTraits = Literal["ALLOW", "BLOCK", "OMIT_TRAITS"]
PiiAction = Literal["allow", "hash", "mask", "drop"]


class _Controls(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TrackControls(_Controls):
    allowUnplannedEvents: bool = True
    allowUnplannedEventProperties: bool = True
    allowEventOnViolations: bool = True
    allowPropertiesOnViolations: bool = True
    commonEventOnViolations: CommonTrack = "ALLOW"


class TraitsControls(_Controls):
    allowUnplannedTraits: bool = True
    allowTraitsOnViolations: bool = True
    allowEventOnViolations: bool = True
    commonEventOnViolations: CommonTraits = "ALLOW"


class PrivacyControls(_Controls):
    """What happens to a value that looks like PII where the plan did not plan it (``proxy.pii_guard``):
    ``allow`` reports it (a ``pii_detected`` violation) and keeps it; ``hash``, ``mask`` and ``drop``
    also change it in the forwarded event and in every stored copy (quarantine, samples)."""

    piiAction: PiiAction = "allow"


class PrivacyControlsPatch(_Controls):
    piiAction: PiiAction | None = None


class SourceSettings(_Controls):
    track: TrackControls = Field(default_factory=TrackControls)
    identify: TraitsControls = Field(default_factory=TraitsControls)
    group: TraitsControls = Field(default_factory=TraitsControls)
    forwardingViolationsTo: str | None = None
    forwardingBlockedEventsTo: str | None = None
    privacy: PrivacyControls = Field(default_factory=PrivacyControls)
    allowedOrigins: list[str] = Field(default_factory=list, max_length=100)

    @field_validator("allowedOrigins", mode="before")
    @classmethod
    def _no_origins(cls, values: Any) -> Any:
        return [] if values is None else values  # null: back to any origin

    @field_validator("allowedOrigins")
    @classmethod
    def _origins(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(normalise_origin(v) for v in values))

    def merged(self, patch: dict[str, Any]) -> SourceSettings:
        """Apply a partial settings body (Segment's PATCH semantics: only the given keys change)."""
        current = self.model_dump()
        for section, values in patch.items():
            if isinstance(values, dict) and isinstance(current.get(section), dict):
                current[section] = {**current[section], **values}
            else:
                current[section] = values
        return SourceSettings.model_validate(current)


# scheme://host[:port], where host may start with "*." (any subdomain, not the domain itself)
_ORIGIN = re.compile(r"^(https?)://(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$")
DEFAULT_PORTS = {"http": ":80", "https": ":443"}


def normalise_origin(value: str) -> str:
    """An origin as browsers send it in ``Origin`` (lower case, no default port, no path), or ValueError."""
    origin = value.strip().lower().rstrip("/")
    match = _ORIGIN.match(origin) if len(origin) <= 300 else None
    if match is None:
        raise ValueError(f"{value!r} is not an origin: scheme://host[:port], e.g. https://shop.example.com "
                         "or https://*.example.com")
    default = DEFAULT_PORTS[match.group(1)]
    return origin[: -len(default)] if origin.endswith(default) else origin


class TrackControlsPatch(_Controls):
    """``track`` in a settings PATCH: only the given keys change."""

    allowUnplannedEvents: bool | None = None
    allowUnplannedEventProperties: bool | None = None
    allowEventOnViolations: bool | None = None
    allowPropertiesOnViolations: bool | None = None
    commonEventOnViolations: CommonTrack | None = None


class TraitsControlsPatch(_Controls):
    """``identify`` or ``group`` in a settings PATCH: only the given keys change."""

    allowUnplannedTraits: bool | None = None
    allowTraitsOnViolations: bool | None = None
    allowEventOnViolations: bool | None = None
    commonEventOnViolations: CommonTraits | None = None


class SourceSettingsPatch(_Controls):
    """The body of ``PATCH /sources/{s}/settings`` (Segment's shape); unknown keys are refused."""

    track: TrackControlsPatch | None = None
    identify: TraitsControlsPatch | None = None
    group: TraitsControlsPatch | None = None
    forwardingViolationsTo: str | None = None
    forwardingBlockedEventsTo: str | None = None
    privacy: PrivacyControlsPatch | None = None
    allowedOrigins: list[str] | None = Field(None, max_length=100)

    @field_validator("allowedOrigins")
    @classmethod
    def _origins(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else list(dict.fromkeys(normalise_origin(v) for v in values))

    def changes(self) -> dict[str, Any]:
        """The keys the caller gave, nested, for ``SourceSettings.merged``."""
        return self.model_dump(exclude_unset=True)


STRICT = SourceSettings(
    track=TrackControls(
        allowUnplannedEvents=False,
        allowUnplannedEventProperties=False,
        allowEventOnViolations=False,
        allowPropertiesOnViolations=False,
        commonEventOnViolations="BLOCK",
    ),
    identify=TraitsControls(
        allowUnplannedTraits=False,
        allowTraitsOnViolations=False,
        allowEventOnViolations=False,
        commonEventOnViolations="BLOCK",
    ),
    group=TraitsControls(
        allowUnplannedTraits=False,
        allowTraitsOnViolations=False,
        allowEventOnViolations=False,
        commonEventOnViolations="BLOCK",
    ),
)
