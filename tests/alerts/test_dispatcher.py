"""Alert dispatch through real receivers: grouping, dedupe, repeat, resolve, retries, 410, owner route.

Webhooks go to a real HTTP server on 127.0.0.1 and their Standard Webhooks signatures are
verified; emails go through a real aiosmtpd server. Time is injected into ``dispatch``.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import orjson
import pytest
from sqlalchemy import insert
from sqlmodel import Session, select

from governance.alerts import config, lifecycle, signing
from governance.alerts.dispatcher import deliver_due, dispatch
from governance.alerts.tables import AlertRow, ChannelRow, NotificationRow
from governance.clock import epoch_minute
from governance.db import make_engine, write_session, writer
from governance.migrations import upgrade
from governance.plan.model import Plan
from governance.proxy.tables import EventCountRow, ViolationCountRow
from governance.quality.transitions import AlertInput
from governance.registry.plans import create_plan, publish
from governance.registry.sources import create_source
from governance.worker.jobs import check_cycle
from tests.conftest import make_settings

from .conftest import Receiver

T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def engine(sqlite_url: str) -> Any:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def webhook(engine: Any, receiver: Receiver, **matchers: Any) -> tuple[str, str]:
    """A webhook channel to ``receiver`` and a rule sending matching alerts to it: (channel id, secret)."""
    with write_session(engine) as session:
        row, secret = config.create_channel(session, name="hook", kind="webhook", config={"url": receiver.url},
                                            enabled=True, actor="test", now=T0)
        config.create_rule(session, name="all", matchers=matchers, channels=[row.id], enabled=True, actor="test",
                           now=T0)
    assert secret is not None
    return row.id, secret


def fire(engine: Any, name: str, at: datetime, *, kind: str = "volume", severity: str = "warning",
         owner: str | None = None) -> int:
    alert = AlertInput(fingerprint=f"fp-{name}", check_id=f"chk_{name}", check_kind=kind,
                                 source_id="src_web", source_name="web", event=name, field="", severity=severity,
                                 title=f"Volume drop: {name} on web", summary=f"{name} dropped",
                                 details={"observed": 0}, owner=owner)
    with write_session(engine) as session:
        row = lifecycle.fire(session, alert, at)
        assert row.id is not None
        return row.id


def resolve(engine: Any, name: str, at: datetime) -> None:
    with write_session(engine) as session:
        lifecycle.resolve(session, f"fp-{name}", at)


def bodies(receiver: Receiver, secret: str) -> list[dict[str, Any]]:
    """Every received body, after checking its Standard Webhooks signature."""
    out = []
    for request in receiver.requests:
        signing.verify(secret, request.headers, request.body)
        out.append(orjson.loads(request.body))
    return out


def test_group_wait_dedupe_interval_repeat_and_resolve(engine: Any, sqlite_url: str, receiver: Receiver) -> None:
    settings = make_settings(sqlite_url, webhook_allowed_networks=["127.0.0.0/8"])
    _, secret = webhook(engine, receiver, severity="warning")
    fire(engine, "A", T0)
    dispatch(engine, settings, s(10))
    assert receiver.requests == []  # group_wait: 30 s
    fire(engine, "B", s(20))
    dispatch(engine, settings, s(31))
    [first] = bodies(receiver, secret)
    assert first["type"] == "alert.firing" and first["data"]["title"] == "2 firing volume alerts on web"
    assert {a["title"] for a in first["data"]["alerts"]} == {"Volume drop: A on web", "Volume drop: B on web"}
    fire(engine, "A", s(90))  # still firing: not news
    dispatch(engine, settings, s(60))
    dispatch(engine, settings, s(95))
    assert len(receiver.requests) == 1
    fire(engine, "C", s(100))
    dispatch(engine, settings, s(120))
    assert len(receiver.requests) == 1  # group_interval: 5 min after the last notification
    dispatch(engine, settings, s(331))
    assert [len(b["data"]["alerts"]) for b in bodies(receiver, secret)] == [2, 3]  # the whole group again
    resolve(engine, "A", s(400))
    dispatch(engine, settings, s(500))
    assert len(receiver.requests) == 2
    dispatch(engine, settings, s(631))
    notice = bodies(receiver, secret)[-1]
    assert notice["type"] == "alert.resolved" and notice["data"]["title"] == "Volume drop: A on web"
    assert notice["data"]["status"] == "resolved"
    dispatch(engine, settings, s(331 + 4 * 3600 - 1))
    assert len(receiver.requests) == 3
    dispatch(engine, settings, s(331 + 4 * 3600))  # repeat_interval: 4 h
    repeat = bodies(receiver, secret)[-1]
    assert repeat["type"] == "alert.firing" and {a["title"] for a in repeat["data"]["alerts"]} == {
        "Volume drop: B on web", "Volume drop: C on web"}
    with write_session(engine) as session:
        b_id = session.exec(select(AlertRow.id).where(AlertRow.fingerprint == "fp-B")).one()
        lifecycle.ack(session, b_id, actor="token:t", now=s(331 + 4 * 3600 + 10))  # type: ignore[arg-type]
    dispatch(engine, settings, s(331 + 8 * 3600))
    assert [a["title"] for a in bodies(receiver, secret)[-1]["data"]["alerts"]] == ["Volume drop: C on web"]
    resolve(engine, "B", s(331 + 8 * 3600 + 60))
    resolve(engine, "C", s(331 + 8 * 3600 + 60))
    dispatch(engine, settings, s(331 + 8 * 3600 + 300))
    last = bodies(receiver, secret)[-1]  # the acknowledged B is announced resolved too
    assert last["type"] == "alert.resolved" and len(last["data"]["alerts"]) == 2
    assert len(receiver.requests) == 6
    with Session(engine) as session:
        a = session.exec(select(AlertRow).where(AlertRow.fingerprint == "fp-A")).one()
        actions = [h.action for h in lifecycle.history_of(session, a.id)]  # type: ignore[arg-type]
    assert actions == ["fired", "notified", "notified", "resolved", "notified"]
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 6


def test_retry_schedule_then_410_disables_the_channel(engine: Any, sqlite_url: str, receiver: Receiver) -> None:
    settings = make_settings(sqlite_url, webhook_allowed_networks=["127.0.0.0/8"])
    channel_id, _ = webhook(engine, receiver)
    receiver.status = 503
    fire(engine, "A", T0)
    dispatch(engine, settings, s(31))
    dispatch(engine, settings, s(35))
    assert len(receiver.requests) == 1  # next try 5 s after the first
    dispatch(engine, settings, s(36))
    assert len(receiver.requests) == 2
    dispatch(engine, settings, s(36 + 299))
    assert len(receiver.requests) == 2  # then 5 min
    receiver.status = 410
    dispatch(engine, settings, s(36 + 300))
    assert len(receiver.requests) == 3
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1  # one message, retried
    with Session(engine) as session:
        channel = session.get(ChannelRow, channel_id)
        [note] = session.exec(select(NotificationRow)).all()
    assert channel is not None and not channel.enabled and "410" in (channel.disabled_reason or "")
    assert (note.state, note.attempts, note.last_status) == ("failed", 3, 410)
    fire(engine, "B", s(400))
    dispatch(engine, settings, s(1000))
    assert len(receiver.requests) == 3  # a disabled channel gets nothing


def test_retryable_failures_die_after_the_last_retry(engine: Any, sqlite_url: str, receiver: Receiver) -> None:
    settings = make_settings(sqlite_url, webhook_allowed_networks=["127.0.0.0/8"])
    webhook(engine, receiver)
    receiver.status = 500
    fire(engine, "A", T0)
    at = 31.0
    for delay in (5, 300, 1800, 7200, 18000, 36000):
        dispatch(engine, settings, s(at))
        at += delay
    dispatch(engine, settings, s(at))
    assert len(receiver.requests) == 7 and len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    with Session(engine) as session:
        [note] = session.exec(select(NotificationRow)).all()
    assert (note.state, note.attempts) == ("dead", 7)  # no repeat while it was being retried


def test_snoozed_alerts_stay_quiet_until_the_snooze_ends(engine: Any, sqlite_url: str, receiver: Receiver) -> None:
    settings = make_settings(sqlite_url, webhook_allowed_networks=["127.0.0.0/8"])
    _, secret = webhook(engine, receiver)
    alert_id = fire(engine, "A", T0)
    with write_session(engine) as session:
        lifecycle.snooze(session, alert_id, until=s(3600), actor="token:t", now=s(5))
    dispatch(engine, settings, s(31))
    dispatch(engine, settings, s(3599))
    assert receiver.requests == []
    dispatch(engine, settings, s(3601))
    assert [b["type"] for b in bodies(receiver, secret)] == ["alert.firing"]
    with write_session(engine) as session:
        lifecycle.snooze(session, alert_id, until=s(7200), actor="token:t", now=s(3700))
    resolve(engine, "A", s(3800))
    dispatch(engine, settings, s(5000))
    dispatch(engine, settings, s(7300))
    assert len(receiver.requests) == 1  # resolved while snoozed: no notice


def test_two_dispatchers_never_send_one_notification_twice(engine: Any, sqlite_url: str, receiver: Receiver) -> None:
    settings = make_settings(sqlite_url, webhook_allowed_networks=["127.0.0.0/8"])
    webhook(engine, receiver)
    receiver.delay_s = 0.3
    fire(engine, "A", T0)
    dispatch(engine, settings, s(31))
    assert len(receiver.requests) == 1
    fire(engine, "B", s(40))
    with write_session(engine) as session:  # queue B's notification without delivering it
        from governance.alerts.dispatcher import flush_groups, route_alerts

        route_alerts(session, s(400))
        assert flush_groups(session, settings, s(400)) == 1
    barrier = threading.Barrier(2)
    url = engine.url.render_as_string(hide_password=False)

    def run() -> None:
        own = make_engine(url)
        barrier.wait()
        deliver_due(own, settings, s(401))
        own.dispose()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(receiver.requests) == 2


PLAN: dict[str, Any] = {
    "name": "shop", "owner": "analytics@example.com",
    "events": {"Order Completed": {"owner": "checkout@example.com", "properties": {"coupon": {"type": "string"}}},
               "Product Viewed": {"properties": {"product_id": {"type": "string"}}}},
}


def test_owner_route_emails_the_event_owner_with_the_suggestion(engine: Any, sqlite_url: str,
                                                                smtp_factory: Any) -> None:
    controller, handler = smtp_factory()
    settings = make_settings(sqlite_url, smtp_host="127.0.0.1", smtp_port=controller.port, smtp_starttls=False,
                             smtp_from="governance@example.com")
    with write_session(engine) as session:
        create_plan(session, plan=Plan.model_validate(PLAN), actor="test")
        publish(session, ref="shop", actor="test")
        source_id = create_source(session, fields={"name": "android-app", "plan": "shop"}, actor="test")[0].id
        config.create_channel(session, name="owners", kind="email", config={"to": ["owner", "data@example.com"]},
                              enabled=True, actor="test", now=T0)
    minute = epoch_minute(T0)
    with writer(engine).begin() as conn:
        conn.execute(insert(EventCountRow.__table__), [  # type: ignore[attr-defined]
            {"minute": minute - 3, "source_id": source_id, "kind": "track", "event": "Completed Order",
             "outcome": "forwarded", "planned": False, "count": 7}])
        conn.execute(insert(ViolationCountRow.__table__), [  # type: ignore[attr-defined]
            {"minute": minute - 2, "source_id": source_id, "event": "Product Viewed", "field": "properties.prodct_id",
             "type": "unplanned_property", "count": 2}])
    assert len(check_cycle(engine, settings, T0).fired) == 2
    dispatch(engine, settings, T0 + timedelta(seconds=31))
    by_owner = {tuple(rcpt): msg for _, rcpt, msg in handler.messages}
    assert set(by_owner) == {("checkout@example.com", "data@example.com"),
                             ("analytics@example.com", "data@example.com")}
    mail = by_owner[("checkout@example.com", "data@example.com")]
    assert mail["Subject"] == "[governance] WARNING: Unplanned event 'Completed Order' on android-app"
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert 'did you mean "Order Completed"?' in text and "/#/alerts/" in text
    other = by_owner[("analytics@example.com", "data@example.com")]  # no owner on the event: the plan's
    assert "properties.product_id" in other.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert np.all([m["From"] == "governance@example.com" for _, _, m in handler.messages])
