"""Several workers forwarding from one PostgreSQL outbox: rows are shared, none sent twice."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, insert, select

from governance.clock import utcnow
from governance.db import make_engine
from governance.proxy.forwarder import Forwarder
from governance.proxy.tables import OutboxRow
from tests.conftest import make_settings


@pytest.mark.postgres
def test_concurrent_forwarders_share_the_outbox_without_duplicates(postgres, upstream) -> None:
    if postgres is None:
        pytest.skip("PostgreSQL binaries not installed")
    from fastapi.testclient import TestClient

    from governance.app import create_app

    url = postgres.new_database()
    settings = make_settings(url, forward_batch_size=50)
    with TestClient(create_app(settings)) as client:
        engine = client.app.state.engine
        headers = {"Authorization": "Bearer " + settings.bootstrap_admin_token.get_secret_value()}
        source = client.post("/api/v1/sources", json={"name": "web", "upstream_url": upstream.url}, headers=headers)
        source_id = source.json()["id"]
    now = utcnow()
    ids = [str(uuid.uuid4()) for _ in range(2000)]
    with engine.begin() as conn:
        conn.execute(insert(OutboxRow.__table__), [  # type: ignore[attr-defined]
            {"source_id": source_id, "message_id": m, "created_at": now, "next_attempt_at": now, "attempts": 0,
             "payload": f'{{"type":"track","event":"E","userId":"u","messageId":"{m}"}}'} for m in ids])
    workers = [Forwarder(make_engine(url), settings) for _ in range(4)]
    barrier = threading.Barrier(len(workers))
    handled = [0] * len(workers)

    def work(i: int) -> None:
        barrier.wait()
        while True:
            n = workers[i].run_once(limit=100)
            if not n:
                break
            handled[i] += n

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(workers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(upstream.message_ids()) == sorted(ids)  # every event once
    assert sum(handled) == 2000 and sum(1 for n in handled if n) >= 2  # the work was shared
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(OutboxRow.__table__)).scalar_one() == 0  # type: ignore[attr-defined]
