"""The proxy's long-lived parts in a web process: the registry view, the group-commit store, metrics."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from governance.db import make_engine
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
        # the group commit has an engine of its own: its waits for a locked database are bounded by
        # db_lock_timeout_s, so that a request is answered 503 before the SDKs give up (15 s)
        commits = make_engine(settings.database_url, synchronous=settings.sqlite_synchronous,
                              lock_timeout_s=settings.db_lock_timeout_s)
        store = Store(commits, dedupe_window_s=settings.dedupe_window_s, sample_per_minute=settings.sample_per_minute,
                      batch_events=settings.forward_batch_size)
        return cls(runtime=runtime, store=store, metrics=Metrics())

    def stop(self) -> None:
        self.runtime.stop()
        self.store.close()
        self.store.engine.dispose()
