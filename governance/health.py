"""What ``/healthz`` and the operational part of ``/metrics`` report, beyond the proxy's counters.

    /healthz   ``ok``, or ``degraded`` while the worker ``governance serve`` supervises is not
               running (restarting after a crash); it answers 200 either way, since ingestion
               works without a worker (events wait in the outbox)
    /metrics   the worker's supervision (``governance_worker_up``, restarts) and each source's
               conservation ledger over the last 24 hours (``proxy.ledger``)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from governance import __version__
from governance.clock import epoch_minute, utcnow
from governance.proxy import ledger
from governance.registry.tables import SourceRow
from governance.worker import supervisor


def health() -> dict[str, Any]:
    out: dict[str, Any] = {"status": "ok", "version": __version__}
    status = supervisor.current()
    if status is not None:
        out["worker"] = status.to_dict()
        if status.state != "running":
            out["status"] = "degraded"
    return out


def ops_metric_lines(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        names = {row.id: row.name for row in conn.execute(select(SourceRow.id, SourceRow.name))}  # type: ignore[call-overload]
    return supervisor.metric_lines() + ledger.metric_lines(engine, names, epoch_minute(utcnow()))
