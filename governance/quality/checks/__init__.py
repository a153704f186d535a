"""Check kinds, registered like extensions (datasette's ``DEFAULT_PLUGINS``).

    kind             scope        fires when
    volume           event        the count drops or spikes against its seasonal baseline
    silence          event        an expected event has not arrived for a while
    decline          event        the last days are well below the 4-week level (a slow decline)
    source_drop      source       most of the source's expected volume is low together (holiday, outage)
    violation_rate   event/source violations per event exceed a threshold over a window
    new_unplanned    source       an unplanned event or property arrives ("did you mean ...?")
    drift            event        a property's null rate, type mix or value shares shift
    expectations     event        a Great Expectations suite fails over recent sampled events

Each module exposes ``KIND`` (a ``CheckKind``: the kind's spec from ``plan/check_spec.py``, which
the plan validates declared checks against, and its ``evaluate``); a new built-in is one more
module name in ``DEFAULT_PLUGINS`` and one more spec in ``plan/check_spec.py``, a plug-in package
an entry point in ``governance.check_kinds`` (see ``governance.plugins``; the plan finds its spec
through the same entry point), and code may ``register`` one. Importing this package never
imports Great Expectations.
"""

from __future__ import annotations

from governance.plan.check_spec import register_spec
from governance.plugins import Registry
from governance.quality.checks.base import CheckContext, CheckKind, Observation, Params, SourceInfo, fingerprint

DEFAULT_PLUGINS = (
    "governance.quality.checks.volume",
    "governance.quality.checks.silence",
    "governance.quality.checks.decline",
    "governance.quality.checks.source_drop",
    "governance.quality.checks.violation_rate",
    "governance.quality.checks.new_unplanned",
    "governance.quality.checks.drift",
    "governance.quality.checks.expectations",
)
DEFAULT_KINDS = ("volume", "silence", "decline", "violation_rate")  # per planned event, unless turned off
SOURCE_DEFAULT_KINDS = ("new_unplanned",)  # per source (source_drop is opt-in: see docs/quality/checks.md)

CHECK_KINDS: Registry[CheckKind] = Registry("check kind", group="governance.check_kinds", defaults=DEFAULT_PLUGINS,
                                            attr="KIND")


def register(kind: CheckKind) -> CheckKind:
    """Add a check kind in this process (and its spec, so plans may declare it)."""
    register_spec(kind.spec)
    return CHECK_KINDS.register(kind)


__all__ = ["CHECK_KINDS", "CheckContext", "CheckKind", "Observation", "Params", "SourceInfo", "fingerprint",
           "register"]
