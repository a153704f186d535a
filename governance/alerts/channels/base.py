"""What every alert channel shares: the context deliverers get, and what a channel kind is."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from governance.alerts.channels.result import DeliveryResult


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


@dataclass(frozen=True, kw_only=True)
class ChannelKind:
    """A registered channel kind: ``kind(config, alert, context)`` delivers one alert, never raising."""

    name: str
    summary: str
    deliver: Deliver

    def __call__(self, config: Mapping[str, Any], alert: Mapping[str, Any], context: ChannelContext) -> DeliveryResult:
        return self.deliver(config, alert, context)


def alert_link(alert: Mapping[str, Any], console_url: str) -> str:
    """The console link of an alert: its absolute ``url``, its ``url`` path, or the console."""
    base = console_url.rstrip("/")
    link = alert.get("url")
    if isinstance(link, str) and link.startswith(("https://", "http://")):
        return link
    if isinstance(link, str) and link:
        return f"{base}/{link.lstrip('/')}"
    return base + "/"


def with_link(alert: Mapping[str, Any], context: ChannelContext) -> dict[str, Any]:
    """The alert with its absolute console link as ``url``."""
    return {**alert, "url": alert_link(alert, context.console_url)}
