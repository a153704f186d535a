"""Webhook and Slack delivery: one signed POST to a vetted address, classified into a result.

The URL goes through ``ssrf.vet_url``; the request is sent to the vetted IP with the original
``Host`` header (and, for https, the original name as SNI and certificate hostname), so DNS is
looked up exactly once. Redirects are never followed and proxies from the environment are
ignored. Outcomes, as Standard Webhooks describes them:

    2xx                          ok
    410 Gone                     disable the endpoint
    408, 429, 5xx, network/DNS   retryable (see ``RETRY_SCHEDULE_S``)
    3xx, other 4xx, unsafe URL   failed, not retryable
"""

from __future__ import annotations

import secrets
import ssl
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from governance.alerts import signing
from governance.ssrf import UnresolvableHost, UnsafeUrl, vet_url

RETRY_SCHEDULE_S: tuple[int, ...] = (5, 300, 1800, 7200, 18000, 36000)
USER_AGENT = "governance-alerts/1"
_RETRYABLE_4XX = frozenset({408, 429})
_SEVERITY_EMOJI = {"critical": ":red_circle:", "warning": ":warning:", "info": ":information_source:"}


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of one delivery attempt, on any channel."""

    ok: bool
    status: int | None
    retryable: bool
    disable: bool
    error: str | None
    elapsed_ms: float


def next_retry_delay(attempt: int) -> float | None:
    """Seconds to wait after failed attempt number ``attempt`` (1-based); ``None``: give up."""
    if attempt < 1:
        raise ValueError("attempt numbers start at 1")
    if attempt > len(RETRY_SCHEDULE_S):
        return None
    return float(RETRY_SCHEDULE_S[attempt - 1])


def classify(status: int) -> tuple[bool, bool, bool]:
    """``(ok, retryable, disable)`` for an HTTP status."""
    if 200 <= status < 300:
        return True, False, False
    if status == 410:
        return False, False, True
    return False, status in _RETRYABLE_4XX or 500 <= status < 600, False


def new_msg_id() -> str:
    """A fresh ``webhook-id`` (keep it across retries of the same message)."""
    return "msg_" + secrets.token_urlsafe(18)


def deliver_webhook(
    url: str,
    payload: Mapping[str, Any],
    *,
    secret: str | None,
    timeout_s: float = 15.0,
    allowed_networks: Sequence[str] = (),
    slack: bool = False,
    msg_id: str | None = None,
    verify: ssl.SSLContext | bool = True,
) -> DeliveryResult:
    """POST ``payload`` (or its Slack rendering) to ``url``, signed when ``secret`` is given.

    ``verify`` is httpx's TLS verification setting (an ``SSLContext`` for a private CA).
    """
    started = time.perf_counter()

    def result(
        ok: bool, status: int | None, retryable: bool, disable: bool, error: str | None
    ) -> DeliveryResult:
        elapsed = (time.perf_counter() - started) * 1000
        return DeliveryResult(ok, status, retryable, disable, error, round(elapsed, 3))

    try:
        target = vet_url(url, allowed_networks=allowed_networks)
    except UnsafeUrl as exc:
        return result(False, None, isinstance(exc, UnresolvableHost), False, str(exc))

    body = orjson.dumps(slack_body(payload) if slack else dict(payload))
    request_headers = {
        "Host": target.host_header,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }
    if secret:
        request_headers |= signing.headers(secret, msg_id or new_msg_id(), int(time.time()), body)
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}

    try:
        with httpx.Client(
            timeout=timeout_s, follow_redirects=False, trust_env=False, verify=verify
        ) as client:
            request = client.build_request(
                "POST", target.ip_url, content=body, headers=request_headers, extensions=extensions
            )
            response = client.send(request)
            response.close()
    except httpx.TimeoutException as exc:
        return result(False, None, True, False, f"timeout after {timeout_s:g} s ({type(exc).__name__})")
    except (httpx.HTTPError, OSError) as exc:
        return result(False, None, True, False, f"{type(exc).__name__}: {exc}")
    except (httpx.InvalidURL, ValueError) as exc:
        return result(False, None, False, False, f"{type(exc).__name__}: {exc}")

    status = response.status_code
    ok, retryable, disable = classify(status)
    if ok:
        return result(True, status, False, False, None)
    if response.is_redirect:
        location = response.headers.get("location", "?")
        return result(False, status, False, False, f"HTTP {status}: redirect to {location} not followed")
    return result(False, status, retryable, disable, f"HTTP {status}")


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
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": _mrkdwn(payload["summary"])[:3000]}}
        )
    fields = [
        {"type": "mrkdwn", "text": f"*{label}*\n{_mrkdwn(payload[key])[:1900]}"}
        for key, label in (
            ("event", "Event"),
            ("source", "Source"),
            ("severity", "Severity"),
            ("since", "Since"),
        )
        if payload.get(key) not in (None, "")
    ]
    if fields:
        blocks.append({"type": "section", "fields": fields})
    link = payload.get("url")
    if isinstance(link, str) and link.startswith(("https://", "http://")):
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "text": {"type": "plain_text", "text": "Open in console"}, "url": link}
                ],
            }
        )
    return {"text": _mrkdwn(text), "blocks": blocks}
