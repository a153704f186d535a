"""Patterns in plans must run on a linear-time engine: the proxy must never backtrack.

``jsonschema_rs`` with ``RegexOptions()`` uses Rust's ``regex`` crate (finite automata, no
lookaround, no backreferences). A pattern it refuses is refused at load, lint and publish time.
"""

from __future__ import annotations

import re
from functools import lru_cache

import jsonschema_rs

LINEAR = jsonschema_rs.RegexOptions()


@lru_cache(maxsize=4096)
def regex_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be used in a plan, or ``None`` when it is fine."""
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"invalid regular expression: {exc}"
    try:
        jsonschema_rs.validator_for({"type": "string", "pattern": pattern}, pattern_options=LINEAR)
    except jsonschema_rs.ValidationError:
        return (
            "regular expression is not supported by the linear-time engine "
            "(lookaround and backreferences are refused so matching can never backtrack)"
        )
    return None
