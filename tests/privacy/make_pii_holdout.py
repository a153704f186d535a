"""Write tests/privacy/pii_holdout.jsonl: a labelled hold-out corpus for the PII detector, built blind to it.

Each line is {"key", "value", "label", "family"}; label is email|phone|card|ip|iban, or null for a look-alike.
A family "name:XX" names the generator and, for phones and IBANs, the country. Run with phonenumbers and
python-stdnum installed: `python tests/privacy/make_pii_holdout.py`. The seed is fixed: the same file every run.

Where the formats come from:
- email: RFC 5322 dot-atom local parts the way real mailboxes use them (subaddressing "+tag", dots, digits,
  apostrophes), real consumer domains, company subdomains, ccSLDs (.co.uk, .com.br), newer gTLDs (.shop, .photography).
- phone: random numbers that libphonenumber (the phonenumbers package) accepts as valid for 34 countries, written as
  E.164, ITU international, national, RFC 3966 tel: URIs, "00" prefixes, "+44 (0)20" trunk notation, dots, dashes,
  extensions, bare digits and integers.
- card: ISO/IEC 7812 PANs with the issuers' IIN ranges and lengths (Visa 4; Mastercard 51-55 and 2221-2720; Amex 34/37;
  Discover 6011/644-649/65; JCB 3528-3589; Diners 300-305/36/38-39; UnionPay 62) and a Luhn check digit; the
  networks' published test PANs; the brands' usual groupings (4-4-4-4, Amex 4-6-5, Diners 4-6-4).
- ip: IPv4 public, RFC 1918, RFC 6598 CGNAT, link-local, loopback; IPv6 in RFC 5952 compressed, exploded, upper-case,
  zero-suppressed, bracketed with port, IPv4-mapped, ULA and fe80:: forms.
- iban: ISO 13616 BBAN structures from the SWIFT IBAN registry (as in stdnum/iban.dat), real bank codes for GB/NL/IE/RO,
  ISO 7064 mod-97 check digits; national check digits too for FR (RIB key) and IT (CIN), computed here, and for
  BE/ES/NO (checked by stdnum).
- look-alikes (label null): GS1 check digits (EAN/UPC/GTIN, USPS IMpb), ISBN-10/13, IMEI (Luhn), UPU S10 parcel ids,
  DHL mod-7, ABA routing checksums, EU VAT ids that stdnum accepts, ISINs, semver and Windows/Chrome/Android builds,
  and the ids, timestamps, amounts, postcodes, tokens and sentences that analytics events carry.
"""

import base64
import ipaddress
import json
import random
import re
import string
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import phonenumbers
from phonenumbers import PhoneNumberFormat as F
from phonenumbers import PhoneNumberType as T
from stdnum import ean, iban, isbn, isin, luhn
from stdnum.eu import vat
from stdnum.us import rtn

R = random.Random(20240517)
OUT = Path(__file__).with_name("pii_holdout.jsonl")
GENERIC = ["value", "note", "id", "label", "meta", "data", "text", "field_value", "input", "properties.value"]
SOFT_GENERIC = ["value", "note", "label", "meta", "data"]  # generic, but not "id": a bare PAN in "id" is ambiguous
TEXT_KEYS = ["note", "comment", "message", "customer_note", "delivery_instructions", "body", "description", "feedback"]
FIRST = ["maria", "wei", "aarav", "oluwaseun", "sofia", "liam", "yuki", "mohammed", "chloe", "mateo", "priya", "jose",
         "anna", "lukas", "fatima", "noah", "ines", "kenji", "thandiwe", "olga", "sean", "niamh", "dmitri", "camille",
         "joao", "aisha", "hiroshi", "zoe", "rahul", "emeka", "lucia"]
LAST = ["garcia", "chen", "sharma", "adeyemi", "rossi", "murphy", "tanaka", "alrashid", "martin", "lopez", "patel",
        "silva", "kowalski", "muller", "okafor", "dubois", "nguyen", "kim", "smith", "obrien", "van.dijk", "fernandes",
        "nakamura", "ivanova", "singh"]
DOMAINS = ["gmail.com", "yahoo.co.jp", "outlook.com", "hotmail.fr", "web.de", "gmx.de", "qq.com", "163.com",
           "icloud.com", "proton.me", "fastmail.fm", "yahoo.com.br", "rediffmail.com", "btinternet.com", "orange.fr",
           "mail.northwind.co.uk", "eu.sales.contoso.de", "corp.acme-industries.com", "student.unimelb.edu.au",
           "correo.gob.mx", "empresa.com.br", "tokyo-zakka.co.jp", "mit.edu", "alumni.ox.ac.uk", "city.nyc",
           "bakery.shop", "lightroom.photography", "kanzlei-mueller.law", "team.dev", "greenleaf.store",
           "brightpath.consulting", "ngo.international", "studio.design", "wanderlust.travel", "pixel.agency",
           "hausbau.berlin", "fintech.app", "my.site.online", "x.ai", "foodies.club", "e.xyz"]
TAGS = ["shop", "newsletter", "amazon", "2024", "orders", "eu-store", "promo.code", "ebay", "noreply", "receipts"]
WORDS = {"F": FIRST, "L": LAST, "D": DOMAINS, "T": TAGS}
POOLS = {"d": string.digits, "A": string.ascii_uppercase, "X": string.ascii_uppercase + string.digits,
         "h": "0123456789abcdef"}
TOKEN = re.compile(r"\{([dnAXh])(\d+)\}|\{(\d+)-(\d+)\}|\{([FLDT])\}")


def digits(n, first=string.digits):
    return R.choice(first) + "".join(R.choice(string.digits) for _ in range(n - 1))


def fill(template):
    """{d5} digits, {n5} digits not starting with 0, {A3} letters, {X6} letters+digits, {h32} hex,
    {1-28} an integer (zero-padded when written {01-28}), {F} {L} {D} {T} a first name, last name, domain, tag."""
    def one(m):
        kind, n, lo, hi, word = m.groups()
        if kind:
            return digits(int(n), "123456789") if kind == "n" else "".join(R.choice(POOLS[kind]) for _ in range(int(n)))
        if lo:
            return str(R.randint(int(lo), int(hi))).zfill(len(lo) if lo.startswith("0") else 0)
        return R.choice(WORDS[word])
    return TOKEN.sub(one, template)


def make(alternative):
    return alternative() if callable(alternative) else fill(alternative)


def chunks(s, sizes, sep=" "):
    out, i = [], 0
    for size in sizes:
        out.append(s[i : i + size])
        i += size
    return sep.join(p for p in [*out, s[i:]] if p)


def with_check(body, algo=luhn):
    return body + algo.calc_check_digit(body)


def form_of(forms):
    """forms: {name: (weight, value)} -> (name, value) picked by weight."""
    name = R.choices(list(forms), [w for w, _ in forms.values()])[0]
    return name, forms[name][1]


# ---------------------------------------------------------------- emails
EMAIL_KEYS = ["email", "user_email", "$email", "emailAddress", "contact_email", "billing_email", "traits.email",
              "recipient", "username", "login"]
LOCALS = ["{F}.{L}", "{F}.{L}", "{F}+{T}", "{F}+{T}", "{F}_{L}", "{F}-{L}.{1-99}", "{F}.{L}+{T}", "{L}.{F}.{1990-2008}",
          "{F}{L}{60-99}", "{n9}", "info", "orders", "billing", "o'brien", "d'angelo", "sean.o'connor",
          lambda: R.choice(FIRST)[0] + R.choice(LAST), lambda: R.choice(FIRST)[0]]
EMAIL_TEXT = ["please email me at {} thanks", "Ship to: Jane Doe, {}", "Contact: {} (after 5pm)", "mailto:{}",
              "{} <- use this for the invoice", "Maria Lopez <{}>", "reply to {}, not the old address",
              "changed my email to {}!!", "cc {} re order #100234", "Bitte Rechnung an {} senden", "merci: {}"]


def email():
    addr = f"{make(R.choice(LOCALS))}@{R.choice(DOMAINS)}"
    form, value = form_of({"plain": (20, addr), "uppercase": (1, addr.upper()), "titlecase": (1, addr.title()),
                           "in_text": (6, R.choice(EMAIL_TEXT).format(addr))})
    keys = TEXT_KEYS if form == "in_text" else R.choices([EMAIL_KEYS, GENERIC], [4, 1])[0]
    return f"email_{form}" + (":generic_key" if keys is GENERIC else ""), keys, value


# ---------------------------------------------------------------- phones
REGIONS = ["US", "CA", "GB", "DE", "FR", "IN", "BR", "JP", "AU", "MX", "ZA", "NG", "CN", "ES", "IT", "NL", "SE", "PL",
           "KR", "SG", "AE", "IE", "CH", "AR", "PH", "ID", "KE", "EG", "TR", "BE", "PT", "NZ", "SA", "CO"]
PHONE_KEYS = ["phone", "phone_number", "mobile", "tel", "phoneNumber", "contact_phone", "traits.phone", "msisdn",
              "shipping_phone", "whatsapp", "sms_number", "billing.phone"]
PHONE_TEXT = ["please call me at {}", "Call back on {} after 6pm", "WhatsApp: {}", "my number changed to {}",
              "reach me on {} (mobile)", "Tel. {} - ring twice", "driver, call {} at the gate", "llámame al {}",
              "Rückruf bitte unter {}", "sms {} when outside"]
STRONG = {"e164", "international", "00_prefix", "rfc3966", "dashes", "trunk_in_parens"}  # phones under any key


def phone():
    """Keep the leading third of a country's example number (area code / mobile prefix), randomise the rest."""
    region = R.choice(REGIONS)
    nsn = phonenumbers.national_significant_number(
        phonenumbers.example_number_for_type(region, R.choice([T.MOBILE, T.FIXED_LINE])))
    keep = max(2, len(nsn) // 3)
    while not phonenumbers.is_valid_number(n := phonenumbers.parse(nsn[:keep] + digits(len(nsn) - keep), region)):
        pass
    intl, nat, e164 = (phonenumbers.format_number(n, f) for f in (F.INTERNATIONAL, F.NATIONAL, F.E164))
    ext = R.choice([" ext. ", " x", " ext ", ";ext=", " Durchwahl "]) + digits(R.randint(2, 4))
    form, value = form_of({
        "e164": (5, e164), "international": (5, intl), "national": (4, nat),
        "rfc3966": (1, phonenumbers.format_number(n, F.RFC3966)), "00_prefix": (2, "00" + intl[1:]),
        "dashes": (2, intl.replace(" ", "-")), "dots": (2, re.sub(r"[ \-]|\) ", ".", nat.replace("(", ""))),
        "trunk_in_parens": (3 if region in {"GB", "DE", "CH", "NL", "AU", "IE", "BE"} else 0,
                            intl.replace(" ", " (0)", 1)),  # "+44 (0)20 ...", common where the trunk prefix is 0
        "with_extension": (2, R.choice([nat, intl]) + ext),
        "in_text": (2, R.choice(PHONE_TEXT).format(R.choice([intl, nat, e164]))),
        "digits_only": (1, R.choice([e164[1:], re.sub(r"\D", "", nat)])), "integer": (1, int(e164[1:]))})
    keys = TEXT_KEYS if form == "in_text" else PHONE_KEYS + GENERIC if form in STRONG else PHONE_KEYS
    return f"phone_{form}:{region}", keys, value


# ---------------------------------------------------------------- cards
BRANDS = {  # name: (weight, IIN ranges, lengths, grouping)
    "visa": (30, [(4, 4)], [16, 16, 16, 19], (4, 4, 4, 4)),
    "mastercard": (18, [(51, 55)], [16], (4, 4, 4, 4)),
    "mastercard_2series": (8, [(2221, 2720)], [16], (4, 4, 4, 4)),
    "amex": (12, [(34, 34), (37, 37)], [15], (4, 6, 5)),
    "discover": (8, [(6011, 6011), (644, 649), (65, 65)], [16, 19], (4, 4, 4, 4)),
    "jcb": (6, [(3528, 3589)], [16], (4, 4, 4, 4)),
    "diners": (5, [(300, 305), (36, 36), (38, 39)], [14], (4, 6, 4)),
    "unionpay": (7, [(62, 62)], [16, 17, 18, 19], (4, 4, 4, 4)),
}
CARD_KEYS = ["card_number", "cc", "pan", "card", "payment_card", "cardNumber", "cc_number", "payment.card_number"]
CARD_TEXT = ["Card: {} exp 12/27", "pay with {} please", "my card is {} cvv on the back", "use card {} for the refund"]
TEST_PANS = ["4242424242424242", "4111111111111111", "5555555555554444", "2223003122003222", "378282246310005",
             "6011111111111117", "3566002020360505", "30569309025904", "6200000000000005", "4000056655665556"]


def card_number(brand):
    _, ranges, lengths, _ = BRANDS[brand]
    body = str(R.randint(*R.choice(ranges)))
    return with_check(body + digits(R.choice(lengths) - len(body) - 1))


def card_value(pan, brand):
    groups = BRANDS[brand][3] if len(pan) <= 16 else (4, 4, 4, 4)
    return R.choices([pan, chunks(pan, groups), chunks(pan, groups, "-"), chunks(pan, groups, ".")], [5, 4, 2, 1])[0]


def card():
    brand = R.choices(list(BRANDS), [b[0] for b in BRANDS.values()])[0]
    pan = card_number(brand)
    form, value = form_of({"plain": (33, card_value(pan, brand)), "in_text": (3, R.choice(CARD_TEXT).format(
        card_value(pan, brand))), "integer": (1, int(pan)), "network_test_pan": (1, R.choice(TEST_PANS))})
    keys = {"in_text": TEXT_KEYS, "plain": CARD_KEYS + SOFT_GENERIC}.get(form, CARD_KEYS)
    return f"card_{form}" + ("" if form == "network_test_pan" else f":{brand}"), keys, value


# ---------------------------------------------------------------- IPs
IP_KEYS = ["ip", "ip_address", "context.ip", "client_ip", "remote_addr", "ipAddress", "source_ip", "last_login_ip"]
V4 = {"public": "{P}.{0-255}.{0-255}.{1-254}", "rfc1918_10": "10.{0-255}.{0-255}.{1-254}",
      "rfc1918_172": "172.{16-31}.{0-255}.{1-254}", "rfc1918_192": "192.168.{0-255}.{1-254}",
      "cgnat": "100.{64-127}.{0-255}.{1-254}", "link_local": "169.254.{1-254}.{1-254}", "loopback": "127.0.0.{1-9}"}
PUBLIC_FIRST_OCTETS = ["1", "3", "5", "8", "23", "31", "45", "62", "81", "89", "103", "151", "185", "203", "212"]
V6_PREFIXES = ["2001:4860", "2a00:1450", "2600:1f18", "2a03:2880", "2001:db8", "2400:cb00", "2804:14c", "2a02:810",
               "2406:da00", "2607:f8b0", "fe80:0", "fd12:3456", "2001:0"]


def ipv4(kind):
    return fill(V4[kind].replace("{P}", R.choice(PUBLIC_FIRST_OCTETS)))


def ip():
    if R.random() < 0.53:
        kind = R.choices(list(V4), [24, 4, 4, 4, 4, 4, 1])[0]
        a = ipv4(kind)
        form, value = form_of({"plain": (8, a), "with_port": (1, f"{a}:{R.randint(1024, 65535)}"),
                               "xff_list": (1, f"{a}, {ipv4('rfc1918_10')}"),
                               "in_text": (1, f"login from {a} (new device)")})
        family = f"ipv4_{form}:{kind}"
    else:
        groups = R.choice(V6_PREFIXES).split(":") + [f"{R.getrandbits(16):x}" for _ in range(6)]
        for i in R.sample(range(2, 8), R.randint(0, 4)) + ([2, 3] if groups[0] == "fe80" else []):
            groups[i] = "0"
        a = ipaddress.IPv6Address(":".join(groups))
        form, value = form_of({
            "compressed": (6, a.compressed), "exploded": (2, a.exploded), "uppercase": (1, a.compressed.upper()),
            "zero_suppressed": (1, ":".join(f"{int(g, 16):x}" for g in a.exploded.split(":"))),
            "bracket_port": (1, f"[{a.compressed}]:{R.choice([443, 8443, 51234])}"),
            "v4_mapped": (1, f"::ffff:{ipv4('public')}"),
            "in_text": (1, f"request came from {a.compressed} via proxy")})
        family = f"ipv6_{form}"
    return family, TEXT_KEYS if form == "in_text" else IP_KEYS + SOFT_GENERIC, value


# ---------------------------------------------------------------- IBANs
BBAN = {"DE": "{1-8}{d7}{d10}", "GB": "{B}{d6}{d8}", "FR": "{d5}{d5}{d11}", "ES": "{d4}{d4}{d2}{d10}", "NL": "{B}{d10}",
        "IT": "{d5}{d5}{d12}", "BE": "{d3}{d7}{d2}", "AT": "{d5}{d11}", "CH": "{d5}{d12}", "PL": "{d8}{d16}",
        "IE": "{B}{d6}{d8}", "PT": "{d4}{d4}{d11}{d2}", "SE": "{d3}{d16}{d1}", "DK": "{d4}{d9}{d1}",
        "NO": "{d4}{d6}{d1}", "FI": "{d3}{d11}", "LU": "{d3}{d13}", "GR": "{d3}{d4}{d16}", "CZ": "{d4}{d6}{d10}",
        "RO": "{B}{X4}{d12}", "SA": "{d2}{d18}", "AE": "{d3}{d16}", "TR": "{d5}0{d16}", "HU": "{d3}{d4}{d1}{d15}{d1}"}
BANKS = {"GB": ["NWBK", "BARC", "LOYD", "HBUK", "MIDL", "MONZ"], "NL": ["ABNA", "INGB", "RABO", "TRIO", "KNAB"],
         "IE": ["AIBK", "BOFI"], "RO": ["RNCB", "BTRL", "BRDE"]}
IBAN_KEYS = ["iban", "bank_account", "payout_iban", "IBAN", "sepa_iban", "refund_account", "account_number"]
CIN_ODD = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23]


def iban_number():
    cc = R.choice(list(BBAN))
    while True:
        b = fill(BBAN[cc].replace("{B}", R.choice(BANKS.get(cc, [""]))))
        if cc == "FR":  # RIB key: 97 - (89 * bank + 15 * branch + 3 * account) mod 97
            b += f"{97 - (89 * int(b[:5]) + 15 * int(b[5:10]) + 3 * int(b[10:21])) % 97:02d}"
        if cc == "IT":  # CIN: odd positions through CIN_ODD, even positions as is, sum mod 26 as a letter
            b = chr(65 + sum(CIN_ODD[int(c)] if i % 2 == 0 else int(c) for i, c in enumerate(b)) % 26) + b
        number = cc + iban.calc_check_digits(cc + "00" + b) + b
        if iban.is_valid(number):  # also runs stdnum's national checks (BE, ES, NO)
            return number


def iban_pii():
    n = iban_number()
    form, value = form_of({"compact": (5, n), "grouped": (5, iban.format(n)), "lowercase": (1, iban.format(n).lower()),
                           "prefixed": (1, f"IBAN: {iban.format(n)}"),
                           "in_text": (1, f"please refund to {iban.format(n)} (holder M. Rossi)")})
    return f"iban_{form}:{n[:2]}", TEXT_KEYS if form == "in_text" else IBAN_KEYS + SOFT_GENERIC, value


# ---------------------------------------------------------------- look-alikes (label null)
def ts():
    return R.randint(1_546_300_800, 1_767_225_599)  # 2019-01-01 .. 2025-12-31


def iso_ts():
    d = datetime.fromtimestamp(ts(), UTC).astimezone(timezone(timedelta(minutes=R.choice([0, 60, 120, 330, -300]))))
    return R.choice([d.isoformat(), d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{R.randint(0, 999):03d}Z",
                     d.strftime("%Y-%m-%d %H:%M:%S"), d.strftime("%a, %d %b %Y %H:%M:%S %z")])


def s10():  # UPU S10: 2 letters, 8 digits, mod-11 check digit with weights 8 6 4 2 3 5 9 7, country
    body = digits(8)
    c = 11 - sum(w * int(x) for w, x in zip([8, 6, 4, 2, 3, 5, 9, 7], body, strict=True)) % 11
    return R.choice(["RR", "LX", "CP", "EA", "RB"]) + body + {10: "0", 11: "5"}.get(c, str(c)) + R.choice(["DE", "CN"])


def usps():  # IMpb: 22 digits, GS1 mod-10 check, printed in groups of four
    body = R.choice(["9400", "9205", "9270", "9303"]) + digits(17)
    return chunks(with_check(body, ean), (4,) * 5, R.choice([" ", ""]))


def dhl(body):  # DHL Express waybill: 10 digits, the last is the first nine mod 7
    return body + str(int(body) % 7)


def vat_id():
    cc, body = R.choice([("DE", "{d9}"), ("FR", "{d11}"), ("NL", "{d9}B01"), ("BE", "0{d9}"), ("AT", "U{d8}"),
                         ("IT", "{d11}"), ("PL", "{d10}"), ("ES", "{A1}{d7}{A1}")])
    while not vat.is_valid(v := cc + fill(body)):
        pass
    return v


def jwt():
    def enc(o):
        raw = o if isinstance(o, bytes) else json.dumps(o, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    claims = {"sub": str(uuid.UUID(int=R.getrandbits(128))), "iat": ts()}
    return f"{enc({'alg': 'HS256', 'typ': 'JWT'})}.{enc(claims)}.{enc(R.randbytes(32))}"


def luhn_fail_card():  # not UnionPay: some real UnionPay PANs do not use the Luhn check at all
    brand = R.choice([b for b in BRANDS if b != "unionpay"])
    pan = card_number(brand)
    return card_value(pan[:-1] + str((int(pan[-1]) + R.randint(1, 9)) % 10), brand)


def not_luhn_16():
    while luhn.is_valid(s := digits(16)):
        pass
    return chunks(s, (4, 4, 4, 4), R.choice([" ", "", "-"]))


def bad_iban():
    n = iban_number()
    wrong = R.choice([c for c in range(2, 99) if c != int(n[2:4])])  # any other pair fails mod 97
    return R.choice([str.upper, iban.format])(f"{n[:2]}{wrong:02d}{n[4:]}")


def isbn_value():
    n = with_check("978" + digits(9), ean)
    return R.choice([isbn.format(n), n, isbn.to_isbn10(n), isbn.format(isbn.to_isbn10(n))])


VER = ["app_version", "os_version", "build", "version", "appVersion", "sdk_version", "firmware_version",
       "context.app.version", "context.os.version", "client_version", "build_number", "library.version"]
LOOKALIKES = [  # family, keys, count, alternatives: fill() templates or callables, or (keys, alternative) pairs
    ("order_number", ["order_id", "order_number", "orderId", "checkout_id"], 150,
     ["#{1001-999999}", "ORD-{2019-2026}-{d6}", "{n3}-{d7}-{d7}", "R{d9}", "{n12}",
      lambda: int(digits(10, "123456789"))]),
    ("invoice_number", ["invoice_number", "invoice_id", "receipt_number", "reference"], 80,
     ["INV-{2019-2026}-{d5}", "F{2019-2026}/{d4}", "{2019-2026}-{d6}", "INV/{19-26}/{01-12}/{d4}"]),
    ("sku", ["sku", "product_id", "item_id"], 80,
     ["TSH-BLK-XL-{d3}", "SKU{d6}", "WM-{d4}-{d2}", "{n9}", "{A3}-{d4}-{A2}"]),
    ("shopify_variant_id", ["variant_id", "product_id", "id"], 60, [lambda: int("4" + digits(13))]),
    ("asin", ["asin", "product_id"], 40, ["B0{X8}"]),
    ("gtin_ean_upc", ["gtin", "ean", "upc", "barcode", "gtin13"], 100,
     [lambda: with_check(R.choice([digits(11), digits(12, "456789"), digits(7), "0" + digits(12)]), ean)]),
    ("isbn", ["isbn", "isbn13", "book_id", "product_id"], 60, [isbn_value]),
    ("iso_timestamp", ["timestamp", "sent_at", "created_at", "originalTimestamp", "value"], 100, [iso_ts]),
    ("epoch_seconds", ["timestamp", "ts", "sent_at", "created_at", "last_seen", "exp"], 70, [ts, lambda: str(ts())]),
    ("epoch_millis", ["timestamp", "ts", "event_time", "receivedAt"], 70,
     [lambda: ts() * 1000 + R.randint(0, 999), lambda: f"{ts()}{R.randint(0, 999):03d}"]),
    ("date", ["date", "delivery_date", "ship_date", "value", "label"], 80,
     ["{2019-2026}-{01-12}-{01-28}", "{01-28}/{01-12}/{2019-2026}", "{01-12}/{01-28}/{2019-2026}",
      "{01-28}.{01-12}.{2019-2026}", "{2019-2026}{01-12}{01-28}", "{1-28}-{1-12}-{2019-2026}"]),
    ("version_semver", [*VER, "value"], 80,
     ["{0-20}.{0-40}.{0-30}", "{0-9}.{0-20}.{0-9}-beta.{1-5}", "{1-5}.{0-9}.{0-9}-rc.1",
      "{0-9}.{0-9}.{0-99}+build.{1-999}"]),
    ("version_dotted_quad", VER, 120,  # every part <= 255: only the key says it is a version, not an IPv4 address
     ["{0-12}.{0-12}.{0-255}.{0-255}", "{0-255}.{0-255}.{0-255}.{0-255}", "{1-9}.{0-9}.{0-9}.{0-9}",
      "10.0.{0-9}.{1-255}"]),
    ("version_windows_chrome_android", VER, 60,
     ["10.0.{19041-26100}.{1-5000}", "{110-126}.0.{5000-6500}.{1-200}", "{A2}{1-4}A.{23-24}{01-12}{01-28}.{d3}",
      "{14-17}.{0-7}"]),
    ("price_amount", ["price", "amount", "total", "revenue", "value", "subtotal", "tax", "discount"], 120,
     ["${1-9},{d3}.{d2}", "${1-999}.{d2}", "{1-9}.{d3},{d2} €", "{1-999},{d2} €", "£{1-999}.{d2}", "¥{1-99},{d3}",
      "R$ {1-9}.{d3},{d2}", "₹{1-9},{d2},{d3}.00", "CHF {1-9}'{d3}.50", "{1-999}.{d2}", "-{1-99}.{d2}",
      "USD {1-999}.00", "{1-9} {d3},{d2} zł", "kr {1-999},{d2}", lambda: R.randint(100, 999999),
      lambda: f"{R.uniform(1, 999):.2f}"]),
    ("quantity", ["quantity", "qty", "count", "items", "value"], 50,
     [lambda: R.randint(1, 50), "x{1-9}", "{1-24} pcs", "{1-9}.5 kg", "{1-9}00 ml", "{1-12} x {1-6}"]),
    ("postcode", ["zip", "postal_code", "postcode", "shipping_zip", "billing_postal_code"], 120,
     ["{d5}", "{d5}-{d4}", "M{1-9}V {1-9}L{1-9}", "SW{1-20}A {1-9}AA", "EC{1-4}A {1-9}BB", "{n4} {A2}", "{d3}-{d4}",
      "{d5}-{d3}", "{n6}", "{2000-7999}", "{d2}-{d3}", "{1000-9999}-{d3}", lambda: int(digits(5, "123456789"))]),
    ("tracking_number", ["tracking_number", "tracking", "awb", "shipment_id"], 150,
     ["1Z{X6}{d10}", "7{d11}", "2{d11}", "9{d14}", "JJD{d18}", s10, usps, lambda: dhl(digits(9, "1234"))]),
    ("uuid", ["anonymous_id", "anonymousId", "messageId", "session_id", "request_id", "id"], 100,
     [lambda: str(uuid.UUID(int=R.getrandbits(128), version=4))]),
    ("hex_hash", ["checksum", "hash", "sha256", "etag", "commit", "fingerprint", "id"], 80,
     ["{h32}", "{h40}", "{h64}", "{h7}", "sha256:{h64}", 'W/"{h32}"']),
    ("jwt_like", ["token", "id_token", "session_token", "authorization"], 40, [jwt, lambda: "Bearer " + jwt()]),
    ("coordinates", ["location", "coords", "latlng", "geo"], 70,
     ["{0-70}.{d6},-{0-179}.{d6}", (["lat", "lng"], "-{0-45}.{d4}"), "{0-70}.{d4}° N, {0-179}.{d4}° W",
      "+{10-70}.{d4}-{100-179}.{d4}/"]),
    ("dimensions", ["screen", "resolution", "dimensions", "size", "viewport"], 50,
     ["1920x1080", "{320-2560}x{568-1600}", "{10-99} x {10-99} x {5-40} cm", "{4-30}in x {4-30}in",
      "{1-9}.{d1} x {1-9}.{d1} m"]),
    ("percentage", ["discount", "progress", "conversion_rate", "battery", "scroll_depth", "change"], 50,
     ["{0-99}.{d1}%", "-{1-50}%", "+{0-20}.{d1}%", "100%", "+{1-99},{d3}"]),
    ("digit_groups_not_phone", ["range", "label", "value", "bucket"], 110,
     ["10-20-30-40", "{1-99}-{100-999}", "{9-12}:00-{13-18}:30", "1-2-3-4-5", "{2019-2026}-{01-12}-{01-28}",
      (["score", "result"], "{0-9}-{0-9}"), (["seat", "seats"], "Row {1-40} Seat {1-30}"),
      (["numbers", "picks"], lambda: " ".join(f"{x:02d}" for x in sorted(R.sample(range(1, 50), 6))))]),
    ("serial_or_license_key", ["serial_number", "license_key", "product_key"], 40,
     ["SN {d4}-{d4}-{d4}", "{X5}-{X5}-{X5}-{X5}-{X5}"]),
    ("imei_luhn_valid", ["imei", "device_id", "hardware_id", "device.serial", "id"], 100,
     [lambda: with_check(R.choice(["35", "86", "01", "99", "49"]) + digits(12))]),
    ("loyalty_16_not_luhn", ["loyalty_number", "gift_card", "member_id", "rewards_id", "voucher"], 80, [not_luhn_16]),
    ("luhn_valid_non_issuer_prefix", ["loyalty_number", "member_id", "gift_card", "account_ref"], 50,  # MII 1/8/9
     [lambda: chunks(with_check(R.choice("189") + digits(R.choice([14, 17]))), (4, 4, 4, 4), R.choice([" ", ""]))]),
    ("card_like_fails_luhn", ["card_number", "cc", "value", "test_card", "pan"], 110,
     [luhn_fail_card] * 8 + ["4111 1111 1111 1112", "1234 5678 9012 3456"]),
    ("card_masked", ["card_masked", "payment_method", "card"], 50,
     ["**** **** **** {d4}", lambda: card_number("visa")[:6] + "******" + digits(4), "XXXX-XXXX-XXXX-{d4}",
      "Visa ending in {d4}", (["card_last4", "last4"], "{d4}")]),
    ("snowflake_id", ["user_id", "message_id", "discord_id", "tweet_id"], 40, ["1{d18}"]),
    ("bank_codes", ["sort_code"], 80,
     ["{d2}-{d2}-{d2}", (["routing_number", "aba"], lambda: with_check(R.choice("012") + digits(7), rtn)),
      (["blz", "bank_code"], "{1-8}{d7}"), (["bsb"], "{d3}-{d3}"), (["ifsc"], "HDFC0{d6}"),
      (["bic", "swift"], lambda: R.choice(["DEUTDEFFXXX", "BNPAFRPP", "NWBKGB2L", "COBADEFFXXX", "INGBNL2A"]))]),
    ("vat_id", ["vat_id", "vat_number", "tax_id", "company_vat"], 70, [vat_id]),
    ("isin", ["isin", "security_id", "instrument"], 30,
     [lambda: with_check(fill(R.choice(["US{n9}", "GB00{d7}", "DE000{A1}{d5}", "FR00{d8}"])), isin)]),
    ("iban_bad_checksum", ["iban", "value", "bank_account"], 40, [bad_iban]),
    ("email_like_not_email", ["handle", "mention", "value", "label"], 70,
     ["@{F}_{L}", "@{D}", "@here", "{F}@", (["package", "dependency"], "lodash@4.17.{1-21}"),
      (["package", "dependency"], "@babel/core@7.{1-24}.0"), (["image"], "nginx@sha256:{h64}"),
      (["asset", "image"], "icon@{2-3}x.png"), (["url", "page_url"], "https://www.{D}/cart?ref={d6}")]),
    ("ipv6_like_not_ip", ["value", "label"], 70,
     [(["mac", "device_mac", "bssid"], "{h2}:{h2}:{h2}:{h2}:{h2}:{h2}"),
      (["time", "local_time"], "{00-23}:{00-59}:{00-59}"),
      (["class", "error_class"], "App::Models::User"), (["type"], "std::vector<int>"), (["aspect_ratio"], "16:9"),
      "{h4}:{h4}", "dead:beef::cafe::1"]),
    ("ipv4_like_not_ip", ["value", "label"], 40,
     [(["oid"], "1.3.6.1.4.1.{1-60000}"), (["section", "clause"], "{1-9}.{1-9}.{1-9}.{1-9}.{1-9}"), "192.168.{0-255}",
      (["event_date", "date"], "{01-28}.{01-12}.{2019-2026}")]),
    ("text_no_pii", TEXT_KEYS, 110,
     ["Order #{1001-99999} arrives {2024-2026}-{01-12}-{01-28} between 9-12", "gate code {d4}, leave at door",
      "size 42, qty {1-5}, total €{10-300},90", "v{1-9}.{0-9}.{0-9} crashed on launch, build {d5}",
      "tracking 1Z{X6}{d10} not updating", "please deliver after {1-9}pm, apt {1-40}B", "I rate this {1-5}/5",
      "ref {n3}-{d7}-{d7} was charged twice"]),
]


def main():
    rows = []
    for label, count, gen in [("email", 450, email), ("phone", 600, phone), ("card", 380, card), ("ip", 320, ip),
                              ("iban", 250, iban_pii)]:
        for _ in range(count):
            family, keys, value = gen()
            rows.append((R.choice(keys), value, label, family))
    for family, keys, count, alternatives in LOOKALIKES:
        for _ in range(count):
            alt = R.choice(alternatives)
            ks, alt = alt if isinstance(alt, tuple) else (keys, alt)
            rows.append((R.choice(ks), make(alt), None, family))
    seen, lines = set(), []
    for key, value, label, family in rows:
        if (key, json.dumps(value)) not in seen:
            seen.add((key, json.dumps(value)))
            lines.append(json.dumps({"key": key, "value": value, "label": label, "family": family}, ensure_ascii=False))
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} rows to {OUT}")


if __name__ == "__main__":
    main()
