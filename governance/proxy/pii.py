"""PII where the plan does not expect it: emails, phone numbers, payment cards, IP addresses, IBANs.

Only values the plan did not declare are scanned (an unplanned property or trait, or every
property of an unplanned event), so a clean planned event pays nothing. Each detector confirms
what a pattern suggests with a checksum or a parser from a well-kept library: payment cards by
the Luhn check and an issuer prefix (``stdnum.luhn``), IBANs by ISO 7064 mod 97 (``stdnum.iban``),
phone numbers by Google's libphonenumber metadata (``phonenumbers``), IP addresses by
``ipaddress``. A property's *name* is context, as in data-loss-prevention tools: ``phone`` or
``mobile`` lets a bare run of digits count as a phone number, and ``version`` or ``build`` keeps a
``4.2.0.1`` from counting as an IP address.

Each value's verdict is cached (``CACHED_VALUES`` per process: values repeat across events), and
libphonenumber keeps its compiled patterns, so the cost on the hot path is mostly that of values
never seen before. ``governance bench pii`` measures recall and false positives on two labelled
corpora (``tests/privacy/pii_corpus.jsonl``, tuned on; ``pii_holdout.jsonl``, written apart) and
the cost per scanned value and per event.
"""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from functools import lru_cache
from typing import Any

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum import luhn

# libphonenumber compiles each region's patterns on demand through ``re``, whose cache (512 entries)
# the tries across regions overflow: keep every compiled pattern instead (~1,200 of them, < 1 MB),
# which makes a phone check ~3x cheaper
getattr(phonenumbers, "enable_pattern_cache", lambda: None)()
CACHED_VALUES = 16_384  # (value, hints) -> kind, per process


class PiiKind(StrEnum):
    email = "email"
    phone = "phone"
    card = "card"
    ip = "ip"
    iban = "iban"


class PiiAction(StrEnum):
    """What a source does with a value found to be PII (``settings.privacy.piiAction``)."""

    allow = "allow"  # kept as is everywhere; the pii_detected violation is still reported
    hash = "hash"  # salted SHA-256, as the hash transformation (transformation_actions.pseudonym)
    mask = "mask"  # letters and digits replaced with "*" but a few (transformation_actions.mask_value)
    drop = "drop"  # the value is removed


LABELS = {PiiKind.email: "an email address", PiiKind.phone: "a phone number", PiiKind.card: "a payment card number",
          PiiKind.ip: "an IP address", PiiKind.iban: "an IBAN"}


EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@(?:[A-Za-z0-9-]+\.)+([A-Za-z]{2,63})\b")
FILE_SUFFIXES = frozenset({"png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "js", "css", "map", "json", "html"})
CARD_CANDIDATE = re.compile(r"(?<![\d.-])(?:\d[ .-]?){12,18}\d(?![\d-]|\.\d)")
IBAN_START = re.compile(r"[A-Za-z]{2}\d{2}")
IBAN_CANDIDATE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d]|\.\d)")
IPV6 = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%\w+)?(?![\w:])")
PHONE_CHARS = re.compile(r"(?:\+|00)?[\d\s().-]{6,22}")
PHONE_IN_TEXT = re.compile(r"(?:\+|\b0)[\d\s().-]{7,22}\d")
EXTENSION = re.compile(r"\s*(?:ext\.?|extension|x|#)\s*\d{1,6}$", re.IGNORECASE)
PHONE_KEYS = ("phone", "mobile", "tel", "cell", "fax", "whatsapp", "sms", "msisdn")
# a version, a build or a firmware number is never an address or a phone number
NOT_ADDRESS_KEYS = ("version", "build", "release", "firmware", "ver", "sdk")
# where a national number is tried (an international one names its own country)
PHONE_REGIONS = ("US", "GB", "DE", "FR", "IN", "BR", "ES", "IT", "NL", "BE", "CH", "SE", "PL", "PT", "IE", "AU",
                 "NZ", "CA", "MX", "AR", "CO", "ZA", "NG", "KE", "EG", "AE", "SA", "TR", "JP", "KR", "CN", "SG",
                 "PH", "ID")
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
    digits = re.sub(r"[ .-]", "", candidate)
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


def _has_ip(text: str) -> bool:
    if text.count(".") >= 3:
        for match in IPV4.finditer(text):
            try:
                ipaddress.IPv4Address(match.group())
            except ValueError:
                continue
            return True
    if text.count(":") >= 2:
        for match in IPV6.finditer(text):
            try:
                ipaddress.IPv6Address(match.group())
            except ValueError:
                continue
            return True
    return False


_NO_DIGITS = str.maketrans("", "", "0123456789")


def _digits(text: str) -> int:
    return len(text) - len(text.translate(_NO_DIGITS))


def _groups(text: str) -> list[int]:
    return [len(g) for g in re.findall(r"\d+", text)]


@lru_cache(maxsize=1)
def _national_groupings() -> dict[tuple[int, ...], tuple[str, ...]]:
    """How each country writes its own numbers: the digit groups of libphonenumber's national format
    of every example number of every type, mapped to the regions that write them so. Built once,
    on first use (~0.1 s); a value grouped in a way no country writes is not a phone number."""
    found: dict[tuple[int, ...], set[str]] = {}
    for region in phonenumbers.SUPPORTED_REGIONS:
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE,
                     phonenumbers.PhoneNumberType.TOLL_FREE, phonenumbers.PhoneNumberType.VOIP):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                national = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
                found.setdefault(tuple(_groups(national)), set()).add(region)
    preferred = {r: i for i, r in enumerate(PHONE_REGIONS)}
    return {g: tuple(sorted(rs, key=lambda r: (preferred.get(r, 999), r))) for g, rs in found.items()}


def _regions_writing(number: str) -> tuple[str, ...]:
    return _national_groupings().get(tuple(_groups(number)), ())


def _valid(number: str, region: str | None, *, grouped_as_written: bool) -> bool:
    """Whether ``number`` is a valid number of ``region`` (None: it carries its country code), and,
    when asked, written with that country's own grouping (how ``(415) 555-2671`` differs from an
    invoice number ``2024-354512`` that happens to be a valid number somewhere)."""
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return False
    if not phonenumbers.is_valid_number(parsed):
        return False
    if not grouped_as_written:
        return True
    style = phonenumbers.PhoneNumberFormat.INTERNATIONAL if region is None else phonenumbers.PhoneNumberFormat.NATIONAL
    return _groups(phonenumbers.format_number(parsed, style)) == _groups(number)


def _is_phone(text: str, hinted: bool, not_address: bool) -> bool:
    value = EXTENSION.sub("", text.strip().removeprefix("tel:"))
    if not PHONE_CHARS.fullmatch(value):
        return _phone_in_text(text) if len(text) > 12 and any(c.isalpha() for c in text) else False
    if not 7 <= _digits(value) <= 15 or (not hinted and not_address):
        return False
    if value.startswith("00") and (hinted or len(_groups(value)) > 1):
        value = "+" + value[2:]
    if value.startswith("+"):  # international: valid in the country it names is evidence enough
        return _valid(value, None, grouped_as_written=False)
    if hinted:  # its name says phone: any country's valid number, those written this way first
        regions = _regions_writing(value) + PHONE_REGIONS if len(_groups(value)) > 1 else PHONE_REGIONS
        return any(_valid(value, region, grouped_as_written=False) for region in regions)
    if len(_groups(value)) < 2:
        return False  # a bare run of digits is an id, a count or a timestamp unless its name says phone
    return any(_valid(value, region, grouped_as_written=True) for region in _regions_writing(value))


def _phone_in_text(text: str) -> bool:
    """A phone number inside free text ("call me at +27 10 167 7505"), as written in its country."""
    for match in PHONE_IN_TEXT.finditer(text):
        candidate = match.group().strip(" .-(")
        if not 7 <= _digits(candidate) <= 15:
            continue
        if candidate.startswith("+"):
            if _valid(candidate, None, grouped_as_written=False):
                return True
        elif any(_valid(candidate, region, grouped_as_written=True) for region in _regions_writing(candidate)):
            return True
    return False


DIGIT = re.compile(r"\d")


@lru_cache(maxsize=4096)
def _hints(key: str) -> tuple[bool, bool]:
    """(says phone, says version) of a property name (names repeat: cached)."""
    key = key.lower()
    return any(word in key for word in PHONE_KEYS), any(word in key for word in NOT_ADDRESS_KEYS)


def detect(value: Any, key: str = "") -> PiiKind | None:
    """The kind of PII ``value`` holds (under a property named ``key``), or None."""
    cls = value.__class__
    if cls is str:
        text = value
    elif cls is int:
        text = str(value)
    else:  # bool, float, None, containers: never PII by themselves
        return None
    if len(text) < 6 or len(text) > 2000:
        return None
    if "@" not in text and DIGIT.search(text) is None:  # every detector but email needs digits
        return None
    phone_hint, not_address = _hints(key)
    return _detect(text, phone_hint, not_address)


@lru_cache(maxsize=CACHED_VALUES)
def _detect(text: str, phone_hint: bool, not_address: bool) -> PiiKind | None:
    """``detect`` of a text whose property name says phone (``phone_hint``) or version (``not_address``).

    Cached: the same values come again and again (an email in every event of a session, the same
    coupon code), and a phone number's check costs tens of microseconds."""
    if "@" in text:
        for match in EMAIL.finditer(text):
            if match.group(1).lower() not in FILE_SUFFIXES:
                return PiiKind.email
    digits = _digits(text)
    if digits >= 13 and _has_card(text):
        return PiiKind.card
    if digits >= 2 and len(text) >= 15 and IBAN_START.search(text) and _has_iban(text):
        return PiiKind.iban
    if not not_address and _has_ip(text):
        return PiiKind.ip
    if digits >= 7 and _is_phone(text, phone_hint, not_address):
        return PiiKind.phone
    return None


MAX_DEPTH = 16  # nesting scanned below a property
MAX_ITEMS = 100  # array items scanned per array


def scan(node: Any, path: list[str], key: str = "") -> list[tuple[list[str], PiiKind]]:
    """Every PII value under ``node`` (a property's value, under the property named ``key``), with its
    path, in document order. Iterative, and a leaf's path is built only when it is PII."""
    found: list[tuple[list[str], PiiKind]] = []
    stack: list[tuple[Any, tuple[str, ...], str, int]] = [(node, tuple(path), key, 0)]
    while stack:
        value, where, name, level = stack.pop()
        cls = value.__class__
        if cls is dict:
            if level < MAX_DEPTH:
                stack.extend((v, (*where, str(k)), str(k), level + 1) for k, v in reversed(value.items()))
        elif cls is list:
            if level < MAX_DEPTH:
                items = value[:MAX_ITEMS]
                stack.extend((items[i], (*where, str(i)), name, level + 1) for i in range(len(items) - 1, -1, -1))
        elif cls is str or cls is int:
            kind = detect(value, name)
            if kind is not None:
                found.append((list(where), kind))
    return found


def example_numbers() -> list[str]:
    """libphonenumber's example mobile numbers in E.164 for every region (real formats, for tests)."""
    out = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        if number is not None:
            out.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return out
