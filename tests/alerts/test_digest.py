"""The daily digest: its numbers equal the REST violations endpoint; sent once per slot via real SMTP."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlmodel import Session, select

import governance.worker.jobs as jobs
from governance.alerts.digest import put_digest_settings
from governance.clock import ManualClock
from governance.db import make_engine, write_session, writer
from governance.migrations import upgrade
from governance.proxy.tables import EventCountRow, ViolationCountRow
from governance.worker.tables import JobRunRow
from tests.conftest import ADMIN_TOKEN, make_settings

PLAN = {"name": "shop", "events": {"Order Completed": {"properties": {"total": {"type": "number"}}},
                                   "Product Viewed": {}}}


def _violations(source_id: str, minute: int) -> list[dict[str, Any]]:
    rows = [("Order Completed", "properties.total", "type_mismatch", 1, 5),
            ("Order Completed", "properties.total", "type_mismatch", 30, 7),
            ("Order Completed", "properties.total", "type_mismatch", 600, 11),
            ("Order Completed", "properties.currency", "enum", 5, 2),
            ("Completed Order", "event", "unplanned_event", 10, 4),
            ("Order Completed", "properties.total", "type_mismatch", 25 * 60, 100)]  # outside the 24 h window
    return [{"minute": minute - ago, "source_id": source_id, "event": e, "field": f, "type": t, "count": n}
            for e, f, t, ago, n in rows]


def _events(source_id: str, minute: int) -> list[dict[str, Any]]:
    return [{"minute": minute - ago, "source_id": source_id, "kind": "track", "event": e, "outcome": "forwarded",
             "planned": e != "Completed Order", "count": n}
            for e, ago, n in (("Order Completed", 1, 40), ("Order Completed", 600, 60), ("Completed Order", 10, 4),
                              ("Product Viewed", 3, 9))]


def test_digest_counts_equal_the_violations_endpoint(database_url: str, smtp_factory: Any) -> None:
    from governance.app import create_app

    controller, handler = smtp_factory()
    app = create_app(make_settings(database_url, smtp_host="127.0.0.1", smtp_port=controller.port,
                                   smtp_starttls=False))
    with TestClient(app, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as client:
        assert client.post("/api/v1/plans", json=PLAN).status_code == 201
        assert client.post("/api/v1/plans/shop/versions", json={}).status_code == 201
        ids = {name: client.post("/api/v1/sources", json={"name": name, "plan": "shop"}).json()["id"]
               for name in ("web", "ios", "quiet")}
        minute = int(time.time() // 60)
        with writer(app.state.engine).begin() as conn:
            for name in ("web", "ios"):
                conn.execute(insert(ViolationCountRow.__table__), _violations(ids[name], minute))  # type: ignore[attr-defined]
                conn.execute(insert(EventCountRow.__table__), _events(ids[name], minute))  # type: ignore[attr-defined]
        preview = client.get("/api/v1/digest/preview").json()
        assert [s["source"] for s in preview["sources"]] == ["ios", "quiet", "web"]
        for source in preview["sources"]:
            rest = client.get(f"/api/v1/sources/{source['source_id']}/violations",
                              params={"window": "24h", "samples": 0}).json()["data"]
            expected: Counter[str] = Counter()
            for group in rest:
                expected[group["event"]] += group["count"]
            assert {e["event"]: e["violations"] for e in source["by_event"]} == dict(expected)
            assert source["violations"] == sum(expected.values())
            seen = client.get(f"/api/v1/sources/{source['source_id']}/events", params={"window": "24h"}).json()
            assert source["events"] == seen["total"]
        web = next(s for s in preview["sources"] if s["source"] == "web")
        assert {e["event"]: e["violations"] for e in web["by_event"]} == {"Order Completed": 25, "Completed Order": 4}
        assert preview["total_violations"] == 58

        assert client.put("/api/v1/digest", json={"enabled": True, "hour": 8,
                                                  "recipients": ["data@example.com"]}).status_code == 200
        sent = client.post("/api/v1/digest/send").json()
        assert sent["sent"] is True and sent["error"] is None
    [(_, rcpt, mail)] = handler.messages
    assert rcpt == ["data@example.com"]
    assert mail["Subject"] == "[governance] Daily digest: 58 violations on 2 sources"
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]
    assert "web: 29 violations in 113 events\n  Order Completed: 25 violations in 100 events" in text
    assert "  Completed Order: 4 violations in 4 events (top: event unplanned_event 4)" in text
    assert "quiet: 0 violations in 0 events" in text


def test_the_digest_job_sends_once_per_slot_and_catches_up_once(sqlite_url: str, smtp_factory: Any) -> None:
    controller, handler = smtp_factory()
    settings = make_settings(sqlite_url, smtp_host="127.0.0.1", smtp_port=controller.port, smtp_starttls=False)
    engine = make_engine(sqlite_url)
    upgrade(engine)
    clock = ManualClock(datetime(2024, 5, 1, 6, 0, tzinfo=UTC))
    jobs.digest_job(engine, settings, "A", clock)
    assert handler.messages == []  # not enabled
    with write_session(engine) as session:
        put_digest_settings(session, enabled=True, hour=8, recipients=["data@example.com"], actor="test",
                            now=clock.now())
    jobs.digest_job(engine, settings, "A", clock)
    assert handler.messages == []  # yesterday's 08:00 is 22 h old: too late to catch up
    clock.set(datetime(2024, 5, 1, 9, 0, tzinfo=UTC))
    jobs.digest_job(engine, make_settings(sqlite_url), "A", clock)  # no SMTP: the slot fails ...
    with Session(engine) as session:
        [failed] = session.exec(select(JobRunRow).where(JobRunRow.job == "digest")).all()
    assert failed.outcome == "error" and "SMTP_HOST" in (failed.error or "")
    for moment, sent in (((2024, 5, 1, 10, 30), 1),  # ... and is tried again at the next run: caught up
                         ((2024, 5, 1, 11, 0), 1),  # once
                         ((2024, 5, 2, 7, 59), 1),
                         ((2024, 5, 2, 8, 0), 2),
                         ((2024, 5, 2, 8, 1), 2)):
        clock.set(datetime(*moment, tzinfo=UTC))
        jobs.digest_job(engine, settings, "B" if moment[3] == 8 else "A", clock)
        assert len(handler.messages) == sent, moment
    with Session(engine) as session:
        rows = session.exec(select(JobRunRow).where(JobRunRow.job == "digest").order_by(JobRunRow.slot_time)).all()
    assert [(r.slot_time.day, r.slot_time.hour, r.outcome) for r in rows] == [(1, 8, "ok"), (2, 8, "ok")]
    assert "Daily digest" in handler.messages[0][2]["Subject"]
    engine.dispose()
