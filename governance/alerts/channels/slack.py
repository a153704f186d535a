"""Slack: an alert rendered as an incoming-webhook body (``text`` fallback plus Block Kit blocks), POSTed
to the channel's incoming-webhook URL (unsigned: the URL is the credential)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from governance.alerts.channels.base import ChannelContext, ChannelKind, with_link
from governance.alerts.channels.result import DeliveryResult
from governance.alerts.channels.webhook import deliver_webhook
from governance.alerts.timefmt import human

_SEVERITY_EMOJI = {"critical": ":red_circle:", "warning": ":warning:", "info": ":information_source:"}


def _mrkdwn(value: Any) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_body(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A Slack incoming-webhook body (``text`` fallback plus Block Kit ``blocks``) for an alert."""
    title = str(payload.get("title") or "Alert")
    severity = str(payload.get("severity") or "info").lower()
    status = str(payload.get("status") or "firing").lower()
    emoji = ":white_check_mark:" if status == "resolved" else _SEVERITY_EMOJI.get(severity, ":bell:")
    prefix = "[resolved] " if status == "resolved" else f"[{severity}] "
    text = f"{emoji} {prefix}{title}"

    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": (prefix + title)[:150], "emoji": True}}
    ]
    if payload.get("summary"):
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _mrkdwn(payload["summary"])[:3000]}})
    tz = payload.get("timezone") if isinstance(payload.get("timezone"), str) else None
    shown = {**payload, "since": human(payload["since"], tz)} if payload.get("since") else payload
    fields = [
        {"type": "mrkdwn", "text": f"*{label}*\n{_mrkdwn(shown[key])[:1900]}"}
        for key, label in (("event", "Event"), ("source", "Source"), ("severity", "Severity"), ("since", "Since"))
        if shown.get(key) not in (None, "") and not (status == "resolved" and key == "since")
    ]
    if fields:
        blocks.append({"type": "section", "fields": fields})
    link = payload.get("url")
    if isinstance(link, str) and link.startswith(("https://", "http://")):
        button = {"type": "button", "text": {"type": "plain_text", "text": "Open in console"}, "url": link}
        blocks.append({"type": "actions", "elements": [button]})
    return {"text": _mrkdwn(text), "blocks": blocks}


def deliver_slack(
    config: Mapping[str, Any], alert: Mapping[str, Any], context: ChannelContext
) -> DeliveryResult:
    """POST the alert as Slack blocks to an incoming-webhook ``config["url"]``."""
    return deliver_webhook(
        str(config.get("url", "")),
        slack_body(with_link(alert, context)),
        secret=config.get("secret"),
        timeout_s=context.webhook_timeout_s,
        allowed_networks=context.allowed_networks,
        msg_id=alert.get("msg_id"),
    )


CHANNEL = ChannelKind(name="slack", summary="Slack incoming-webhook blocks", deliver=deliver_slack)
