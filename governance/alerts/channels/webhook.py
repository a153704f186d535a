"""Webhook delivery: one signed POST to a vetted address, classified into a ``DeliveryResult``.

The URL goes through ``ssrf.vet_url``; the request is sent to the vetted IP with the original
``Host`` header (and, for https, the original name as SNI and certificate hostname), so DNS is
looked up exactly once. Redirects are never followed and proxies from the environment are
ignored. Outcomes, as Standard Webhooks describes them:

    2xx                          ok
    410 Gone                     disable the endpoint
    408, 429, 5xx, network/DNS   retryable (see ``alerts.retry``)
    3xx, other 4xx, unsafe URL   failed, not retryable
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from governance.alerts import signing
from governance.alerts.channels.base import ChannelContext, ChannelKind, with_link
from governance.alerts.channels.result import DeliveryResult, refused
from governance.ssrf import UnresolvableHost, UnsafeUrl, vet_url

USER_AGENT = "governance-alerts/1"
_RETRYABLE_4XX = frozenset({408, 429})


def classify(status: int) -> DeliveryResult:
    """What a receiver's HTTP status means."""
    if 200 <= status < 300:
        return DeliveryResult(ok=True, status=status)
    if status == 410:
        return DeliveryResult(ok=False, status=status, disable=True, error=f"HTTP {status}")
    retryable = status in _RETRYABLE_4XX or 500 <= status < 600
    return DeliveryResult(ok=False, status=status, retryable=retryable, error=f"HTTP {status}")


def deliver_webhook(
    url: str,
    payload: Mapping[str, Any],
    *,
    secret: str | None,
    timeout_s: float = 15.0,
    allowed_networks: Sequence[str] = (),
    msg_id: str | None = None,
    verify: ssl.SSLContext | bool = True,
) -> DeliveryResult:
    """POST ``payload`` as JSON to ``url``, signed when ``secret`` is given.

    ``verify`` is httpx's TLS verification setting (an ``SSLContext`` for a private CA).
    """
    started = time.perf_counter()
    result = _attempt(url, payload, secret=secret, timeout_s=timeout_s, allowed_networks=allowed_networks,
                      msg_id=msg_id, verify=verify)
    return replace(result, elapsed_ms=round((time.perf_counter() - started) * 1000, 3))


def _attempt(url: str, payload: Mapping[str, Any], *, secret: str | None, timeout_s: float,
             allowed_networks: Sequence[str], msg_id: str | None,
             verify: ssl.SSLContext | bool) -> DeliveryResult:
    try:
        target = vet_url(url, allowed_networks=allowed_networks)
    except UnsafeUrl as exc:
        return DeliveryResult(ok=False, retryable=isinstance(exc, UnresolvableHost), error=str(exc))
    body = orjson.dumps(dict(payload))
    request_headers = {"Host": target.host_header, "Content-Type": "application/json", "User-Agent": USER_AGENT}
    if secret:
        request_headers |= signing.headers(secret, msg_id or signing.new_msg_id(), int(time.time()), body)
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    try:
        with httpx.Client(timeout=timeout_s, follow_redirects=False, trust_env=False, verify=verify) as client:
            request = client.build_request("POST", target.ip_url, content=body, headers=request_headers,
                                           extensions=extensions)
            response = client.send(request)
            response.close()
    except httpx.TimeoutException as exc:
        return DeliveryResult(ok=False, retryable=True, error=f"timeout after {timeout_s:g} s ({type(exc).__name__})")
    except (httpx.HTTPError, OSError) as exc:
        return DeliveryResult(ok=False, retryable=True, error=f"{type(exc).__name__}: {exc}")
    except (httpx.InvalidURL, ValueError) as exc:
        return DeliveryResult(ok=False, error=f"{type(exc).__name__}: {exc}")
    status = response.status_code
    if response.is_redirect and not 200 <= status < 300:
        location = response.headers.get("location", "?")
        return DeliveryResult(ok=False, status=status, error=f"HTTP {status}: redirect to {location} not followed")
    return classify(status)


def deliver_webhook_channel(
    config: Mapping[str, Any], alert: Mapping[str, Any], context: ChannelContext
) -> DeliveryResult:
    """POST ``{"type", "timestamp", "data"}`` to ``config["url"]``, signed with ``config["secret"]``.

    ``type`` is ``alert.<status>``, or the payload's ``event_type`` (``regulation.created``)."""
    if not config.get("secret"):
        return refused("webhook channel has no signing secret")
    status = str(alert.get("status") or "firing")
    data = with_link(alert, context)
    event_type = alert.get("event_type")  # another event than an alert (``regulation.created``)
    if event_type:
        data = {k: v for k, v in data.items() if k not in ("event_type", "status", "msg_id")}
    payload = {
        "type": str(event_type or f"alert.{status}"),
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "data": data,
    }
    return deliver_webhook(
        str(config.get("url", "")),
        payload,
        secret=config.get("secret"),
        timeout_s=context.webhook_timeout_s,
        allowed_networks=context.allowed_networks,
        msg_id=alert.get("msg_id"),
    )


CHANNEL = ChannelKind(name="webhook", summary="signed JSON (Standard Webhooks)", deliver=deliver_webhook_channel)
