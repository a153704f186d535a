"""Check kinds, registered like extensions (datasette's ``DEFAULT_PLUGINS``).

    kind             scope        fires when
    volume           event        the count drops or spikes against its seasonal baseline
    silence          event        an expected event has not arrived for a while
    decline          event        the last days are well below the 4-week level (a slow decline)
    violation_rate   event/source violations per event exceed a threshold over a window
    new_unplanned    source       an unplanned event or property arrives ("did you mean ...?")
    drift            event        a property's null rate, type mix or value shares shift
    expectations     event        a Great Expectations suite fails over recent sampled events

Each module exposes ``KIND`` (a ``CheckKind``: the kind's spec from ``plan/check_spec.py`` and its
``evaluate``); a plug-in registers its spec there and its ``CheckKind`` here. Importing this
package never imports Great Expectations.
"""

from __future__ import annotations

import importlib

from governance.plan.check_spec import Params
from governance.quality.checks.base import CheckContext, CheckKind, Observation, SourceInfo, fingerprint

DEFAULT_PLUGINS = (
    "governance.quality.checks.volume",
    "governance.quality.checks.silence",
    "governance.quality.checks.decline",
    "governance.quality.checks.violation_rate",
    "governance.quality.checks.new_unplanned",
    "governance.quality.checks.drift",
    "governance.quality.checks.expectations",
)
DEFAULT_KINDS = ("volume", "silence", "decline", "violation_rate")  # per planned event, unless turned off
SOURCE_DEFAULT_KINDS = ("new_unplanned",)  # per source

CHECK_KINDS: dict[str, CheckKind] = {}


def register(kind: CheckKind) -> CheckKind:
    CHECK_KINDS[kind.name] = kind
    return kind


for _module in DEFAULT_PLUGINS:
    register(importlib.import_module(_module).KIND)

__all__ = ["CHECK_KINDS", "CheckContext", "CheckKind", "Observation", "Params", "SourceInfo", "fingerprint",
           "register"]  # fmt: skip
