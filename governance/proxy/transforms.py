"""Source-scoped transformations, applied in order before validation.

A transformation is ``{name, enabled, if: {kind, event}, action, params}``; the actions are
defined once, in ``registry.transformation_actions`` (validated there when written, applied
here). What ran is recorded in ``context.protocols.transformed``.
"""

from __future__ import annotations

from typing import Any

from governance.registry.transformation_actions import ACTIONS, Context
from governance.registry.transformation_spec import TransformationSpec


def apply(message: dict[str, Any], specs: list[TransformationSpec], salt: bytes) -> Context:
    """Apply the matching transformations in order to ``message`` (in place)."""
    ctx = Context(salt=salt)
    for spec in specs:
        if not spec.enabled:
            continue
        kind = message.get("type", "")
        name = message.get("event") if kind == "track" else message.get("name")
        if not spec.condition.matches(kind, name if isinstance(name, str) else ""):
            continue
        ACTIONS[spec.action].apply(message, spec.params, ctx)
        ctx.applied.append(spec.name)
        if ctx.dropped:
            break
    return ctx
