"""Check kinds, registered like extensions (datasette's ``DEFAULT_PLUGINS``).

    kind             scope        fires when
    volume           event        the count drops or spikes against its seasonal baseline
    silence          event        an expected event has not arrived for a while
    violation_rate   event/source violations per event exceed a threshold over a window
    new_unplanned    source       an unplanned event or property arrives ("did you mean ...?")
    drift            event        a property's null rate, type mix or value shares shift
    expectations     event        a Great Expectations suite fails over recent sampled events

Each module exposes ``KIND`` (a ``CheckKind``); a new built-in is one more module name in
``DEFAULT_PLUGINS``, a plug-in package an entry point in ``governance.check_kinds`` (see
``governance.plugins``), and code may ``register`` one. Importing this package never imports
Great Expectations.
"""

from __future__ import annotations

from governance.plugins import Registry
from governance.quality.checks.base import CheckContext, CheckKind, Observation, Params, SourceInfo, fingerprint

DEFAULT_PLUGINS = (
    "governance.quality.checks.volume",
    "governance.quality.checks.silence",
    "governance.quality.checks.violation_rate",
    "governance.quality.checks.new_unplanned",
    "governance.quality.checks.drift",
    "governance.quality.checks.expectations",
)
DEFAULT_KINDS = ("volume", "silence", "violation_rate")  # per planned event, unless turned off
SOURCE_DEFAULT_KINDS = ("new_unplanned",)  # per source

CHECK_KINDS: Registry[CheckKind] = Registry("check kind", group="governance.check_kinds", defaults=DEFAULT_PLUGINS,
                                            attr="KIND")  # fmt: skip
register = CHECK_KINDS.register

__all__ = ["CHECK_KINDS", "CheckContext", "CheckKind", "Observation", "Params", "SourceInfo", "fingerprint",
           "register"]  # fmt: skip
