"""Privacy fixtures: the recording upstream (tests/proxy) and the webhook receiver (tests/alerts),
both real HTTP servers on 127.0.0.1, and helpers to read what each store holds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from governance.proxy.outbox_batch import split
from tests.alerts.conftest import receiver  # noqa: F401  (a fixture, re-exported)
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.proxy.conftest import upstream  # noqa: F401  (a fixture, re-exported)

PLAN = {"name": "shop", "events": {"Order Completed": {"properties": {"order_id": {"type": "string",
                                                                                 "required": True}}}}}


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    """An app with the ``shop`` plan published, refreshing its plans (and suppressions) every 0.2 s."""
    from governance.app import create_app

    app = create_app(make_settings(database_url, plan_refresh_s=0.2))
    with TestClient(app, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as c:
        assert c.post("/api/v1/plans", json=PLAN).status_code == 201
        assert c.post("/api/v1/plans/shop/versions", json={}).status_code == 201
        yield c


STORES = ("outbox", "dead_letter", "quarantine", "event_samples", "violation_samples")


def payloads(engine: Engine, table: str) -> list[dict[str, Any]]:
    """Every stored payload of one proxy table, parsed."""
    from governance.migrations.models import metadata

    t = metadata().tables[table]
    with engine.connect() as conn:
        texts = [p for (row,) in conn.execute(select(t.c.payload))
                 for p in (split(row) if table == "outbox" else [row])]  # an outbox row holds several
    return [orjson.loads(p) for p in texts]


def held(engine: Engine, subject: str) -> dict[str, int]:
    """How many events of each store carry ``subject`` as userId, anonymousId or previousId."""
    ids = ("userId", "anonymousId", "previousId")
    return {store: sum(1 for p in payloads(engine, store) if isinstance(p, dict) and subject in
                       {str(p.get(k)) for k in ids if p.get(k) is not None}) for store in STORES}


def text_of(engine: Engine) -> str:
    """Every stored payload of every store, as one text (to look for a raw value anywhere)."""
    return "\n".join(orjson.dumps(p).decode() for store in STORES for p in payloads(engine, store))
