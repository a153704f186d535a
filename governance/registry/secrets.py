"""Random secrets (API tokens, write keys) and their stored form: SHA-256, never the secret."""

from __future__ import annotations

import hashlib
import secrets


def new_secret(prefix: str) -> str:
    """A 256-bit random secret with a readable prefix, e.g. ``gov_…`` or ``wk_…``."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def display_prefix(secret: str) -> str:
    """The first characters, safe to show so people can tell keys apart."""
    return secret[:10]


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"
