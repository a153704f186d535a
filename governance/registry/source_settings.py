"""Per-source schema controls, named and shaped as Segment's Public API source settings.

``PATCH /api/v1/sources/{id}/settings`` takes ``{"track": {...}, "identify": {...}, "group": {...}}``
exactly as Segment does, so existing automation carries over. Page and screen calls follow the
``track`` controls (except unplanned events: page/screen names fall back to the default schema).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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

    def merged(self, patch: dict[str, Any]) -> SourceSettings:
        """Apply a partial settings body (Segment's PATCH semantics: only the given keys change)."""
        current = self.model_dump()
        for section, values in patch.items():
            if isinstance(values, dict) and isinstance(current.get(section), dict):
                current[section] = {**current[section], **values}
            else:
                current[section] = values
        return SourceSettings.model_validate(current)


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
