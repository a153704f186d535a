"""Pure detection logic of the data-quality checks: numpy in, findings out; no database, no clock.

    finding.py     Finding: what a detector returns when its condition holds
    volume.py      drops and spikes over trailing windows (low / high expectation)
    silence.py     no event while the expectation integrated over the gap held enough
    decline.py     the last days against the 4-week level (slow declines)
    violations.py  violation share, Wilson lower bound
    drift.py       null rate, type mix and value shares of a property
    hysteresis.py  Prometheus-style for / keep_firing_for, counted in evaluations

What each detector compares against comes from ``governance.quality.baseline``. Every
condition has a vectorised ``*_flags`` form (arrays of events x evaluations, used by the bench)
and a scalar form returning a ``Finding`` or ``None``; both share one implementation. See
``docs/quality/detection.md``.
"""

from __future__ import annotations

from governance.quality.detect.finding import Finding
from governance.quality.detect.hysteresis import Hysteresis, State

__all__ = ["Finding", "Hysteresis", "State"]
