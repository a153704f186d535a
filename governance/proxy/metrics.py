"""Prometheus metrics of the web process (``GET /metrics``), through ``prometheus_client``.

Counters and the histogram live in the process; the gauges are read from the shared database at
each scrape (``observe.outbox_gauges``). With several web processes (``serve --workers N`` sets
it; web processes started otherwise need it set by hand), ``PROMETHEUS_MULTIPROC_DIR`` names an
empty directory shared by them (before they start): each
process then writes its counters there and every scrape adds up all of them
(``prometheus_client``'s multiprocess mode).
"""

from __future__ import annotations

import os
from collections import Counter as Tally
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
Gauges = dict[str, tuple[str, float]]  # name -> (help, value)

disable_created_metrics()  # no *_created series: the exposition stays what it always was


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class _Gauges(Collector):
    def __init__(self, gauges: Gauges) -> None:
        self.gauges = gauges

    def collect(self) -> Iterator[Metric]:
        for name, (help_text, value) in self.gauges.items():
            yield GaugeMetricFamily(name, help_text, value=value)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("governance_requests", "Ingestion requests by endpoint and status",
                                ["endpoint", "status"], registry=self.registry)
        self.events_by_outcome = Counter("governance_events", "Events by outcome", ["outcome"], registry=self.registry)
        self.validation = Histogram("governance_validation_seconds", "Time to judge one request's events",
                                    buckets=BUCKETS, registry=self.registry)
        self.validated_events = 0
        self._requests: dict[tuple[str, int], Any] = {}  # the labelled children, by their labels
        self._events: dict[str, Any] = {}

    def request(self, endpoint: str, status: int) -> None:
        child = self._requests.get((endpoint, status))
        if child is None:  # labels() takes the metric's lock and builds its key: once per series
            child = self._requests[endpoint, status] = self.requests.labels(endpoint=endpoint, status=str(status))
        child.inc()

    def events(self, outcomes: Iterable[str]) -> None:
        """Count committed events by their final outcome (``Outcome`` members or their strings)."""
        for outcome, n in Tally(outcomes).items():
            child = self._events.get(outcome)
            if child is None:
                child = self._events[outcome] = self.events_by_outcome.labels(outcome=str(outcome))
            child.inc(n)

    def observe_validation(self, seconds: float, events: int) -> None:
        self.validation.observe(seconds)
        self.validated_events += events

    def render(self, gauges: Gauges) -> bytes:
        """The exposition: this process's (or, in multiprocess mode, every process's) metrics, then the gauges."""
        registry = self.registry
        if multiprocess_dir() is not None:
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
        shared = CollectorRegistry()
        shared.register(_Gauges(gauges))
        return generate_latest(registry) + generate_latest(shared)
