"""Generate ``pii_corpus.jsonl``: labelled PII and look-alike values, as real payloads carry them.

``python -m tests.privacy.make_pii_corpus`` rewrites the corpus (deterministic: seed 20261201).
Each line is ``{"key": property name, "value": ..., "label": "email"|"phone"|"card"|"ip"|"iban"|null,
"family": what generated it}``. The PII side takes real formats where they exist: libphonenumber's
example mobile numbers for every region (E.164, international and national formats), the card
numbers payment processors publish for testing, and IBAN examples of the SEPA countries with
generated account numbers and real check digits. The look-alikes are what an event's properties
hold every day: order ids, SKUs, EAN/UPC barcodes, ISBNs, timestamps (ISO and epoch), version
strings, prices, tracking numbers, hashes, coordinates.
"""

from __future__ import annotations

import json
import random
import string
import uuid
from pathlib import Path

import phonenumbers
from stdnum import ean, luhn

from governance.proxy.pii import example_numbers

OUT = Path(__file__).with_name("pii_corpus.jsonl")
rng = random.Random(20261201)
FIRST = ["anna", "jean-luc", "mohammed", "li", "o'brien", "sofia", "kwame", "yuki", "lars", "priya", "diego"]
LAST = ["smith", "müller", "nguyen", "garcia", "kowalski", "okafor", "tanaka", "rossi", "dubois", "patel"]
DOMAINS = ["gmail.com", "yahoo.co.uk", "mail.example.org", "acme-corp.io", "hotmail.fr", "uni.edu.au", "web.de"]
PUBLISHED_CARDS = ["4242424242424242", "4000056655665556", "5555555555554444", "2223003122003222",
                   "5200828282828210", "378282246310005", "371449635398431", "6011111111111117",
                   "6011000990139424", "3056930009020004", "36227206271667", "3566002020360505",
                   "6200000000000005", "4111111111111111", "5105105105105100", "4012888888881881"]
IBAN_FORMATS = {"DE": "8n10n", "GB": "4a14n", "FR": "10n11c2n", "NL": "4a10n", "ES": "20n", "IT": "1a10n12c",
                "BE": "12n", "AT": "16n", "CH": "5n12c", "PL": "24n", "SE": "20n", "IE": "4a14n", "PT": "21n"}


def _email() -> str:
    local = rng.choice(FIRST).replace("'", "") + rng.choice([".", "_", "", "+news."]) + rng.choice(LAST)
    local = local.encode("ascii", "ignore").decode() or "user"
    if rng.random() < 0.2:
        local = local.upper()
    address = f"{local}{rng.randint(0, 99) if rng.random() < 0.4 else ''}@{rng.choice(DOMAINS)}"
    return rng.choice([address, address, f"Contact {address} please", f"<{address}>"])


def _luhn_number(prefix: str, length: int) -> str:
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    return body + luhn.calc_check_digit(body)


def _card() -> str:
    if rng.random() < 0.3:
        number = rng.choice(PUBLISHED_CARDS)
    else:
        prefix, length = rng.choice([("4", 16), ("4", 13), ("51", 16), ("55", 16), ("2221", 16), ("34", 15),
                                     ("37", 15), ("6011", 16), ("65", 16), ("3528", 16), ("62", 19), ("36", 14)])
        number = _luhn_number(prefix, length)
    style = rng.random()
    if style < 0.3:
        return " ".join(number[i:i + 4] for i in range(0, len(number), 4))
    if style < 0.45:
        return "-".join(number[i:i + 4] for i in range(0, len(number), 4))
    return number


def _iban() -> str:
    country, spec = rng.choice(list(IBAN_FORMATS.items()))
    bban = ""
    for count, kind in __import__("re").findall(r"(\d+)([nac])", spec):
        alphabet = {"n": string.digits, "a": string.ascii_uppercase, "c": string.ascii_uppercase + string.digits}[kind]
        bban += "".join(rng.choice(alphabet) for _ in range(int(count)))
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    check = 98 - int(numeric) % 97
    value = f"{country}{check:02d}{bban}"
    return " ".join(value[i:i + 4] for i in range(0, len(value), 4)) if rng.random() < 0.4 else value


def _ip() -> str:
    if rng.random() < 0.7:
        first = rng.choice([rng.randint(1, 223), 10, 172, 192])
        return ".".join(str(x) for x in (first, rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254)))
    groups = [f"{rng.randint(0, 65535):x}" for _ in range(8)]
    if rng.random() < 0.5:
        return "2001:db8::" + ":".join(groups[:3])
    return ":".join(groups)


def _phones() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for e164 in example_numbers():
        number = phonenumbers.parse(e164)
        out.append((rng.choice(["value", "contact", "phone", "note"]), e164))
        intl = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        out.append((rng.choice(["phone", "mobile", "contact_number", "value"]), intl))
        region = phonenumbers.region_code_for_number(number)
        if region in {"US", "GB", "DE", "FR", "IN", "BR"}:
            national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
            out.append((rng.choice(["phone", "mobile", "tel"]), national))
            out.append(("phone_number", "".join(c for c in national if c.isdigit())))
    return out


def _pii() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for _ in range(500):
        rows.append({"key": rng.choice(["email", "contact", "value", "note", "user_email", "recipient"]),
                     "value": _email(), "label": "email", "family": "email"})
    for key, value in _phones():
        rows.append({"key": key, "value": value, "label": "phone", "family": "phone"})
    for _ in range(400):
        rows.append({"key": rng.choice(["card", "cc", "payment", "value", "card_number", "pan"]), "value": _card(),
                     "label": "card", "family": "card"})
    for _ in range(300):
        rows.append({"key": rng.choice(["ip", "client_ip", "ip_address", "remote_addr", "value", "origin"]),
                     "value": _ip(), "label": "ip", "family": "ip"})
    for _ in range(300):
        rows.append({"key": rng.choice(["iban", "account", "bank_account", "value", "payout_to"]),
                     "value": _iban(), "label": "iban", "family": "iban"})
    return rows


def _token(n: int) -> str:
    return "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(n))


def _ean13() -> str:
    body = "".join(rng.choice(string.digits) for _ in range(12))
    return body + ean.calc_check_digit(body)


def _lookalikes() -> list[dict[str, object]]:
    gen = {
        "order_id": lambda: rng.choice([f"ORD-{rng.randint(2019, 2026)}-{rng.randint(1, 999999):06d}",
                                        str(uuid.UUID(int=rng.getrandbits(128))), f"#{rng.randint(1001, 99999)}",
                                        str(rng.randint(10**7, 10**12)), f"{rng.randint(10**15, 10**16 - 1)}",
                                        _token(10)]),
        "sku": lambda: rng.choice([f"SKU-{rng.randint(1, 99999)}-{rng.choice(['BLK', 'WHT', 'RED'])}-"
                                   f"{rng.choice(['S', 'M', 'XL'])}", "B0" + _token(8), _ean13(), _ean13()[1:]]),
        "isbn": lambda: "978" + (lambda b: b + ean.calc_check_digit("978" + b))(
            "".join(rng.choice(string.digits) for _ in range(9))),
        "timestamp": lambda: rng.choice([f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T"
                                         f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
                                         f".{rng.randint(0, 999):03d}Z", str(rng.randint(1_600_000_000,
                                         1_800_000_000)), str(rng.randint(1_600_000_000_000, 1_800_000_000_000)),
                                         f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} 10:00:00+02:00"]),
        "app_version": lambda: rng.choice([f"{rng.randint(1, 12)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}",
                                           f"{rng.randint(1, 12)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}."
                                           f"{rng.randint(0, 9999)}", f"v{rng.randint(1, 3)}.{rng.randint(0, 20)}.0-"
                                           f"beta.{rng.randint(1, 9)}", f"{rng.randint(100, 9999)}"]),
        "price": lambda: rng.choice([f"{rng.randint(1, 999)}.{rng.randint(0, 99):02d}",
                                     f"${rng.randint(1, 9)},{rng.randint(100, 999)}.00",
                                     f"EUR {rng.randint(1, 500)},{rng.randint(0, 99):02d}",
                                     rng.randint(100, 10_000_000)]),
        "tracking_number": lambda: rng.choice(["1Z" + _token(16), str(rng.randint(10**19, 10**20)),
                                               f"LX{rng.randint(10**8, 10**9 - 1)}DE"]),
        "checksum": lambda: f"{rng.getrandbits(160):040x}",
        "location": lambda: f"{rng.uniform(-90, 90):.4f},{rng.uniform(-180, 180):.4f}",
        "zip": lambda: rng.choice([f"{rng.randint(10000, 99999)}",
                                   f"{rng.randint(10000, 99999)}-{rng.randint(1000, 9999)}", "SW1A 1AA", "75008"]),
        "screen": lambda: f"{rng.choice([1280, 1920, 2560, 390])}x{rng.choice([720, 1080, 1440, 844])}",
        "duration": lambda: f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}",
        "session_id": lambda: f"{rng.randint(1, 10**9)}.{rng.randint(10**9, 10**10)}",
        "coupon": lambda: rng.choice(["SUMMER-2026", "WELCOME10", "BF-" + str(rng.randint(100000, 999999))]),
    }
    keys_for = {"order_id": ["order_id", "orderId", "id", "value"], "sku": ["sku", "product_id", "gtin", "value"],
                "isbn": ["isbn", "product_id"], "timestamp": ["timestamp", "created_at", "value", "ts"],
                "app_version": ["app_version", "version", "build"], "price": ["price", "total", "value", "revenue"],
                "tracking_number": ["tracking_number", "shipment", "value"], "checksum": ["sha", "hash", "etag"],
                "location": ["location", "coords"], "zip": ["zip", "postal_code"], "screen": ["resolution"],
                "duration": ["duration", "elapsed"], "session_id": ["session_id", "sid"],
                "coupon": ["coupon", "promo"]}
    rows: list[dict[str, object]] = []
    for family, make in gen.items():
        for _ in range(350 if family in {"order_id", "sku", "timestamp", "app_version", "price"} else 120):
            rows.append({"key": rng.choice(keys_for[family]), "value": make(), "label": None, "family": family})
    return rows


def main() -> None:
    rows = _pii() + _lookalikes()
    rng.shuffle(rows)
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    print(f"wrote {len(rows)} values to {OUT}")


if __name__ == "__main__":
    main()
