"""Email delivery through a real aiosmtpd server, and the rendering of alert emails."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from governance.alerts.channels import CHANNEL_KINDS, ChannelContext, SmtpSettings
from governance.alerts.channels.email import StartTLSUnavailable, render_alert_email, send_email

from .conftest import CA, StoringHandler, free_port

SmtpFactory = Callable[..., tuple[Controller, StoringHandler]]
ALERT: dict[str, Any] = {
    "title": "Unplanned event 'Completed Order' on android-app",
    "severity": "warning",
    "event": "Completed Order",
    "source": "android-app",
    "summary": "312 events in 5 min; did you mean <b>Order Completed</b>?",
    "since": datetime(2024, 5, 1, 10, 0, tzinfo=UTC),
    "url": "/#/alerts/42",
    "details": {"observed": 312, "expected": 0},
}


def test_send_and_read_back_subject_text_and_html(smtp_factory: SmtpFactory) -> None:
    controller, handler = smtp_factory()
    subject, text, html = render_alert_email(ALERT, "https://gov.example.com")
    send_email(
        host="127.0.0.1",
        port=controller.port,
        starttls=False,
        sender="governance@example.com",
        to=["owner@example.com", "data@example.com"],
        subject=subject,
        text=text,
        html=html,
        timeout_s=5,
    )
    [(mail_from, rcpt_tos, msg)] = handler.messages
    assert mail_from == "governance@example.com"
    assert rcpt_tos == ["owner@example.com", "data@example.com"]
    assert msg["Subject"] == "[governance] WARNING: Unplanned event 'Completed Order' on android-app"
    assert msg["To"] == "owner@example.com, data@example.com"
    assert msg["Message-ID"] and msg["Date"]
    assert msg.get_content_type() == "multipart/alternative"
    plain = msg.get_body(("plain",))
    rich = msg.get_body(("html",))
    assert plain is not None and rich is not None
    assert plain.get_content().replace("\r\n", "\n") == text
    assert rich.get_content().replace("\r\n", "\n").rstrip("\n") == html


def test_starttls_required_but_not_offered_refuses(smtp_factory: SmtpFactory) -> None:
    controller, handler = smtp_factory()
    with pytest.raises(StartTLSUnavailable, match="clear text"):
        send_email(
            host="127.0.0.1",
            port=controller.port,
            starttls=True,
            sender="g@example.com",
            to=["o@example.com"],
            subject="s",
            text="t",
            html="<p>t</p>",
            timeout_s=5,
        )
    assert handler.messages == []


def test_starttls_and_login(tmp_path: Path, ca: CA, smtp_factory: SmtpFactory) -> None:
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret", handled=False)

    tls = ca.server_context(tmp_path, "localhost")
    controller, handler = smtp_factory(
        tls_context=tls,
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
        server_hostname="localhost",
    )
    kwargs: dict[str, Any] = dict(
        host="localhost",
        port=controller.port,
        starttls=True,
        username="alerts",
        sender="g@example.com",
        to=["o@example.com"],
        subject="over TLS",
        text="t",
        html="<p>t</p>",
        timeout_s=5,
        ssl_context=ca.client_context(),
    )
    send_email(password="s3cret", **kwargs)
    assert logins == [(b"alerts", b"s3cret")]
    assert [m["Subject"] for _, _, m in handler.messages] == ["over TLS"]
    with pytest.raises(smtplib.SMTPAuthenticationError):
        send_email(password="wrong", **kwargs)
    assert len(handler.messages) == 1


def test_render_names_event_change_since_and_link() -> None:
    subject, text, html = render_alert_email(ALERT, "https://gov.example.com/")
    assert "Event: Completed Order" in text
    assert "Source: android-app" in text
    assert "Since: Wed 1 May 2024, 10:00 UTC" in text
    assert "observed: 312" in text
    assert "did you mean <b>Order Completed</b>?" in text
    assert "Open in the console: https://gov.example.com/#/alerts/42" in text
    assert '<a href="https://gov.example.com/#/alerts/42">' in html
    assert "&lt;b&gt;Order Completed&lt;/b&gt;" in html and "<b>" not in html
    assert "WARNING" in subject


def test_render_escapes_everything_user_provided() -> None:
    hostile = {
        "title": "<img src=x onerror=alert(1)>\r\nBcc: victim@example.com",
        "event": '"><script>alert(1)</script>',
        "source": "a&b",
        "details": {"<k>": "<v>"},
        "url": 'https://gov.example.com/x" onmouseover="alert(1)',
        "since": 1714557600,
    }
    subject, text, html = render_alert_email(hostile, "https://gov.example.com")
    assert "\r" not in subject and "\n" not in subject
    assert "<img" not in html and "<script>" not in html and "<k>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "a&amp;b" in html
    assert 'href="https://gov.example.com/x&quot; onmouseover=&quot;alert(1)"' in html
    assert "Since: Wed 1 May 2024, 10:00 UTC" in text


def test_render_without_optional_fields() -> None:
    subject, text, html = render_alert_email({"status": "resolved", "title": "Volume back"}, "http://c:8000")
    assert subject == "[governance] RESOLVED: Volume back"
    assert "Open in the console: http://c:8000/" in text
    assert "<table>" not in html


def test_registry_email_channel(smtp_factory: SmtpFactory) -> None:
    controller, handler = smtp_factory()
    smtp = SmtpSettings(
        host="127.0.0.1", port=controller.port, starttls=False, sender="g@example.com", timeout_s=5
    )
    context = ChannelContext(smtp=smtp, console_url="https://gov.example.com")
    result = CHANNEL_KINDS["email"]({"to": ["owner@example.com"]}, ALERT, context)
    assert result.ok and result.error is None
    [(_, rcpt, msg)] = handler.messages
    assert rcpt == ["owner@example.com"] and "Completed Order" in msg["Subject"]

    insecure = CHANNEL_KINDS["email"](
        {"to": "o@example.com"},
        ALERT,
        ChannelContext(smtp=SmtpSettings(host="127.0.0.1", port=controller.port, starttls=True, timeout_s=5)),
    )
    assert not insecure.ok and not insecure.retryable and "STARTTLS" in (insecure.error or "")

    down = CHANNEL_KINDS["email"](
        {"to": ["o@example.com"]},
        ALERT,
        ChannelContext(smtp=SmtpSettings(host="127.0.0.1", port=free_port(), starttls=False, timeout_s=2)),
    )
    assert not down.ok and down.retryable
    assert not CHANNEL_KINDS["email"]({"to": []}, ALERT, context).ok
    assert not CHANNEL_KINDS["email"]({"to": ["o@example.com"]}, ALERT, ChannelContext()).ok
    assert len(handler.messages) == 1


def test_context_from_settings_keeps_the_password_out_of_repr() -> None:
    from governance.settings import Settings

    settings = Settings(
        smtp_host="mail.example.com",
        smtp_username="alerts",
        smtp_password="hunter2-secret",
        webhook_allowed_networks=["10.0.0.0/8"],
        public_url="https://gov.example.com",
    )
    context = ChannelContext.from_settings(settings)
    assert context.smtp is not None and context.smtp.password == "hunter2-secret"
    assert (context.smtp.host, context.smtp.port, context.smtp.starttls) == ("mail.example.com", 587, True)
    assert context.allowed_networks == ("10.0.0.0/8",)
    assert context.console_url == "https://gov.example.com"
    assert "hunter2" not in repr(context)
    assert ChannelContext.from_settings(Settings()).smtp is None
