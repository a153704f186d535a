"""Routing: which channels an alert goes to. Pure functions over rules and channels.

A rule is ``matchers -> channel ids``. Every matcher given must hold (an absent one matches
anything); every enabled rule that matches adds its channels — there is no first-match-wins::

    {"owner": "checkout@example.com",       # the event's owner (str or list)
     "labels": {"team": "checkout"},         # every key=value among the event's labels
     "source": "android-app",                # source name or id (str or list)
     "severity": "warning",                  # this severity or higher (info < warning < critical)
     "check_kind": ["volume", "silence"],    # str or list
     "event": "Order Completed"}             # str or list

The implicit **owner route**: an email channel whose ``to`` holds the word ``"owner"`` is
addressed to the owner of the alert's event (the plan's ``owner`` of the event, else of the
plan). Every alert with an owner reaches every such channel without a rule; a rule may also
name the channel, and then ``"owner"`` stands for the owner when there is one. Other addresses
in the same ``to`` always receive it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from governance.alerts.lifecycle import SEVERITY_RANK
from governance.matchers import LABEL_PREFIX, NAMES

OWNER = "owner"


class Matchers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    owner: str | list[str] | None = Field(None, description="Owner email(s) of the alert's event")
    labels: dict[str, str] = Field(default_factory=dict, description="Event labels that must all match")
    source: str | list[str] | None = Field(None, description="Source name(s) or id(s)")
    severity: Literal["info", "warning", "critical"] | None = Field(None, description="Minimum severity")
    check_kind: str | list[str] | None = Field(None, description="Check kind(s)")
    event: str | list[str] | None = Field(None, description="Event name(s)")


GROUP_BY_DEFAULT = ("source_id", "check_kind")


class Grouping(BaseModel):
    """A route's grouping (Alertmanager's ``group_by`` and timings); an absent timing is the setting's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    group_by: tuple[str, ...] | None = Field(None, description="Labels whose values make a group (default: "
                                             "source_id, check_kind); [] puts every alert in one group")
    group_wait_s: float | None = Field(None, ge=0, le=86400, description="Wait before a new group's first notification")
    group_interval_s: float | None = Field(None, ge=0, le=86400, description="Wait before notifying a group's changes")
    repeat_interval_s: float | None = Field(None, gt=0, le=30 * 86400, description="Re-send while firing, this often")

    @field_validator("group_by")
    @classmethod
    def _names(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for name in value or ():
            if name not in NAMES and not name.startswith(LABEL_PREFIX):
                raise ValueError(f"unknown label {name!r}; expected one of {', '.join(NAMES)} or labels.<key>")
        return tuple(dict.fromkeys(value)) if value is not None else None

    def labels(self) -> tuple[str, ...]:
        return GROUP_BY_DEFAULT if self.group_by is None else self.group_by


DEFAULT_GROUPING = Grouping()


@dataclass(frozen=True)
class Rule:
    id: str
    matchers: Matchers
    channel_ids: tuple[str, ...]
    enabled: bool = True
    grouping: Grouping = DEFAULT_GROUPING


@dataclass(frozen=True)
class Channel:
    id: str
    kind: str
    config: Mapping[str, Any]
    enabled: bool = True


@dataclass(frozen=True)
class Route:
    """One channel an alert goes to; ``recipient`` is the owner for owner-addressed email."""

    channel_id: str
    recipient: str | None
    via: str  # a rule id, or "owner" for the implicit owner route
    grouping: Grouping = DEFAULT_GROUPING  # the first matching rule's, the defaults for the owner route


def _one_of(value: str | list[str] | None, *candidates: Any) -> bool:
    if value is None:
        return True
    wanted = [value] if isinstance(value, str) else value
    return any(c in wanted for c in candidates if c is not None)


def matches(m: Matchers, alert: Mapping[str, Any]) -> bool:
    """Does ``alert`` (owner, labels, source_id, source_name, severity, check_kind, event) match?"""
    labels = alert.get("labels") or {}
    return (
        _one_of(m.owner, alert.get("owner"))
        and all(labels.get(k) == v for k, v in m.labels.items())
        and _one_of(m.source, alert.get("source_id"), alert.get("source_name"))
        and (m.severity is None or SEVERITY_RANK.get(str(alert.get("severity")), 0) >= SEVERITY_RANK[m.severity])
        and _one_of(m.check_kind, alert.get("check_kind"))
        and _one_of(m.event, alert.get("event"))
    )


def recipients_of(config: Mapping[str, Any]) -> list[str]:
    to = config.get("to")
    return [to] if isinstance(to, str) else [str(t) for t in (to or [])]


def owner_addressed(channel: Channel) -> bool:
    return channel.kind == "email" and OWNER in recipients_of(channel.config)


def usable_owner(owner: Any) -> str | None:
    return owner if isinstance(owner, str) and "@" in owner and not owner.startswith("@") else None


def route(alert: Mapping[str, Any], rules: Iterable[Rule], channels: Mapping[str, Channel]) -> list[Route]:
    """Every channel ``alert`` goes to, once each, rule routes first then the owner route."""
    owner = usable_owner(alert.get("owner"))
    found: dict[str, Route] = {}

    def add(channel: Channel | None, via: str, grouping: Grouping = DEFAULT_GROUPING) -> None:
        if channel is None or not channel.enabled or channel.id in found:
            return
        recipient = owner if owner_addressed(channel) else None
        if owner_addressed(channel) and recipient is None and recipients_of(channel.config) == [OWNER]:
            return  # addressed to the owner only, and there is none
        found[channel.id] = Route(channel.id, recipient, via, grouping)

    for rule in rules:
        if rule.enabled and matches(rule.matchers, alert):
            for channel_id in rule.channel_ids:
                add(channels.get(channel_id), rule.id, rule.grouping)
    if owner is not None:
        for channel in channels.values():
            if owner_addressed(channel):
                add(channel, OWNER)
    return list(found.values())


def resolve_recipients(config: Mapping[str, Any], recipient: str | None) -> list[str]:
    """The ``to`` list of an email channel with ``"owner"`` replaced by ``recipient`` (or dropped)."""
    out = [recipient if t == OWNER else t for t in recipients_of(config)]
    return list(dict.fromkeys(t for t in out if t))
