"""The issue's end-to-end test: a real ``governance serve`` (web process and its worker) over a SQLite
file, a recording upstream on 127.0.0.1, and ``SUPPRESS_WITH_DELETE`` for ``u-forget``.

Events for u-forget (one forwarded, one quarantined) and for u-keep; then the regulation. Within
1.5 s new u-forget events are no longer forwarded while u-keep's are; the quarantine and the
samples hold nothing of u-forget; the receipt's counts are what the stores held; the status ends
FINISHED; and every event received is accounted for (the conservation identity, from the tables).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text

from governance.db import make_engine
from governance.proxy.tables import EventCountRow, PurgeCountRow
from tests.cli_support import ROOT, free_port, wait_for
from tests.conftest import ADMIN_TOKEN, wait_until
from tests.privacy.conftest import held
from tests.proxy.conftest import Upstream

PLAN = {"name": "shop", "events": {"Order Completed": {"properties": {"order_id": {"type": "string",
                                                                                 "required": True}}}}}
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[tuple[str, str]]:
    port = free_port()
    database = f"sqlite:///{tmp_path / 'governance.db'}"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("GOVERNANCE_")},
           "GOVERNANCE_DATABASE_URL": database, "GOVERNANCE_BOOTSTRAP_ADMIN_TOKEN": ADMIN_TOKEN,
           "GOVERNANCE_SCHEDULER_ENABLED": "false"}
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "governance", "serve", "--port", str(port)], cwd=ROOT,
                               env=env, stdout=log, stderr=log, start_new_session=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        yield f"http://127.0.0.1:{port}", database
    finally:
        os.killpg(process.pid, signal.SIGINT)  # serve and the worker it started
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def order(user: str, n: int) -> dict[str, Any]:
    return {"type": "track", "event": "Order Completed", "userId": user, "messageId": f"{user}-{n}",
            "properties": {"order_id": f"o-{n}"}}


def unplanned(user: str, n: int) -> dict[str, Any]:
    return {"type": "track", "event": "Coupon Entered", "userId": user, "messageId": f"{user}-unplanned-{n}"}


def conservation(database: str, source_id: str, forwarded: int) -> dict[str, int]:
    """received = forwarded + quarantined + dead-lettered + deduplicated + suppressed + purged + in the outbox."""
    engine = make_engine(database)
    try:
        with engine.connect() as conn:
            c = EventCountRow.__table__.c  # type: ignore[attr-defined]
            outcomes = dict(conn.execute(select(c.outcome, func.sum(c.count)).where(c.source_id == source_id)
                                         .group_by(c.outcome)).all())
            rows = {t: conn.execute(text(f"SELECT count(*) FROM {t} WHERE source_id = :s"), {"s": source_id}).scalar()
                    for t in ("quarantine", "dead_letter", "outbox")}
            purged = conn.execute(select(func.coalesce(func.sum(PurgeCountRow.__table__.c.count), 0))).scalar()
    finally:
        engine.dispose()
    terms = {"forwarded": forwarded, "quarantined": rows["quarantine"], "dead_lettered": rows["dead_letter"],
             "in_outbox": rows["outbox"], "deduplicated": int(outcomes.get("deduplicated", 0)),
             "suppressed": int(outcomes.get("suppressed", 0)), "purged": int(purged)}
    return {"received": int(sum(outcomes.values())), "accounted": sum(terms.values()), **terms}


def test_forget_a_user_end_to_end(serve: tuple[str, str], upstream: Upstream) -> None:
    url, database = serve
    api = httpx.Client(base_url=url, headers=AUTH, timeout=10)
    assert api.post("/api/v1/plans", json=PLAN).status_code == 201
    assert api.post("/api/v1/plans/shop/versions", json={}).status_code == 201
    created = api.post("/api/v1/sources", json={"name": "web", "plan": "shop", "upstream_url": upstream.url,
                                                 "settings": {"track": {"allowUnplannedEvents": False}}}).json()
    source_id, key = created["id"], created["write_key"]

    def send(*messages: dict[str, Any]) -> None:
        answer = httpx.post(f"{url}/v1/batch", auth=(key, ""), json={"batch": list(messages)})
        assert answer.status_code == 200, answer.text

    def validate(message: dict[str, Any]) -> str:
        return str(httpx.post(f"{url}/v1/validate", auth=(key, ""), json=message).json()["verdicts"][0]["outcome"])

    assert wait_until(lambda: httpx.post(f"{url}/v1/validate", auth=(key, ""), json=order("x", 0)).status_code == 200)
    send(order("u-forget", 1), unplanned("u-forget", 1), order("u-keep", 1))
    send(unplanned("u-keep", 1))  # its own commit: a second violation sample of the same fingerprint
    assert wait_until(lambda: {"u-forget-1", "u-keep-1"} <= set(upstream.message_ids()), timeout=30)
    engine = make_engine(database)
    assert wait_until(lambda: held(engine, "u-forget")["outbox"] == 0, timeout=30)  # delivered: left the outbox
    before = held(engine, "u-forget")
    assert before["quarantine"] == 1 and before["event_samples"] >= 1 and before["violation_samples"] >= 1

    answer = api.post("/api/v1/regulations", json={"regulationType": "SUPPRESS_WITH_DELETE",
                                                    "subjectType": "USER_ID", "subjectIds": ["u-forget"]})
    regulated_at = time.monotonic()
    assert answer.status_code == 201, answer.text
    regulation = answer.json()["id"]
    assert wait_until(lambda: validate(order("u-forget", 0)) == "suppressed", timeout=1.5)
    assert time.monotonic() - regulated_at <= 1.5
    send(order("u-forget", 2), unplanned("u-forget", 2), order("u-keep", 2))
    assert wait_until(lambda: "u-keep-2" in upstream.message_ids(), timeout=30)  # u-keep's still flow ...
    assert "u-forget-2" not in upstream.message_ids()  # ... u-forget's no longer do

    assert wait_until(lambda: api.get(f"/api/v1/regulations/{regulation}").json()["overallStatus"] == "FINISHED",
                      timeout=60)
    done = api.get(f"/api/v1/regulations/{regulation}").json()
    assert done["receipt"]["deleted"] == before  # the receipt's counts match what the stores held
    assert held(engine, "u-forget") == dict.fromkeys(before, 0)  # quarantine and samples: nothing of u-forget
    quarantine = api.get("/api/v1/quarantine").json()["data"]
    assert [q["payload"]["userId"] for q in quarantine] == ["u-keep"]
    samples = [s for g in api.get("/api/v1/sources/web/violations", params={"samples": 3}).json()["data"]
               for s in g.get("samples", [])]
    assert [s["payload"]["userId"] for s in samples] == ["u-keep"]
    engine.dispose()

    forwarded = len(upstream.events)
    ledger = conservation(database, source_id, forwarded)
    assert ledger["received"] == ledger["accounted"], ledger  # the ledger balances
    assert ledger["suppressed"] == 2 and ledger["purged"] == 1, ledger  # u-forget-2 twice; its quarantined row
    served = api.get("/api/v1/sources/web/ledger").json()  # the service's own ledger says the same
    assert served["balanced"] and served["difference"] == 0, served
    assert (served["suppressed"], served["purged"], served["received"]) == (2, 1, ledger["received"]), served
