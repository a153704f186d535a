"""Slack: an alert rendered as an incoming-webhook body (``text`` fallback plus Block Kit blocks)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
    fields = [
        {"type": "mrkdwn", "text": f"*{label}*\n{_mrkdwn(payload[key])[:1900]}"}
        for key, label in (("event", "Event"), ("source", "Source"), ("severity", "Severity"), ("since", "Since"))
        if payload.get(key) not in (None, "")
    ]
    if fields:
        blocks.append({"type": "section", "fields": fields})
    link = payload.get("url")
    if isinstance(link, str) and link.startswith(("https://", "http://")):
        button = {"type": "button", "text": {"type": "plain_text", "text": "Open in console"}, "url": link}
        blocks.append({"type": "actions", "elements": [button]})
    return {"text": _mrkdwn(text), "blocks": blocks}
