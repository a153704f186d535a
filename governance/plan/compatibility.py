"""Compatibility modes and the publish check, as pure functions (no database).

Confluent Schema Registry / Karapace semantics:

    mode                 the new version must be ...                       compared with
    NONE                 anything                                          -
    BACKWARD (default)   able to validate every message the old one did    the latest version
    BACKWARD_TRANSITIVE  the same                                          every earlier version
    FORWARD              no more permissive: its messages were valid       the latest version
    FORWARD_TRANSITIVE   the same                                          every earlier version
    FULL                 both                                              the latest version
    FULL_TRANSITIVE      both                                              every earlier version

``check_publish`` returns the reason for refusal (Iglu's ``VersionCursor.isAllowed`` style), or
``None`` when the new plan may be published.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from governance.plan.diff import Change, diff_plans
from governance.plan.model import Plan


class Mode(StrEnum):
    """A compatibility mode (the values of ``plan.model.CompatibilityMode``)."""

    NONE = "NONE"
    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"

    @property
    def backward(self) -> bool:
        """The new version must validate every message the old one did."""
        return self.value.startswith(("BACKWARD", "FULL"))

    @property
    def forward(self) -> bool:
        """The old version must validate every message the new one does."""
        return self.value.startswith(("FORWARD", "FULL"))

    @property
    def transitive(self) -> bool:
        """Compared with every earlier version, not only the latest."""
        return self.value.endswith("_TRANSITIVE")


DEFAULT_MODE = Mode.BACKWARD
_CATEGORY_RANK = {"none": 0, "revision": 1, "additive": 2, "breaking": 3}


@dataclass(frozen=True)
class Refusal:
    """Why a plan may not be published: the mode, the version it breaks, the offending changes."""

    mode: Mode
    against_version: int  # 1-based position in the history; the version number when history is complete
    changes: tuple[Change, ...]

    @property
    def message(self) -> str:
        first = self.changes[0]
        more = f" (and {len(self.changes) - 1} more)" if len(self.changes) > 1 else ""
        return f"incompatible with version {self.against_version} under {self.mode}: {first}{more}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "against_version": self.against_version,
            "message": self.message,
            "changes": [change.to_dict() for change in self.changes],
        }


def resolve_mode(mode: str | None, plan: Plan | None = None) -> Mode:
    """The mode in force: the one asked for, else the plan's own, else BACKWARD."""
    chosen = mode or (plan.compatibility if plan is not None else None) or DEFAULT_MODE
    try:
        return Mode(chosen.upper())
    except ValueError:
        raise ValueError(f"unknown compatibility mode {mode!r}; expected one of {[m.value for m in Mode]}") from None


def offending(changes: Iterable[Change], mode: str) -> list[Change]:
    """The changes that ``mode`` does not allow."""
    rule = resolve_mode(mode)
    return [c for c in changes if (rule.backward and not c.backward) or (rule.forward and not c.forward)]


def classify(changes: Iterable[Change]) -> str:
    """A whole diff's category: ``breaking`` > ``additive`` > ``revision`` > ``none``."""
    found = "none"
    for change in changes:
        if _CATEGORY_RANK[change.category] > _CATEGORY_RANK[found]:
            found = change.category
            if found == "breaking":
                break
    return found


def check_publish(new: Plan, history: Sequence[Plan], mode: str | None = None) -> Refusal | None:
    """Refuse ``new`` when it breaks ``mode`` against ``history`` (oldest first), else ``None``.

    Non-transitive modes compare with the latest version only; transitive modes with every
    earlier version, newest first, and report the first one broken.
    """
    rule = resolve_mode(mode, new)
    if not (rule.backward or rule.forward) or not history:
        return None
    positions = range(len(history) - 1, -1, -1) if rule.transitive else [len(history) - 1]
    for index in positions:
        bad = offending(diff_plans(history[index], new), rule)
        if bad:
            return Refusal(mode=rule, against_version=index + 1, changes=tuple(bad))
    return None


def compatibility_report(old: Plan, new: Plan, mode: str | None = None) -> dict[str, Any]:
    """Karapace's ``{is_compatible, messages}``, with the mode, the category and every change."""
    mode = resolve_mode(mode, new)
    changes = diff_plans(old, new)
    bad = offending(changes, mode)
    return {
        "is_compatible": not bad,
        "mode": mode,
        "category": classify(changes),
        "changes": [change.to_dict() for change in changes],
        "messages": [str(change) for change in bad],
    }
