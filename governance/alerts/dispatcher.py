"""Alert dispatch: mute, route, group, deduplicate, correlate, repeat, resolve, deliver (Alertmanager's timings).

``dispatch(engine, settings, now)`` runs every few seconds in the leading scheduler:

1. **mute** (``muting``): each firing alert is marked silenced (by an active silence) or
   inhibited (by another firing alert, ``inhibition``); muted alerts are not notified;
2. **route** every firing alert (``rules.route``) to its channels; each (alert, channel) joins
   the group of its route's ``group_by`` (by default ``channel | owner | source | check kind``;
   ``alert_routes``, ``alert_groups``), whose timings are the route's or the settings';
3. **flush** a group when it is due: a new group ``group_wait`` after it formed; a notified
   group when something changed (an alert fired or resolved) and ``group_interval`` has passed
   since its last notification, or when its firing alerts were last sent ``repeat_interval``
   ago. A flush sends one ``firing`` notification listing every firing alert of the group (not
   acknowledged, snoozed or muted), with the alerts of the same root (``correlation``), and one
   ``resolved`` notice for alerts that resolved since;
4. **deliver** due notifications through ``CHANNEL_KINDS``: retryable failures wait
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
from hashlib import sha256
from typing import Any

import orjson
from sqlalchemy import Engine, update
from sqlmodel import Session, col, or_, select

from governance.alerts import correlation, lifecycle, muting
from governance.alerts.channels import CHANNEL_KINDS, ChannelContext, DeliveryResult
from governance.alerts.channels.result import refused
from governance.alerts.config import disable_channel, load_routing
from governance.alerts.inhibition import parse_rules
from governance.alerts.render import render
from governance.alerts.retry import next_retry_delay
from governance.alerts.rules import Grouping, resolve_recipients, route
from governance.alerts.signing import new_msg_id
from governance.alerts.tables import AlertGroupRow, AlertRouteRow, AlertRow, ChannelRow, NotificationRow
from governance.clock import as_utc
from governance.db import read_session, write_session, writer
from governance.matchers import alert_labels
from governance.settings import Settings

log = logging.getLogger("governance.alerts")
LEASE = timedelta(seconds=120)  # a claimed notification is not retried by another dispatcher before this


@dataclass
class DispatchReport:
    notifications: int = 0
    delivered: int = 0
    failed: int = 0
    results: list[DeliveryResult] = field(default_factory=list)


def dispatch(engine: Engine, settings: Settings, now: datetime) -> DispatchReport:
    """Mute, route, flush due groups, and deliver due notifications at ``now``."""
    now = as_utc(now)
    report = DispatchReport()
    with write_session(engine) as session:
        muting.mute(session, now, parse_rules(settings.inhibit_rules))
        route_alerts(session, now)
        report.notifications = flush_groups(session, settings, now)
    deliver_due(engine, settings, now, report)
    return report


def _snoozed(alert: AlertRow, now: datetime) -> bool:
    return alert.snoozed_until is not None and alert.snoozed_until > now


def group_key(channel_id: str, recipient: str | None, labels: dict[str, list[str]], grouping: Grouping) -> str:
    """The group an alert joins on a route: the channel, the recipient, and the values of ``group_by``."""
    parts = [f"{name}={','.join(labels.get(name) or [''])}" for name in grouping.labels()]
    key = "|".join([channel_id, recipient or "", *parts])
    return key if len(key) <= 400 else f"{channel_id}|{recipient or ''}|#" + sha256(key.encode()).hexdigest()


def route_alerts(session: Session, now: datetime) -> None:
    """Give every firing alert its (alert, channel) routes and groups."""
    rules, channels = load_routing(session)
    firing = session.exec(select(AlertRow).where(AlertRow.status == "firing")).all()
    if not firing or not channels:
        return
    ids = [a.id for a in firing]
    have = {(r.alert_id, r.channel_id) for r in session.exec(
        select(AlertRouteRow).where(col(AlertRouteRow.alert_id).in_(ids))).all()}
    groups = {g.group_key for g in session.exec(select(AlertGroupRow)).all()}
    for alert in firing:
        assert alert.id is not None
        labels = {"owner": alert.owner, "labels": orjson.loads(alert.labels), "source_id": alert.source_id,
                  "source_name": alert.source_name, "severity": alert.severity, "check_kind": alert.check_kind,
                  "event": alert.event}
        for r in route(labels, rules, channels):
            if (alert.id, r.channel_id) in have:
                continue
            key = group_key(r.channel_id, r.recipient, alert_labels(alert), r.grouping)
            session.add(AlertRouteRow(alert_id=alert.id, channel_id=r.channel_id, group_key=key, recipient=r.recipient))
            if key not in groups:
                formed = min(alert.started_at, now)  # group_wait counts from the first alert's firing
                g = r.grouping
                session.add(AlertGroupRow(group_key=key, channel_id=r.channel_id, created_at=formed,
                                          wait_s=g.group_wait_s, interval_s=g.group_interval_s,
                                          repeat_s=g.repeat_interval_s))
                groups.add(key)


Member = tuple[AlertRouteRow, AlertRow]


def _timings(group: AlertGroupRow, settings: Settings) -> tuple[timedelta, timedelta, timedelta]:
    def pick(own: float | None, default: float) -> timedelta:
        return timedelta(seconds=default if own is None else own)

    return (pick(group.wait_s, settings.group_wait_s), pick(group.interval_s, settings.group_interval_s),
            pick(group.repeat_s, settings.repeat_interval_s))


def flush_groups(session: Session, settings: Settings, now: datetime) -> int:
    """Queue the notifications of every due group; returns how many were queued."""
    query = (select(AlertRouteRow, AlertRow).where(AlertRouteRow.alert_id == AlertRow.id)
             .where(or_(AlertRow.status == "firing", AlertRouteRow.notified_status == "firing")))
    members: dict[str, list[Member]] = {}
    for route_row, alert in session.exec(query).all():
        members.setdefault(route_row.group_key, []).append((route_row, alert))
    groups = sorted(session.exec(select(AlertGroupRow)).all(), key=lambda g: (g.created_at, g.group_key))
    retrying = set(session.exec(select(NotificationRow.group_key).where(NotificationRow.state == "pending")).all())
    incidents = correlation.Incidents(session, members.values(), timedelta(seconds=settings.correlation_window_s), now)
    queued = 0
    for group in groups:
        rows = members.get(group.group_key, [])
        wait, interval, repeat = _timings(group, settings)
        live = [(r, a) for r, a in rows if a.status == "firing" and not _snoozed(a, now) and a.acked_at is None
                and not muting.muted(a)]
        new = incidents.news([(r, a) for r, a in live if r.notified_status not in ("firing", correlation.CORRELATED)])
        gone = [(r, a) for r, a in rows if a.status == "resolved" and r.notified_status == "firing"]
        for r, _ in [x for x in gone if _snoozed(x[1], now) or muting.muted(x[1])]:  # resolved while muted: no notice
            r.notified_status, r.notified_at = "resolved", now
            session.add(r)
        gone = [x for x in gone if not _snoozed(x[1], now) and not muting.muted(x[1])]
        stale = [x for x in live if x[0].notified_at is not None and x[0].notified_at + repeat <= now
                 and group.group_key not in retrying]  # no repeat while the last notification is still being retried
        changed = bool(new or gone)
        if group.last_flush_at is None:  # its alerts may have gone out with another group's (correlation)
            due = (changed and now >= group.created_at + wait) or bool(stale)
        else:
            due = (changed and now >= group.last_flush_at + interval) or bool(stale)
        if due:
            if new or stale:
                related = incidents.join(live)
                queued += _queue(session, group, "firing", live + related, now)
                incidents.heard(live + related)
            if gone:
                queued += _queue(session, group, "resolved", gone, now)
            group.last_flush_at = now
            session.add(group)
        if not any(a.status == "firing" for _, a in rows) and not gone:
            session.delete(group)  # nothing left to announce: the next alert forms a new group
    return queued


def _queue(session: Session, group: AlertGroupRow, status: str, members: list[Member], now: datetime) -> int:
    alerts = [a for _, a in members]
    recipient = members[0][0].recipient
    channel = session.get(ChannelRow, group.channel_id)
    if channel is None:
        return 0
    config = orjson.loads(channel.config)
    recipients = None
    if channel.kind == "email":
        recipients = resolve_recipients(config, recipient)
    ids = [a.id for a in alerts if a.id is not None]
    payload = render(alerts, status, str(config.get("timezone") or "UTC"))
    session.add(NotificationRow(channel_id=channel.id, group_key=group.group_key, status=status,
                                alert_ids=orjson.dumps(ids).decode(), payload=payload,
                                recipients=orjson.dumps(recipients).decode() if recipients is not None else None,
                                msg_id=new_msg_id(), next_attempt_at=now, created_at=now))
    for route_row, _ in members:
        route_row.notified_status, route_row.notified_at = status, now
        session.add(route_row)
    return 1


def deliver_due(engine: Engine, settings: Settings, now: datetime, report: DispatchReport | None = None) -> None:
    """Send every pending notification whose time has come."""
    report = report or DispatchReport()
    context = ChannelContext.from_settings(settings)
    with read_session(engine) as session:
        due = session.exec(select(NotificationRow.id).where(NotificationRow.state == "pending",
                                                            NotificationRow.next_attempt_at <= now)
                           .order_by(col(NotificationRow.id)).limit(200)).all()
    for notification_id in due:
        if notification_id is not None:
            deliver_one(engine, notification_id, context, now, report)


def _claim(engine: Engine, notification_id: int, now: datetime) -> bool:
    table = NotificationRow.__table__  # type: ignore[attr-defined]
    with writer(engine).begin() as conn:
        claimed = conn.execute(update(table).where(
            table.c.id == notification_id, table.c.state == "pending", table.c.next_attempt_at <= now,
        ).values(next_attempt_at=now + LEASE))
        return bool(claimed.rowcount)


def send(kind: str, config: Mapping[str, Any], payload: Mapping[str, Any], context: ChannelContext) -> DeliveryResult:
    """One delivery attempt through the registered channel kind."""
    deliver = CHANNEL_KINDS.get(kind)
    if deliver is None:
        return refused(f"unknown channel kind {kind!r}")
    return deliver(config, payload, context)


def deliver_one(engine: Engine, notification_id: int, context: ChannelContext, now: datetime,
                report: DispatchReport) -> None:
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
                               now=now)
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
                    to: str | None = None) -> DeliveryResult:
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
               "msg_id": new_msg_id()}
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
                                    sent_at=now if result.ok else None))
        if result.disable:
            disable_channel(session, channel.id, f"the receiver answered {result.status}: {result.error}", now)
    return result
