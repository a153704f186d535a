"""Alert channels, registered like extensions: ``CHANNEL_KINDS[kind](config, alert, context)``.

    kind      config                                   sends
    email     {"to": ["a@example.com", ...]}            SMTP, text + HTML
    webhook   {"url": "https://...", "secret": "whsec_..."}  signed JSON (Standard Webhooks)
    slack     {"url": "https://hooks.slack.com/..."}    Slack incoming-webhook blocks

Each module exposes ``CHANNEL`` (a ``ChannelKind``); another kind is one more module name in
``DEFAULT_PLUGINS`` or an entry point in ``governance.alert_channels`` (see ``governance.plugins``).
Every deliverer returns a ``DeliveryResult``; none raises for a delivery failure. A stable
``alert["msg_id"]`` is used as the ``webhook-id`` so receivers can deduplicate retries.
"""

from __future__ import annotations

from governance.alerts.channels.base import ChannelContext, ChannelKind, Deliver, SmtpSettings
from governance.alerts.channels.result import DeliveryResult
from governance.plugins import Registry

__all__ = ["CHANNEL_KINDS", "ChannelContext", "ChannelKind", "Deliver", "DeliveryResult", "SmtpSettings"]

DEFAULT_PLUGINS = (
    "governance.alerts.channels.email",
    "governance.alerts.channels.webhook",
    "governance.alerts.channels.slack",
)
CHANNEL_KINDS: Registry[ChannelKind] = Registry("alert channel", group="governance.alert_channels",
                                                defaults=DEFAULT_PLUGINS, attr="CHANNEL")
