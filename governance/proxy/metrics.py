"""Prometheus text metrics of the web process (``GET /metrics``)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[tuple[str, int]] = Counter()
        self.events_by_outcome: Counter[str] = Counter()
        self.validation_buckets = [0] * len(BUCKETS)
        self.validation_sum = 0.0
        self.validation_count = 0
        self.validated_events = 0

    def request(self, endpoint: str, status: int) -> None:
        with self._lock:
            self.requests[(endpoint, status)] += 1

    def events(self, outcomes: Iterable[str]) -> None:
        """Count committed events by their final outcome."""
        with self._lock:
            for outcome in outcomes:
                self.events_by_outcome[outcome] += 1

    def observe_validation(self, seconds: float, events: int) -> None:
        with self._lock:
            self.validation_sum += seconds
            self.validation_count += 1
            self.validated_events += events
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    self.validation_buckets[i] += 1

    def render(self, gauges: dict[str, tuple[str, float]]) -> str:
        lines = ["# HELP governance_requests_total Ingestion requests by endpoint and status",
                 "# TYPE governance_requests_total counter"]  # fmt: skip
        with self._lock:
            for (endpoint, status), n in sorted(self.requests.items()):
                lines.append(f'governance_requests_total{{endpoint="{endpoint}",status="{status}"}} {n}')
            lines += ["# HELP governance_events_total Events by outcome", "# TYPE governance_events_total counter"]
            for outcome, n in sorted(self.events_by_outcome.items()):
                lines.append(f'governance_events_total{{outcome="{outcome}"}} {n}')
            lines += ["# HELP governance_validation_seconds Time to judge one request's events",
                      "# TYPE governance_validation_seconds histogram"]  # fmt: skip
            for bound, n in zip(BUCKETS, self.validation_buckets, strict=True):
                lines.append(f'governance_validation_seconds_bucket{{le="{bound}"}} {n}')
            lines.append(f'governance_validation_seconds_bucket{{le="+Inf"}} {self.validation_count}')
            lines.append(f"governance_validation_seconds_sum {self.validation_sum:.6f}")
            lines.append(f"governance_validation_seconds_count {self.validation_count}")
        for name, (help_text, value) in gauges.items():
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {value}"]
        return "\n".join(lines) + "\n"
