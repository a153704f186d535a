"""PII where the plan does not expect it: emails, phone numbers, payment cards, IP addresses, IBANs.

Only values the plan did not declare are scanned (an unplanned property or trait, or every
property of an unplanned event), so a clean planned event pays nothing. Each detector confirms
what a pattern suggests with a checksum or a parser from a well-kept library: payment cards by
the Luhn check and an issuer prefix (``stdnum.luhn``), IBANs by ISO 7064 mod 97 (``stdnum.iban``),
phone numbers by Google's libphonenumber metadata (``phonenumbers``), IP addresses by
``ipaddress``. A property's *name* is context, as in data-loss-prevention tools: ``phone`` or
``mobile`` lets a bare run of digits count as a phone number, and ``version`` or ``build`` keeps a
``4.2.0.1`` from counting as an IP address.

``governance bench pii`` measures recall and false positives on ``tests/privacy/pii_corpus.jsonl``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from collections.abc import Iterator
from enum import StrEnum
from typing import Any

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum import luhn


class PiiKind(StrEnum):
    email = "email"
    phone = "phone"
    card = "card"
    ip = "ip"
    iban = "iban"


class PiiAction(StrEnum):
    """What a source does with a value found to be PII (``settings.privacy.piiAction``)."""

    allow = "allow"  # forwarded as is; the violation is still counted
    hash = "hash"  # HMAC-SHA256 with the deployment's key
    mask = "mask"  # all but a few characters replaced with "*"
    drop = "drop"  # the property is removed


EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,63}")
CARD_CANDIDATE = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
IBAN_CANDIDATE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
PHONE_KEYS = ("phone", "mobile", "tel", "cell", "fax", "whatsapp", "sms", "msisdn")
NOT_IP_KEYS = ("version", "build", "release", "ver", "sdk")
PHONE_REGIONS = ("US", "GB", "DE", "FR", "IN", "BR")
# payment-card issuer prefixes (ISO/IEC 7812 IINs) and the lengths each network issues
CARD_NETWORKS: tuple[tuple[re.Pattern[str], frozenset[int]], ...] = (
    (re.compile(r"4"), frozenset({13, 16, 19})),  # Visa
    (re.compile(r"5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720)"), frozenset({16})),  # Mastercard
    (re.compile(r"3[47]"), frozenset({15})),  # American Express
    (re.compile(r"6(?:011|5|4[4-9])|622"), frozenset({16, 19})),  # Discover, UnionPay co-branded
    (re.compile(r"62"), frozenset({16, 17, 18, 19})),  # UnionPay
    (re.compile(r"35(?:2[89]|[3-8]\d)"), frozenset({16, 19})),  # JCB
    (re.compile(r"3(?:0[0-5]|[689])"), frozenset({14, 16, 19})),  # Diners Club
)


def _is_card(candidate: str) -> bool:
    digits = re.sub(r"[ -]", "", candidate)
    if not luhn.is_valid(digits):
        return False
    return any(prefix.match(digits) and len(digits) in lengths for prefix, lengths in CARD_NETWORKS)


def _has_card(text: str) -> bool:
    return any(_is_card(m.group()) for m in CARD_CANDIDATE.finditer(text))


def _has_iban(text: str) -> bool:
    for match in IBAN_CANDIDATE.finditer(text.upper()):
        try:  # mod 97 and the country's length; a national check digit typo'd is still someone's account
            stdnum_iban.validate(match.group(), check_country=False)
        except ValueError:
            continue
        return True
    return False


def _is_ip(text: str, key: str) -> bool:
    if any(word in key for word in NOT_IP_KEYS):
        return False
    value = text.strip()
    if not (value.count(".") == 3 or ":" in value) or len(value) > 45:
        return False
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    return not (address.is_unspecified or address.is_loopback)


PHONE_CHARS = re.compile(r"(?:\+|00)?[\d\s().-]{6,22}")
IBAN_START = re.compile(r"[A-Za-z]{2}\d{2}")


def _digits(text: str) -> int:
    return sum(1 for c in text if "0" <= c <= "9")


def _is_phone(text: str, key: str) -> bool:
    stripped = text.strip()
    if not PHONE_CHARS.fullmatch(stripped):
        return False  # letters, commas, colons: an id, a coordinate or a time, not a phone number
    n = _digits(stripped)
    if not 7 <= n <= 15:
        return False
    hinted = any(word in key for word in PHONE_KEYS)
    groups = re.findall(r"\d+", stripped)
    if stripped.startswith("+") or (stripped.startswith("00") and (hinted or len(groups) > 1)):
        regions: tuple[str | None, ...] = (None,)  # international: the country code says where
        stripped = "+" + stripped[2:] if stripped.startswith("00") else stripped
    elif hinted:
        regions = PHONE_REGIONS
    elif n >= 10 and len(groups) > 1 and min(len(g) for g in groups) >= 2:
        regions = PHONE_REGIONS  # a national number written as one: (415) 555-2671, 030 1234 5678
    else:
        return False  # a bare run of digits, a zip+4 or a version is not a phone unless its name says so
    for region in regions:
        try:
            number = phonenumbers.parse(stripped, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return True
    return False


def detect(value: Any, key: str = "") -> PiiKind | None:
    """The kind of PII ``value`` holds (under a property named ``key``), or None."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value)
    if len(text) < 6 or len(text) > 2000:
        return None
    key = key.lower()
    if "@" in text and EMAIL.search(text):
        return PiiKind.email
    digits = _digits(text)
    if digits >= 13 and _has_card(text):
        return PiiKind.card
    if digits >= 2 and len(text) >= 15 and IBAN_START.search(text) and _has_iban(text):
        return PiiKind.iban
    if _is_ip(text, key):
        return PiiKind.ip
    if _is_phone(text, key):
        return PiiKind.phone
    return None


def scan(node: Any, path: list[str], key: str = "", *, depth: int = 0) -> Iterator[tuple[list[str], PiiKind]]:
    """Every PII value under ``node`` (a property's value), with its path."""
    if depth > 16:
        return
    if isinstance(node, dict):
        for k, v in node.items():
            yield from scan(v, [*path, str(k)], str(k), depth=depth + 1)
    elif isinstance(node, list):
        for i, v in enumerate(node[:100]):
            yield from scan(v, [*path, str(i)], key, depth=depth + 1)
    else:
        kind = detect(node, key)
        if kind is not None:
            yield path, kind


def redact(value: Any, kind: PiiKind, action: PiiAction, key: bytes) -> Any:
    """The value a ``hash`` or ``mask`` action leaves in place of ``value``."""
    text = str(value)
    if action is PiiAction.hash:
        return "hmac-sha256:" + hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()
    if kind is PiiKind.email:
        local, _, domain = text.rpartition("@")
        return (local[:1] + "***@" + domain) if local else "***"
    keep = 4 if kind in {PiiKind.card, PiiKind.iban, PiiKind.phone} else 0
    chars = [c for c in text if c.isalnum()]
    tail = "".join(chars[-keep:]) if keep else ""
    return "*" * max(len(chars) - len(tail), 3) + tail


def example_numbers() -> list[str]:
    """libphonenumber's example mobile numbers in E.164 for every region (real formats, for tests)."""
    out = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        if number is not None:
            out.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return out
