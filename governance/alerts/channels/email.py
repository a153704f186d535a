"""Email delivery over SMTP, and the rendering of an alert as an email.

``send_email`` upgrades the connection with STARTTLS when asked and refuses to send in clear
text when the server does not offer it (``StartTLSUnavailable``). ``render_alert_email``
returns ``(subject, text, html)``; every value taken from the alert is HTML-escaped in the HTML
part and stripped of line breaks in the subject.
"""

from __future__ import annotations

import html
import smtplib
import ssl
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from governance.alerts.channels.base import ChannelContext, ChannelKind, alert_link
from governance.alerts.channels.result import DeliveryResult
from governance.alerts.timefmt import human

# Headers are not folded at 78 columns: CPython folds a short subject onto a continuation line
# ("Subject:\r\n [governance] ..."), which some clients show with a leading space.
_POLICY = policy.default.clone(max_line_length=998)


class StartTLSUnavailable(smtplib.SMTPNotSupportedError):
    """STARTTLS was required but the server does not offer it; nothing was sent."""


def build_message(*, sender: str, to: list[str], subject: str, text: str, html_body: str) -> EmailMessage:
    """A ``multipart/alternative`` message with a text and an HTML part."""
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = _one_line(subject)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg.set_content(text)
    msg.add_alternative(html_body, subtype="html")
    return msg


def send_email(
    *,
    host: str,
    port: int,
    starttls: bool = True,
    username: str | None = None,
    password: str | None = None,
    sender: str,
    to: list[str],
    subject: str,
    text: str,
    html: str,
    timeout_s: float = 15.0,
    ssl_context: ssl.SSLContext | None = None,
) -> None:
    """Send one email; raises ``smtplib.SMTPException`` or ``OSError`` on failure."""
    if not to:
        raise ValueError("no recipients")
    msg = build_message(sender=sender, to=to, subject=subject, text=text, html_body=html)
    with smtplib.SMTP(host, port, timeout=timeout_s) as smtp:
        smtp.ehlo()
        if starttls:
            if not smtp.has_extn("starttls"):
                raise StartTLSUnavailable(
                    f"SMTP server {host}:{port} does not offer STARTTLS; refusing to send in clear text"
                )
            smtp.starttls(context=ssl_context or ssl.create_default_context())
            smtp.ehlo()
        if username:
            smtp.login(username, password or "")
        smtp.send_message(msg, from_addr=sender, to_addrs=to)


def _one_line(value: Any) -> str:
    return " ".join(str(value).split())


def _since(value: Any, tz: str | None = None) -> str:
    """A time as the recipient reads it, in their zone (``timefmt.human``)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = datetime.fromtimestamp(value, UTC)
    return human(value, tz) if isinstance(value, datetime | str) else str(value)


def render_alert_email(alert: Mapping[str, Any], console_url: str) -> tuple[str, str, str]:
    """``(subject, text, html)`` naming the event, what changed, since when, and a console link."""
    title = _one_line(alert.get("title") or "Alert")
    severity = _one_line(alert.get("severity") or "info").lower()
    resolved = str(alert.get("status") or "").lower() == "resolved"
    tz = alert.get("timezone") if isinstance(alert.get("timezone"), str) else None
    subject = f"[governance] {'RESOLVED' if resolved else severity.upper()}: {title}"[:250]

    rows: list[tuple[str, str]] = [
        (label, _since(alert[key], tz) if key == "since" else str(alert[key]))
        for key, label in (
            ("event", "Event"),
            ("source", "Source"),
            ("severity", "Severity"),
            ("since", "Since"),
        )
        if alert.get(key) not in (None, "") and not (resolved and key == "since")
    ]
    details = alert.get("details")
    if isinstance(details, Mapping):
        rows += [(str(k), str(v)) for k, v in details.items()]
    summary = str(alert.get("summary") or "")
    link = alert_link(alert, console_url)

    text_lines = [title, "=" * min(len(title), 72), ""]
    if summary:
        text_lines += [summary, ""]
    text_lines += [f"{label}: {value}" for label, value in rows]
    text_lines += ["", f"Open in the console: {link}", ""]
    text = "\n".join(text_lines)

    esc = html.escape
    table = "".join(
        f'<tr><th align="left" style="padding:2px 12px 2px 0">{esc(label)}</th><td>{esc(value)}</td></tr>'
        for label, value in rows
    )
    html_body = (
        '<!doctype html><html><body style="font-family:sans-serif">'
        f"<h2>{esc(title)}</h2>"
        + (f"<p>{esc(summary)}</p>" if summary else "")
        + (f"<table>{table}</table>" if table else "")
        + f'<p><a href="{esc(link, quote=True)}">Open in the console</a></p>'
        "</body></html>"
    )
    return subject, text, html_body


def deliver_email(
    config: Mapping[str, Any], alert: Mapping[str, Any], context: ChannelContext
) -> DeliveryResult:
    """Send the alert to ``config["to"]``; SMTP 4xx and network errors are retryable."""
    started = time.perf_counter()

    def result(ok: bool, *, retryable: bool = False, error: str | None = None,
               status: int | None = None) -> DeliveryResult:
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
                      status=exc.smtp_code)
    except smtplib.SMTPRecipientsRefused as exc:
        temporary = all(400 <= code < 500 for code, _ in exc.recipients.values())
        return result(False, retryable=temporary, error=f"recipients refused: {exc.recipients!r}")
    except (smtplib.SMTPException, OSError) as exc:
        return result(False, retryable=True, error=f"{type(exc).__name__}: {exc}")
    return result(True)


CHANNEL = ChannelKind(name="email", summary="SMTP, text + HTML", deliver=deliver_email)
