"""What a transformation looks like: ``{name, enabled, if: {kind, event}, action, params}``.

The action and its params are checked against ``transformation_actions.ACTIONS``, the one
definition of every action (the proxy applies the same entries).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from governance.registry.transformation_actions import ACTIONS


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
        action = ACTIONS.get(self.action)
        if action is None:
            raise ValueError(f"unknown action {self.action!r}; expected one of {sorted(ACTIONS)}")
        missing = [p for p in action.params if p not in self.params]
        if missing:
            raise ValueError(f"action {self.action!r} needs params {missing}")
        unknown = sorted(set(self.params) - set(action.params))
        if unknown:
            raise ValueError(f"action {self.action!r} takes params {list(action.params)}; unknown: {unknown}")
        problem = action.check(self.params)
        if problem is not None:
            raise ValueError(problem)
        return self


