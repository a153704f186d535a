"""Alert tables: channels, routing rules, alerts with their history, and the notification outbox.

    alert_channels       kind + config JSON (webhook secrets live here; the API never returns them)
    alert_rules          matchers -> channel ids, with the route's grouping (group_by and timings)
    alerts               one row per firing episode of a fingerprint (check, source, event, field);
                         a fingerprint has at most one ``firing`` row; resolved rows are history
    alert_history        what happened to an alert: fired, resolved, acked, snoozed, notified
    alert_routes         (alert, channel): which group it is notified in and what was last sent
    alert_groups         per group key: when it formed and when it was last flushed
    alert_notifications  the delivery outbox (retried on the Standard Webhooks schedule)
    digest_settings      the one row of daily digest settings
    alert_silences       silences and maintenance windows: matchers, a time range or a recurrence
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from governance.clock import utc_column, utcnow


class ChannelRow(SQLModel, table=True):
    __tablename__ = "alert_channels"

    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=100, unique=True)
    kind: str = Field(max_length=20)
    config: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    enabled: bool = True
    disabled_reason: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class RuleRow(SQLModel, table=True):
    __tablename__ = "alert_rules"

    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=100)
    matchers: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    channel_ids: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    enabled: bool = True
    grouping: str | None = Field(default=None, sa_column=Column(Text))  # JSON: group_by and timings; None: defaults
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class AlertRow(SQLModel, table=True):
    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_fingerprint", "fingerprint", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    fingerprint: str = Field(max_length=64)
    check_id: str = Field(max_length=40, index=True)
    check_kind: str = Field(max_length=40)
    source_id: str = Field(max_length=40, index=True)
    source_name: str = Field(default="", max_length=100)
    event: str = Field(default="", max_length=200)
    field: str = Field(default="", max_length=300)
    severity: str = Field(default="warning", max_length=10)
    status: str = Field(default="firing", max_length=10, index=True)  # firing | resolved
    title: str = Field(sa_column=Column(Text, nullable=False))
    summary: str = Field(default="", sa_column=Column(Text, nullable=False))
    details: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    owner: str | None = Field(default=None, max_length=200)
    labels: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    started_at: datetime = Field(sa_column=utc_column())
    last_firing_at: datetime = Field(sa_column=utc_column())
    resolved_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    acked_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    acked_by: str | None = Field(default=None, max_length=100)
    snoozed_until: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    snoozed_by: str | None = Field(default=None, max_length=100)
    onset_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))  # estimated onset
    silenced_by: str | None = Field(default=None, sa_column=Column(Text))  # JSON list of silence ids
    inhibited_by: str | None = Field(default=None, sa_column=Column(Text))  # JSON list of alert ids
    root_id: int | None = None  # correlated: notified with this alert (same source and onset)


class AlertHistoryRow(SQLModel, table=True):
    __tablename__ = "alert_history"

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(index=True)
    at: datetime = Field(sa_column=utc_column())
    action: str = Field(max_length=20)  # fired | resolved | acked | unacked | snoozed | unsnoozed | notified
    actor: str = Field(default="scheduler", max_length=100)
    details: str = Field(default="{}", sa_column=Column(Text, nullable=False))


class AlertRouteRow(SQLModel, table=True):
    __tablename__ = "alert_routes"
    __table_args__ = (UniqueConstraint("alert_id", "channel_id", name="uq_alert_route"),)

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(index=True)
    channel_id: str = Field(max_length=40)
    group_key: str = Field(max_length=400, index=True)
    recipient: str | None = Field(default=None, max_length=200)  # the owner, for owner-addressed email
    notified_status: str | None = Field(default=None, max_length=10)  # None | firing | resolved
    notified_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class AlertGroupRow(SQLModel, table=True):
    __tablename__ = "alert_groups"

    group_key: str = Field(primary_key=True, max_length=400)
    channel_id: str = Field(max_length=40)
    created_at: datetime = Field(sa_column=utc_column())
    last_flush_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    wait_s: float | None = None  # the route's timings (None: the settings')
    interval_s: float | None = None
    repeat_s: float | None = None


class NotificationRow(SQLModel, table=True):
    __tablename__ = "alert_notifications"
    __table_args__ = (Index("ix_alert_notifications_due", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    channel_id: str = Field(max_length=40, index=True)
    group_key: str = Field(default="", max_length=400)
    status: str = Field(max_length=10)  # firing | resolved | test
    alert_ids: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    payload: str = Field(sa_column=Column(Text, nullable=False))
    recipients: str | None = Field(default=None, sa_column=Column(Text))  # JSON list overriding config "to"
    msg_id: str = Field(max_length=64)
    state: str = Field(default="pending", max_length=10)  # pending | sent | failed | dead
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=utc_column())
    last_status: int | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(sa_column=utc_column())
    sent_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class DigestSettingsRow(SQLModel, table=True):
    __tablename__ = "digest_settings"

    id: int = Field(default=1, primary_key=True)
    enabled: bool = False
    hour: int = 8
    recipients: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class SilenceRow(SQLModel, table=True):
    """A silence: alerts its matchers accept are not notified while it is active.

    One-off: active over ``[starts_at, ends_at)``. Recurring (``rrule`` set): each occurrence of the
    RFC 5545 rule, counted in ``timezone`` from the wall-clock time of ``starts_at``, lasts
    ``duration_s``; ``ends_at`` (optional) ends the series. Expiring sets ``expired_at``.
    """

    __tablename__ = "alert_silences"

    id: str = Field(primary_key=True, max_length=40)
    matchers: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of {name, op, value}
    comment: str = Field(sa_column=Column(Text, nullable=False))
    created_by: str = Field(max_length=100)
    starts_at: datetime = Field(sa_column=utc_column())
    ends_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    rrule: str | None = Field(default=None, sa_column=Column(Text))
    duration_s: int | None = None
    timezone: str = Field(default="UTC", max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    expired_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    expired_by: str | None = Field(default=None, max_length=100)
