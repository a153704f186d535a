"""Standard Webhooks signing: the spec's test vector, round trips and every way to fail."""

from __future__ import annotations

import base64
import re
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.alerts import signing
from governance.alerts.signing import InvalidSignature, generate_secret, headers, sign, verify

# https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TS = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_spec_test_vector_signs() -> None:
    assert sign(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY) == SPEC_SIGNATURE
    assert headers(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY) == {
        "webhook-id": SPEC_ID,
        "webhook-timestamp": str(SPEC_TS),
        "webhook-signature": SPEC_SIGNATURE,
    }


def test_spec_test_vector_verifies() -> None:
    received = {"webhook-id": SPEC_ID, "webhook-timestamp": str(SPEC_TS), "webhook-signature": SPEC_SIGNATURE}
    verify(SPEC_SECRET, received, SPEC_BODY, now=SPEC_TS + 10)


def test_header_names_are_case_insensitive() -> None:
    received = {"Webhook-Id": SPEC_ID, "WEBHOOK-TIMESTAMP": str(SPEC_TS), "Webhook-Signature": SPEC_SIGNATURE}
    verify(SPEC_SECRET, received, SPEC_BODY, now=SPEC_TS)


@given(msg_id=st.text(min_size=1, max_size=40), body=st.binary(max_size=2000), ts=st.integers(0, 2**40))
def test_round_trip(msg_id: str, body: bytes, ts: int) -> None:
    secret = generate_secret()
    verify(secret, headers(secret, msg_id, ts, body), body, now=ts)


def test_tampered_body_fails() -> None:
    secret = generate_secret()
    hdrs = headers(secret, "msg_1", 1_700_000_000, b'{"a":1}')
    with pytest.raises(InvalidSignature, match="no matching"):
        verify(secret, hdrs, b'{"a":2}', now=1_700_000_000)


def test_tampered_id_or_timestamp_fails() -> None:
    secret = generate_secret()
    hdrs = headers(secret, "msg_1", 1_700_000_000, b"{}")
    with pytest.raises(InvalidSignature):
        verify(secret, {**hdrs, "webhook-id": "msg_2"}, b"{}", now=1_700_000_000)
    with pytest.raises(InvalidSignature):
        verify(secret, {**hdrs, "webhook-timestamp": "1700000001"}, b"{}", now=1_700_000_000)


def test_wrong_secret_fails() -> None:
    hdrs = headers(generate_secret(), "msg_1", 1_700_000_000, b"{}")
    with pytest.raises(InvalidSignature):
        verify(generate_secret(), hdrs, b"{}", now=1_700_000_000)


@pytest.mark.parametrize("skew", [301, -301, 86_400])
def test_stale_or_future_timestamp_fails(skew: int) -> None:
    secret = generate_secret()
    hdrs = headers(secret, "msg_1", 1_700_000_000, b"{}")
    with pytest.raises(InvalidSignature, match="tolerance"):
        verify(secret, hdrs, b"{}", now=1_700_000_000 + skew)
    verify(secret, hdrs, b"{}", now=1_700_000_000 + skew, tolerance_s=abs(skew))


def test_one_valid_signature_among_several_is_enough() -> None:
    secret, old = generate_secret(), generate_secret()
    hdrs = headers(secret, "msg_1", 1_700_000_000, b"{}")
    stale = sign(old, "msg_1", 1_700_000_000, b"{}")
    good = hdrs["webhook-signature"]
    hdrs["webhook-signature"] = f"v2,{good[3:]} v1,not-base64!! {stale} {good}"
    verify(secret, hdrs, b"{}", now=1_700_000_000)
    hdrs["webhook-signature"] = f"v2,{good[3:]} {stale}"
    with pytest.raises(InvalidSignature):
        verify(secret, hdrs, b"{}", now=1_700_000_000)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_header_fails(missing: str) -> None:
    secret = generate_secret()
    hdrs = headers(secret, "msg_1", 1_700_000_000, b"{}")
    del hdrs[missing]
    with pytest.raises(InvalidSignature, match=missing):
        verify(secret, hdrs, b"{}", now=1_700_000_000)


def test_non_integer_timestamp_fails() -> None:
    secret = generate_secret()
    hdrs = {**headers(secret, "msg_1", 1_700_000_000, b"{}"), "webhook-timestamp": "1700000000.0"}
    with pytest.raises(InvalidSignature, match="integer"):
        verify(secret, hdrs, b"{}", now=1_700_000_000)


def test_generated_secrets() -> None:
    secret = generate_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert generate_secret() != secret
    assert len(signing.secret_bytes(generate_secret(64))) == 64
    with pytest.raises(ValueError):
        generate_secret(8)


@pytest.mark.parametrize("bad", ["whsec_", "whsec_***", "whsec_abc"])
def test_malformed_secret_is_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="secret"):
        sign(bad, "msg_1", 1, b"{}")


def test_receiver_sample_in_the_docs_verifies_our_signatures() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "alerts" / "channels.md").read_text()
    match = re.search(r"```python\n(.*?)```", doc, re.S)
    assert match is not None
    code = match.group(1).split("class Receiver")[0]  # the function, without starting a server
    secret = generate_secret()
    namespace: dict[str, Any] = {}
    exec(code.replace('SECRET = "whsec_..."', f'SECRET = "{secret}"'), namespace)
    body = b'{"type":"alert.firing"}'
    sent = headers(secret, "msg_doc", int(time.time()), body)
    assert namespace["verified"](sent, body) is True
    assert namespace["verified"](sent, body + b" ") is False
