"""Standard Webhooks signing (https://www.standardwebhooks.com).

A secret is ``whsec_`` followed by base64 of random bytes. A message is signed as

    base64(HMAC-SHA256(secret_bytes, f"{msg_id}.{timestamp}.".encode() + body))

and sent with the headers ``webhook-id``, ``webhook-timestamp`` (integer seconds) and
``webhook-signature: v1,<signature>``. A receiver may see several space-separated signatures
(during secret rotation); one valid ``v1`` entry is enough.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE_S = 300


class InvalidSignature(ValueError):
    """The webhook headers or signature do not check out."""


def generate_secret(n_bytes: int = 32) -> str:
    """A fresh ``whsec_`` secret of ``n_bytes`` random bytes (24 to 64, as the spec asks)."""
    if not 24 <= n_bytes <= 64:
        raise ValueError("a Standard Webhooks secret holds 24 to 64 bytes")
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(n_bytes)).decode("ascii")


def new_msg_id() -> str:
    """A fresh ``webhook-id`` (keep it across retries of the same message, so receivers can dedupe)."""
    return "msg_" + secrets.token_urlsafe(18)


def secret_bytes(secret: str) -> bytes:
    """Decode a ``whsec_<base64>`` secret (the prefix is optional) to its key bytes."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("webhook secret is not base64 after the 'whsec_' prefix") from None
    if not key:
        raise ValueError("webhook secret is empty")
    return key


def _digest(key: bytes, msg_id: str, timestamp: int, body: bytes) -> bytes:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return hmac.new(key, signed, hashlib.sha256).digest()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``v1,<base64>`` signature of one message."""
    digest = _digest(secret_bytes(secret), msg_id, int(timestamp), body)
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


def headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for one message."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp)),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
    now: float | None = None,
) -> None:
    """Check a received message; raise ``InvalidSignature`` unless one ``v1`` signature matches."""
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        msg_id = lower["webhook-id"]
        raw_timestamp = lower["webhook-timestamp"]
        signatures = lower["webhook-signature"]
    except KeyError as missing:
        raise InvalidSignature(f"missing header {missing.args[0]}") from None
    try:
        timestamp = int(raw_timestamp)
    except ValueError:
        raise InvalidSignature("webhook-timestamp is not an integer") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_s:
        raise InvalidSignature("webhook-timestamp is outside the tolerance window")
    expected = _digest(secret_bytes(secret), msg_id, timestamp, body)
    for entry in signatures.split():
        version, _, encoded = entry.partition(",")
        if version != SIGNATURE_VERSION:
            continue
        try:
            candidate = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(candidate, expected):
            return
    raise InvalidSignature("no matching v1 signature")
