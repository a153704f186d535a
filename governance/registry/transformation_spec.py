"""What a transformation looks like (the proxy implements the actions in ``proxy/transforms.py``).

``{name, enabled, if: {kind, event}, action, params}``; ``ACTION_PARAMS`` lists each action with
the parameters it needs.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ACTION_PARAMS: dict[str, tuple[str, ...]] = {
    "rename_event": ("to",), "rename_property": ("from", "to"), "drop_property": ("path",),
    "set_value": ("path", "value"), "map_value": ("path", "mapping"), "casing": ("path", "to"),
    "hash": ("path",), "drop_event": (),
}  # fmt: skip
Casing = Literal["lower", "upper", "snake", "title", "kebab"]


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str | list[str] | None = None  # None: every kind
    event: str | list[str] | None = None  # None: every event / name

    def matches(self, kind: str, event: str) -> bool:
        if self.kind is not None and kind not in ([self.kind] if isinstance(self.kind, str) else self.kind):
            return False
        return self.event is None or event in ([self.event] if isinstance(self.event, str) else self.event)


class TransformationSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    name: str = Field(min_length=1, max_length=100)
    enabled: bool = True
    condition: Condition = Field(default_factory=Condition, alias="if")
    action: str
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_action(self) -> TransformationSpec:
        if self.action not in ACTION_PARAMS:
            raise ValueError(f"unknown action {self.action!r}; expected one of {sorted(ACTION_PARAMS)}")
        required = ACTION_PARAMS[self.action]
        missing = [p for p in required if p not in self.params]
        if missing:
            raise ValueError(f"action {self.action!r} needs params {missing}")
        unknown = sorted(set(self.params) - set(required))
        if unknown:
            raise ValueError(f"action {self.action!r} takes params {list(required)}; unknown: {unknown}")
        if self.action == "casing" and self.params.get("to") not in {"lower", "upper", "snake", "title", "kebab"}:
            raise ValueError("casing.to must be one of lower, upper, snake, title, kebab")
        return self


