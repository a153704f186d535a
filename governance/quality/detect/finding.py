"""What a detector returns when its condition holds."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Finding:
    """One check that holds: what was seen, what was expected, how strong (``score``)."""

    kind: str  # volume_drop | volume_spike | silence | decline | violation_rate | drift | ...
    message: str
    observed: float
    expected: float
    score: float
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
