"""The proxy's long-lived parts in a web process: the registry view, the group-commit store, metrics."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from governance.proxy.metrics import Metrics
from governance.proxy.runtime import Runtime
from governance.proxy.store import Store
from governance.settings import Settings


@dataclass
class Proxy:
    runtime: Runtime
    store: Store
    metrics: Metrics

    @classmethod
    def start(cls, engine: Engine, settings: Settings) -> Proxy:
        runtime = Runtime(engine, refresh_s=settings.plan_refresh_s)
        runtime.start()
        store = Store(engine, dedupe_window_s=settings.dedupe_window_s, sample_per_minute=settings.sample_per_minute)
        return cls(runtime=runtime, store=store, metrics=Metrics())

    def stop(self) -> None:
        self.runtime.stop()
        self.store.close()
