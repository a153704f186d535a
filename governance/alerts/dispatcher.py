"""Alert dispatch: route, group, deduplicate, repeat, resolve, deliver (Alertmanager's timings).

``dispatch(engine, settings, now)`` runs every few seconds in the leading scheduler:

1. **route** every firing alert (``rules.route``) to its channels; each (alert, channel) joins
   the group ``channel | source | check kind | owner`` (``alert_routes``, ``alert_groups``);
2. **flush** a group when it is due: a new group ``group_wait`` after it formed; a notified
   group when something changed (an alert fired or resolved) and ``group_interval`` has passed
   since its last notification, or when its firing alerts were last sent ``repeat_interval``
   ago. A flush sends one ``firing`` notification listing every firing alert of the group (not
   acknowledged, not snoozed) and one ``resolved`` notice for alerts that resolved since;
3. **deliver** due notifications through ``CHANNEL_KINDS``: retryable failures wait
   ``next_retry_delay(attempt)`` (Standard Webhooks schedule) and die after the last retry;
   HTTP 410 disables the channel.

An alert fingerprint is notified once per state (firing, then resolved) and channel: repeats
only come from ``repeat_interval``, and not while the group's last notification is being
retried. Delivery claims each notification with a conditional update, so two dispatchers never
send one twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Engine, update
from sqlmodel import Session, col, or_, select

from governance.alerts import lifecycle
from governance.alerts.channels import CHANNEL_KINDS, ChannelContext, DeliveryResult
from governance.alerts.channels.result import refused
from governance.alerts.config import disable_channel, load_routing
from governance.alerts.retry import next_retry_delay
from governance.alerts.rules import resolve_recipients, route
from governance.alerts.signing import new_msg_id
from governance.alerts.tables import AlertGroupRow, AlertRouteRow, AlertRow, ChannelRow, NotificationRow
from governance.clock import as_utc
from governance.db import read_session, write_session, writer
from governance.settings import Settings

log = logging.getLogger("governance.alerts")
LEASE = timedelta(seconds=120)  # a claimed notification is not retried by another dispatcher before this
MAX_LISTED = 20


@dataclass
class DispatchReport:
    notifications: int = 0
    delivered: int = 0
    failed: int = 0
    results: list[DeliveryResult] = field(default_factory=list)


def dispatch(engine: Engine, settings: Settings, now: datetime) -> DispatchReport:
    """Route, flush due groups, and deliver due notifications at ``now``."""
    now = as_utc(now)
    report = DispatchReport()
    with write_session(engine) as session:
        route_alerts(session, now)
        report.notifications = flush_groups(session, settings, now)
    deliver_due(engine, settings, now, report)
    return report


def _snoozed(alert: AlertRow, now: datetime) -> bool:
    return alert.snoozed_until is not None and alert.snoozed_until > now


def route_alerts(session: Session, now: datetime) -> None:
    """Give every firing alert its (alert, channel) routes and groups."""
    rules, channels = load_routing(session)
    firing = session.exec(select(AlertRow).where(AlertRow.status == "firing")).all()
    if not firing or not channels:
        return
    ids = [a.id for a in firing]
    have = {(r.alert_id, r.channel_id) for r in session.exec(
        select(AlertRouteRow).where(col(AlertRouteRow.alert_id).in_(ids))).all()}  # fmt: skip
    groups = {g.group_key for g in session.exec(select(AlertGroupRow)).all()}
    for alert in firing:
        assert alert.id is not None
        labels = {"owner": alert.owner, "labels": orjson.loads(alert.labels), "source_id": alert.source_id,
                  "source_name": alert.source_name, "severity": alert.severity, "check_kind": alert.check_kind,
                  "event": alert.event}  # fmt: skip
        for r in route(labels, rules, channels):
            if (alert.id, r.channel_id) in have:
                continue
            key = f"{r.channel_id}|{alert.source_id}|{alert.check_kind}|{r.recipient or ''}"
            session.add(AlertRouteRow(alert_id=alert.id, channel_id=r.channel_id, group_key=key, recipient=r.recipient))
            if key not in groups:
                formed = min(alert.started_at, now)  # group_wait counts from the first alert's firing
                session.add(AlertGroupRow(group_key=key, channel_id=r.channel_id, created_at=formed))
                groups.add(key)


def flush_groups(session: Session, settings: Settings, now: datetime) -> int:
    """Queue the notifications of every due group; returns how many were queued."""
    query = (select(AlertRouteRow, AlertRow).where(AlertRouteRow.alert_id == AlertRow.id)
             .where(or_(AlertRow.status == "firing", AlertRouteRow.notified_status == "firing")))  # fmt: skip
    members: dict[str, list[tuple[AlertRouteRow, AlertRow]]] = {}
    for route_row, alert in session.exec(query).all():
        members.setdefault(route_row.group_key, []).append((route_row, alert))
    groups = {g.group_key: g for g in session.exec(select(AlertGroupRow)).all()}
    retrying = set(session.exec(select(NotificationRow.group_key).where(NotificationRow.state == "pending")).all())
    wait, interval = timedelta(seconds=settings.group_wait_s), timedelta(seconds=settings.group_interval_s)
    repeat = timedelta(seconds=settings.repeat_interval_s)
    queued = 0
    for key, group in groups.items():
        rows = members.get(key, [])
        live = [(r, a) for r, a in rows if a.status == "firing" and not _snoozed(a, now) and a.acked_at is None]
        new = [(r, a) for r, a in live if r.notified_status != "firing"]
        gone = [(r, a) for r, a in rows if a.status == "resolved" and r.notified_status == "firing"]
        for r, _ in [x for x in gone if _snoozed(x[1], now)]:  # resolved while snoozed: no notice
            r.notified_status, r.notified_at = "resolved", now
            session.add(r)
        gone = [x for x in gone if not _snoozed(x[1], now)]
        stale = [x for x in live if x[0].notified_at is not None and x[0].notified_at + repeat <= now
                 and key not in retrying]  # no repeat while the last notification is still being retried
        changed = bool(new or gone)
        if group.last_flush_at is None:
            due = changed and now >= group.created_at + wait
        else:
            due = (changed and now >= group.last_flush_at + interval) or bool(stale)
        if due:
            if new or stale:
                queued += _queue(session, group, "firing", live, now)
            if gone:
                queued += _queue(session, group, "resolved", gone, now)
            group.last_flush_at = now
            session.add(group)
        if not any(a.status == "firing" for _, a in rows) and not gone:
            session.delete(group)  # nothing left to announce: the next alert forms a new group
    return queued


def _queue(session: Session, group: AlertGroupRow, status: str, members: list[tuple[AlertRouteRow, AlertRow]],
           now: datetime) -> int:  # fmt: skip
    alerts = [a for _, a in members]
    recipient = members[0][0].recipient
    channel = session.get(ChannelRow, group.channel_id)
    if channel is None:
        return 0
    recipients = None
    if channel.kind == "email":
        recipients = resolve_recipients(orjson.loads(channel.config), recipient)
    ids = [a.id for a in alerts if a.id is not None]
    session.add(NotificationRow(channel_id=channel.id, group_key=group.group_key, status=status,
                                alert_ids=orjson.dumps(ids).decode(), payload=render(alerts, status),
                                recipients=orjson.dumps(recipients).decode() if recipients is not None else None,
                                msg_id=new_msg_id(), next_attempt_at=now, created_at=now))  # fmt: skip
    for route_row, _ in members:
        route_row.notified_status, route_row.notified_at = status, now
        session.add(route_row)
    return 1


def _alert_dict(alert: AlertRow, status: str) -> dict[str, Any]:
    return {"id": alert.id, "title": alert.title, "severity": alert.severity, "status": status,
            "event": alert.event, "field": alert.field, "source": alert.source_name, "source_id": alert.source_id,
            "check_kind": alert.check_kind, "summary": alert.summary, "since": alert.started_at.isoformat(),
            "fingerprint": alert.fingerprint, "owner": alert.owner, "details": orjson.loads(alert.details),
            "url": f"/#/alerts/{alert.id}"}  # fmt: skip


def render(alerts: list[AlertRow], status: str) -> str:
    """The channel payload (JSON text) of one notification about ``alerts``."""
    if len(alerts) == 1:
        payload = _alert_dict(alerts[0], status)
        payload["alerts"] = [{k: payload[k] for k in ("id", "title", "fingerprint", "status")}]
        return orjson.dumps(payload).decode()
    first = alerts[0]
    events = {a.event for a in alerts}
    worst = max(alerts, key=lambda a: lifecycle.SEVERITY_RANK.get(a.severity, 0)).severity
    word = "resolved" if status == "resolved" else "firing"
    payload = {
        "title": f"{len(alerts)} {word} {first.check_kind} alerts on {first.source_name}",
        "severity": worst, "status": status, "event": events.pop() if len(events) == 1 else "",
        "source": first.source_name, "source_id": first.source_id, "check_kind": first.check_kind,
        "summary": "\n".join(f"- {a.title}: {a.summary}" for a in alerts[:MAX_LISTED]),
        "since": min(a.started_at for a in alerts).isoformat(),
        "details": {a.title: a.summary for a in alerts[:MAX_LISTED]},
        "url": "/#/alerts",
        "alerts": [{"id": a.id, "title": a.title, "fingerprint": a.fingerprint, "status": status} for a in alerts],
    }  # fmt: skip
    return orjson.dumps(payload).decode()


def deliver_due(engine: Engine, settings: Settings, now: datetime, report: DispatchReport | None = None) -> None:
    """Send every pending notification whose time has come."""
    report = report or DispatchReport()
    context = ChannelContext.from_settings(settings)
    with read_session(engine) as session:
        due = session.exec(select(NotificationRow.id).where(NotificationRow.state == "pending",
                                                            NotificationRow.next_attempt_at <= now)
                           .order_by(col(NotificationRow.id)).limit(200)).all()  # fmt: skip
    for notification_id in due:
        if notification_id is not None:
            deliver_one(engine, notification_id, context, now, report)


def _claim(engine: Engine, notification_id: int, now: datetime) -> bool:
    table = NotificationRow.__table__  # type: ignore[attr-defined]
    with writer(engine).begin() as conn:
        claimed = conn.execute(update(table).where(
            table.c.id == notification_id, table.c.state == "pending", table.c.next_attempt_at <= now,
        ).values(next_attempt_at=now + LEASE))  # fmt: skip
        return bool(claimed.rowcount)


def send(kind: str, config: Mapping[str, Any], payload: Mapping[str, Any], context: ChannelContext) -> DeliveryResult:
    """One delivery attempt through the registered channel kind."""
    deliver = CHANNEL_KINDS.get(kind)
    if deliver is None:
        return refused(f"unknown channel kind {kind!r}")
    return deliver(config, payload, context)


def deliver_one(engine: Engine, notification_id: int, context: ChannelContext, now: datetime,
                report: DispatchReport) -> None:  # fmt: skip
    if not _claim(engine, notification_id, now):
        return
    with read_session(engine) as session:
        n = session.get(NotificationRow, notification_id)
        channel = session.get(ChannelRow, n.channel_id) if n is not None else None
    if n is None:
        return
    if channel is None or not channel.enabled:
        result = refused("channel deleted or disabled")
    else:
        config = orjson.loads(channel.config)
        if n.recipients is not None:
            config["to"] = orjson.loads(n.recipients)
        result = send(channel.kind, config, {**orjson.loads(n.payload), "msg_id": n.msg_id}, context)
    report.results.append(result)
    with write_session(engine) as session:
        row = session.get(NotificationRow, notification_id)
        if row is None:
            return
        row.attempts += 1
        row.last_status, row.last_error = result.status, result.error
        if result.ok:
            row.state, row.sent_at = "sent", now
            lifecycle.notified(session, orjson.loads(row.alert_ids), channel_id=row.channel_id, status=row.status,
                               now=now)  # fmt: skip
            report.delivered += 1
        elif result.disable:
            row.state = "failed"
            disable_channel(session, row.channel_id, f"the receiver answered {result.status}: {result.error}", now)
        elif result.retryable and (delay := next_retry_delay(row.attempts)) is not None:
            row.next_attempt_at = now + timedelta(seconds=delay)
        else:
            row.state = "dead" if result.retryable else "failed"
        if not result.ok:
            report.failed += 1
            log.warning("notification %s to channel %s failed: %s", row.id, row.channel_id, result.error)
        session.add(row)


def send_test_alert(engine: Engine, settings: Settings, channel_id: str, now: datetime,
                    to: str | None = None) -> DeliveryResult:  # fmt: skip
    """Deliver a test alert through one channel now (synchronously), with the usual 410 rule."""
    with read_session(engine) as session:
        channel = session.get(ChannelRow, channel_id)
    if channel is None:
        return refused("channel not found")
    config = orjson.loads(channel.config)
    recipients = resolve_recipients(config, to) if channel.kind == "email" else None
    if recipients is not None:
        config["to"] = recipients
    payload = {"title": f"Test alert from governance ({channel.name})", "severity": "info", "status": "firing",
               "source": "governance", "summary": "This is a test: the channel works.", "since": now.isoformat(),
               "details": {"channel": channel.name, "kind": channel.kind}, "url": "/#/alerts",
               "msg_id": new_msg_id()}  # fmt: skip
    if recipients == []:
        result = refused('this channel is addressed to "owner": give "to"')
    else:
        result = send(channel.kind, config, payload, ChannelContext.from_settings(settings))
    with write_session(engine) as session:
        session.add(NotificationRow(channel_id=channel.id, status="test", payload=orjson.dumps(payload).decode(),
                                    recipients=orjson.dumps(recipients).decode() if recipients is not None else None,
                                    msg_id=str(payload["msg_id"]), state="sent" if result.ok else "failed",
                                    attempts=1, next_attempt_at=now, last_status=result.status,
                                    last_error=result.error, created_at=now,
                                    sent_at=now if result.ok else None))  # fmt: skip
        if result.disable:
            disable_channel(session, channel.id, f"the receiver answered {result.status}: {result.error}", now)
    return result
