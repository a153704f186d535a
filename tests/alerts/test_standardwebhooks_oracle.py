"""The official ``standardwebhooks`` package (PyPI) as the oracle for our signing, both ways.

Our signature must verify with it, its signature with ours, and a real delivery to a receiver on
127.0.0.1 must verify with it exactly as the bytes arrived.
"""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from governance.alerts.channels import CHANNEL_KINDS, ChannelContext
from governance.alerts.signing import InvalidSignature, generate_secret, headers, verify

from .conftest import Receiver

ids = st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=" ,"), min_size=1, max_size=40)
values = st.one_of(st.integers(-(2**53), 2**53), st.text(max_size=30), st.booleans(), st.none())
bodies = st.dictionaries(st.text(max_size=10), values, max_size=5).map(orjson.dumps)
keys = st.binary(min_size=24, max_size=64).map(lambda raw: "whsec_" + base64.b64encode(raw).decode())


@settings(max_examples=50, deadline=None, derandomize=True, database=None)  # the same examples every run
@given(keys, ids, bodies)
def test_our_signature_verifies_with_the_official_package(secret: str, msg_id: str, body: bytes) -> None:
    sent = headers(secret, msg_id, int(time.time()), body)
    assert Webhook(secret).verify(body, sent) == orjson.loads(body)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", sent)
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(body, sent)


@settings(max_examples=50, deadline=None, derandomize=True, database=None)  # the same examples every run
@given(keys, ids, bodies)
def test_the_official_signature_verifies_with_ours(secret: str, msg_id: str, body: bytes) -> None:
    now = int(time.time())
    signature = Webhook(secret).sign(msg_id, datetime.fromtimestamp(now, UTC), body.decode())
    received = {"webhook-id": msg_id, "webhook-timestamp": str(now), "webhook-signature": signature}
    verify(secret, received, body)
    assert received["webhook-signature"] == headers(secret, msg_id, now, body)["webhook-signature"]
    with pytest.raises(InvalidSignature):
        verify(secret, {**received, "webhook-id": msg_id + "x"}, body)


def test_a_delivered_alert_verifies_with_the_official_package(receiver: Receiver) -> None:
    secret = generate_secret()
    context = ChannelContext(allowed_networks=("127.0.0.0/8",), console_url="https://gov.example.com/")
    alert = {"title": "Volume drop: Order Completed", "severity": "warning", "msg_id": "msg_oracle_1"}
    result = CHANNEL_KINDS["webhook"]({"url": receiver.url, "secret": secret}, alert, context)
    assert result.ok, result.error
    [request] = receiver.requests
    payload = Webhook(secret).verify(request.body, dict(request.headers))
    assert payload["type"] == "alert.firing" and payload["data"]["title"] == alert["title"]
    assert request.headers["webhook-id"] == "msg_oracle_1"
