"""One delivery to a source's upstream: the address vetted, one POST, the outcome classified.

The URL goes through ``ssrf.vet_upstream`` before every delivery (link-local and cloud-metadata
addresses refused, in every IPv6 form that embeds one; ``upstream_allowed_networks`` /
``upstream_denied_networks`` adjust it) and the request goes to the vetted IP with the original
``Host`` header (and SNI for https), so a DNS answer that changes between the check and the
connection cannot swap the destination. Proxies from the environment are ignored for the same
reason. Redirects are not followed. The requests go over kept-alive ``http.client`` connections
(``upstream_http``: a fraction of httpx's CPU per request).

An upstream's response body is never kept: ``Delivery.error`` is our own short text (the status,
or the kind of network failure), since the dead letter's ``reason`` is shown to viewers and an
internal service's error page is not theirs to read. The full exception goes to the worker's log.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

from governance.proxy.upstream_http import NetworkError, Pool
from governance.settings import Settings
from governance.ssrf import UnresolvableHost, UnsafeUrl, vet_upstream

log = logging.getLogger("governance.forwarder")
DRAIN_BYTES = 64 * 1024  # read this much of a response (so the connection can be reused), never more


@dataclass
class Delivery:
    ok: bool
    status: int | None
    error: str | None
    retry_after: float | None = None
    terminal: bool = False  # never worth another try (the address is refused)


def retryable(status: int | None) -> bool:
    """Network errors (None), 408, 429 and 5xx except 501 and 505 are worth another try."""
    return status is None or status in (408, 429) or (500 <= status < 600 and status not in (501, 505))


def retry_after_s(value: str | None, now: datetime) -> float | None:
    if not value:
        return None
    if value.strip().isascii() and value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds()) if when.tzinfo else None


def batch_url(upstream: str) -> str:
    upstream = upstream.rstrip("/")
    return upstream if upstream.endswith("/v1/batch") else upstream + "/v1/batch"


def new_client(settings: Settings) -> Pool:
    return Pool(settings.upstream_timeout_s)


def post(client: Pool, url: str, body: bytes, headers: dict[str, str], *, settings: Settings,
         now: datetime) -> Delivery:
    """POST ``body`` to the upstream ``url`` (its ``/v1/batch``) at its vetted address."""
    try:
        target = vet_upstream(batch_url(url), allowed_networks=settings.upstream_allowed_networks,
                              denied_networks=settings.upstream_denied_networks)
    except UnresolvableHost as exc:
        log.warning("upstream %s: %s", url, exc.reason)
        return Delivery(False, None, "upstream host does not resolve")
    except UnsafeUrl as exc:
        return Delivery(False, None, f"upstream address refused: {exc.reason}", terminal=True)
    deadline = time.monotonic() + settings.upstream_timeout_s
    try:
        status, retry_after = client.post(target, body, headers, deadline=deadline, limit=DRAIN_BYTES)
    except TimeoutError as exc:
        log.warning("upstream %s: %s: %s", url, type(exc).__name__, exc)
        return Delivery(False, None, f"upstream timed out after {settings.upstream_timeout_s:g} s")
    except NetworkError as exc:
        log.warning("upstream %s: %s: %s", url, type(exc).__name__, exc)
        return Delivery(False, None, f"network error ({type(exc).__name__})")
    if 200 <= status < 300:
        return Delivery(True, status, None)
    verdict = "retried" if retryable(status) else "not retried"
    return Delivery(False, status, f"upstream answered HTTP {status} ({verdict})", retry_after_s(retry_after, now))


def url_refusal(url: str, settings: Settings) -> str | None:
    """Why an upstream URL is refused when a source is saved, or None. A host that does not resolve
    from here is accepted (it may later; each delivery checks again), a refused address is not."""
    try:
        vet_upstream(batch_url(url), allowed_networks=settings.upstream_allowed_networks,
                     denied_networks=settings.upstream_denied_networks)
    except UnresolvableHost:
        return None
    except UnsafeUrl as exc:
        return exc.reason
    return None
