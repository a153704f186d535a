"""Alert channels, registered like extensions: ``CHANNEL_KINDS[kind](config, alert, context)``.

    kind      config                                   sends
    email     {"to": ["a@example.com", ...]}            SMTP, text + HTML
    webhook   {"url": "https://...", "secret": "whsec_..."}  signed JSON (Standard Webhooks)
    slack     {"url": "https://hooks.slack.com/..."}    Slack incoming-webhook blocks

Every deliverer returns a ``DeliveryResult``; none raises for a delivery failure. A stable
``alert["msg_id"]`` is used as the ``webhook-id`` so receivers can deduplicate retries.
"""

from __future__ import annotations

import smtplib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from governance.alerts.channels.email import (
    StartTLSUnavailable,
    alert_link,
    render_alert_email,
    send_email,
)
from governance.alerts.channels.result import DeliveryResult, refused
from governance.alerts.channels.slack import slack_body
from governance.alerts.channels.webhook import deliver_webhook

__all__ = ["CHANNEL_KINDS", "ChannelContext", "Deliver", "DeliveryResult", "SmtpSettings"]


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send alert emails."""

    host: str
    port: int = 587
    starttls: bool = True
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "governance@localhost"
    timeout_s: float = 15.0


@dataclass(frozen=True)
class ChannelContext:
    """What deliverers need beyond the channel config and the alert."""

    smtp: SmtpSettings | None = None
    allowed_networks: tuple[str, ...] = ()
    console_url: str = "http://127.0.0.1:8000"
    webhook_timeout_s: float = 15.0

    @classmethod
    def from_settings(cls, settings: Any) -> ChannelContext:
        """Build from ``governance.settings.Settings`` (read by attribute name)."""
        smtp = None
        if settings.smtp_host:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
            smtp = SmtpSettings(
                host=settings.smtp_host,
                port=settings.smtp_port,
                starttls=settings.smtp_starttls,
                username=settings.smtp_username,
                password=password,
                sender=settings.smtp_from,
                timeout_s=settings.webhook_timeout_s,
            )
        return cls(
            smtp=smtp,
            allowed_networks=tuple(settings.webhook_allowed_networks),
            console_url=settings.public_url,
            webhook_timeout_s=settings.webhook_timeout_s,
        )


Deliver = Callable[[Mapping[str, Any], Mapping[str, Any], ChannelContext], DeliveryResult]


def _with_link(alert: Mapping[str, Any], context: ChannelContext) -> dict[str, Any]:
    return {**alert, "url": alert_link(alert, context.console_url)}


def deliver_email(
    config: Mapping[str, Any], alert: Mapping[str, Any], context: ChannelContext
) -> DeliveryResult:
    """Send the alert to ``config["to"]``; SMTP 4xx and network errors are retryable."""
    started = time.perf_counter()

    def result(ok: bool, *, retryable: bool = False, error: str | None = None,
               status: int | None = None) -> DeliveryResult:  # fmt: skip
        elapsed = (time.perf_counter() - started) * 1000
        return DeliveryResult(ok=ok, status=status, retryable=retryable, error=error, elapsed_ms=elapsed)

    if context.smtp is None:
        return result(False, error="email alerts need GOVERNANCE_SMTP_HOST")
    to = config.get("to")
    recipients = [to] if isinstance(to, str) else list(to or [])
    if not recipients:
        return result(False, error="email channel has no recipients ('to')")
    subject, text, html = render_alert_email(alert, context.console_url)
    smtp = context.smtp
    try:
        send_email(
            host=smtp.host,
            port=smtp.port,
            starttls=smtp.starttls,
            username=smtp.username,
            password=smtp.password,
            sender=smtp.sender,
            to=recipients,
            subject=subject,
            text=text,
            html=html,
            timeout_s=smtp.timeout_s,
        )
    except StartTLSUnavailable as exc:
        return result(False, error=str(exc))
    except smtplib.SMTPResponseException as exc:
        return result(False, retryable=400 <= exc.smtp_code < 500, error=f"SMTP {exc.smtp_code}: {exc.smtp_error!r}",
                      status=exc.smtp_code)  # fmt: skip
    except smtplib.SMTPRecipientsRefused as exc:
        temporary = all(400 <= code < 500 for code, _ in exc.recipients.values())
        return result(False, retryable=temporary, error=f"recipients refused: {exc.recipients!r}")
    except (smtplib.SMTPException, OSError) as exc:
        return result(False, retryable=True, error=f"{type(exc).__name__}: {exc}")
    return result(True)


def deliver_webhook_channel(
    config: Mapping[str, Any], alert: Mapping[str, Any], context: ChannelContext
) -> DeliveryResult:
    """POST ``{"type", "timestamp", "data"}`` to ``config["url"]``, signed with ``config["secret"]``."""
    if not config.get("secret"):
        return refused("webhook channel has no signing secret")
    status = str(alert.get("status") or "firing")
    payload = {
        "type": f"alert.{status}",
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "data": _with_link(alert, context),
    }
    return deliver_webhook(
        str(config.get("url", "")),
        payload,
        secret=config.get("secret"),
        timeout_s=context.webhook_timeout_s,
        allowed_networks=context.allowed_networks,
        msg_id=alert.get("msg_id"),
    )


def deliver_slack(
    config: Mapping[str, Any], alert: Mapping[str, Any], context: ChannelContext
) -> DeliveryResult:
    """POST the alert as Slack blocks to an incoming-webhook ``config["url"]``."""
    return deliver_webhook(
        str(config.get("url", "")),
        slack_body(_with_link(alert, context)),
        secret=config.get("secret"),
        timeout_s=context.webhook_timeout_s,
        allowed_networks=context.allowed_networks,
        msg_id=alert.get("msg_id"),
    )


CHANNEL_KINDS: dict[str, Deliver] = {
    "email": deliver_email,
    "webhook": deliver_webhook_channel,
    "slack": deliver_slack,
}
