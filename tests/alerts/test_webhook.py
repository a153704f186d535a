"""Webhook and Slack delivery against a real HTTP(S) receiver on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from governance.alerts.channels import CHANNEL_KINDS, ChannelContext
from governance.alerts.channels.slack import slack_body
from governance.alerts.channels.webhook import deliver_webhook
from governance.alerts.retry import RETRY_SCHEDULE_S, next_retry_delay
from governance.alerts.signing import generate_secret, verify

from .conftest import CA, FakeDNS, Receiver, free_port, start_receiver, stop_receiver

LOCAL = ["127.0.0.0/8"]
ALERT = {
    "title": "Unplanned event 'Completed Order'",
    "severity": "warning",
    "event": "Completed Order",
    "source": "android-app",
    "summary": "312 events in 5 min; did you mean `Order Completed`? <script>",
    "since": "2024-05-01T10:00:00Z",
    "url": "https://governance.example.com/#/alerts/42",
}


def test_body_is_signed_json_that_our_verify_accepts(receiver: Receiver) -> None:
    secret = generate_secret()
    result = deliver_webhook(receiver.url, ALERT, secret=secret, allowed_networks=LOCAL, msg_id="msg_42")
    assert (result.ok, result.status, result.retryable, result.disable, result.error) == (
        True,
        200,
        False,
        False,
        None,
    )
    assert result.elapsed_ms > 0
    [req] = receiver.requests
    assert req.method == "POST" and req.path == "/hooks/alerts?team=data"
    assert orjson.loads(req.body) == ALERT
    assert req.headers["Content-Type"] == "application/json"
    assert req.headers["Host"] == f"127.0.0.1:{receiver.port}"
    assert req.headers["webhook-id"] == "msg_42"
    verify(secret, req.headers, req.body)
    with pytest.raises(ValueError):
        verify(generate_secret(), req.headers, req.body)


def test_msg_id_is_generated_when_absent(receiver: Receiver) -> None:
    secret = generate_secret()
    deliver_webhook(receiver.url, {"a": 1}, secret=secret, allowed_networks=LOCAL)
    deliver_webhook(receiver.url, {"a": 1}, secret=secret, allowed_networks=LOCAL)
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert all(i.startswith("msg_") for i in ids) and ids[0] != ids[1]


@pytest.mark.parametrize(
    ("status", "ok", "retryable", "disable"),
    [
        (200, True, False, False),
        (204, True, False, False),
        (410, False, False, True),
        (500, False, True, False),
        (503, False, True, False),
        (429, False, True, False),
        (408, False, True, False),
        (400, False, False, False),
        (401, False, False, False),
        (404, False, False, False),
    ],
)
def test_status_classification(
    receiver: Receiver, status: int, ok: bool, retryable: bool, disable: bool
) -> None:
    receiver.status = status
    result = deliver_webhook(receiver.url, {"a": 1}, secret=generate_secret(), allowed_networks=LOCAL)
    assert (result.ok, result.status, result.retryable, result.disable) == (ok, status, retryable, disable)
    assert (result.error is None) == ok
    assert len(receiver.requests) == 1


def test_slow_receiver_times_out_and_is_retryable(receiver: Receiver) -> None:
    receiver.delay_s = 5.0
    result = deliver_webhook(receiver.url, {"a": 1}, secret=None, timeout_s=0.2, allowed_networks=LOCAL)
    assert (result.ok, result.status, result.retryable, result.disable) == (False, None, True, False)
    assert result.error is not None and "timeout" in result.error
    assert result.elapsed_ms < 3000


def test_connection_refused_is_retryable() -> None:
    url = f"http://127.0.0.1:{free_port()}/hook"
    result = deliver_webhook(url, {"a": 1}, secret=None, timeout_s=2, allowed_networks=LOCAL)
    assert (result.ok, result.status, result.retryable) == (False, None, True)


def test_unsafe_url_is_not_retryable_and_unresolvable_is() -> None:
    unsafe = deliver_webhook("http://10.0.0.1/", {"a": 1}, secret=None)
    assert (unsafe.ok, unsafe.retryable, unsafe.status) == (False, False, None)
    unresolvable = deliver_webhook("https://no-such-host.invalid/", {"a": 1}, secret=None)
    assert (unresolvable.ok, unresolvable.retryable) == (False, True)


def test_https_connects_to_the_vetted_ip_with_the_original_sni(
    tmp_path: Path, ca: CA, fake_dns: FakeDNS
) -> None:
    rec, thread = start_receiver(tls=ca.server_context(tmp_path, "hooks.example.test"))
    try:
        fake_dns.answers["hooks.example.test"] = [["127.0.0.1"], ["10.0.0.1"]]
        url = f"https://hooks.example.test:{rec.port}/h"
        result = deliver_webhook(
            url, {"a": 1}, secret=None, allowed_networks=LOCAL, verify=ca.client_context()
        )
        assert result.ok, result.error
        assert rec.sni == ["hooks.example.test"]
        assert rec.requests[0].headers["Host"] == f"hooks.example.test:{rec.port}"
        assert fake_dns.calls["hooks.example.test"] == 1
    finally:
        stop_receiver(rec, thread)


def test_https_certificate_must_match_the_original_host(tmp_path: Path, ca: CA, fake_dns: FakeDNS) -> None:
    rec, thread = start_receiver(tls=ca.server_context(tmp_path, "other.example.test"))
    try:
        fake_dns.answers["hooks.example.test"] = [["127.0.0.1"]]
        url = f"https://hooks.example.test:{rec.port}/h"
        result = deliver_webhook(
            url, {"a": 1}, secret=None, allowed_networks=LOCAL, verify=ca.client_context()
        )
        assert not result.ok and result.retryable
        assert result.error is not None and "certificate" in result.error.lower()
        assert rec.requests == []
    finally:
        stop_receiver(rec, thread)


def test_retry_schedule() -> None:
    assert RETRY_SCHEDULE_S == (5, 300, 1800, 7200, 18000, 36000)
    assert [next_retry_delay(n) for n in range(1, 8)] == [5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, None]
    with pytest.raises(ValueError):
        next_retry_delay(0)


def test_slack_body_shape() -> None:
    body = slack_body(ALERT)
    assert body["text"].startswith(":warning: [warning] Unplanned event")
    header, summary, fields, actions = body["blocks"]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": "[warning] Unplanned event 'Completed Order'", "emoji": True},
    }
    assert summary["type"] == "section" and summary["text"]["type"] == "mrkdwn"
    assert summary["text"]["text"].endswith("&lt;script&gt;")
    assert [f["text"].split("\n")[0] for f in fields["fields"]] == [
        "*Event*",
        "*Source*",
        "*Severity*",
        "*Since*",
    ]
    assert actions["elements"][0]["url"] == ALERT["url"]


def test_slack_body_for_minimal_and_resolved_alerts() -> None:
    assert slack_body({}) == {
        "text": ":information_source: [info] Alert",
        "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "[info] Alert", "emoji": True}}],
    }
    resolved = slack_body({"title": "x" * 400, "status": "resolved", "url": "javascript:alert(1)"})
    assert resolved["text"].startswith(":white_check_mark: [resolved]")
    assert len(resolved["blocks"][0]["text"]["text"]) == 150
    assert all(b["type"] != "actions" for b in resolved["blocks"])


def test_slack_delivery_posts_blocks_unsigned(receiver: Receiver) -> None:
    result = deliver_webhook(receiver.url, slack_body(ALERT), secret=None, allowed_networks=LOCAL)
    assert result.ok
    [req] = receiver.requests
    assert orjson.loads(req.body) == slack_body(ALERT)
    assert "webhook-signature" not in {k.lower() for k in req.headers}


def test_registry_webhook_and_slack_channels(receiver: Receiver) -> None:
    assert set(CHANNEL_KINDS) == {"email", "webhook", "slack"}
    context = ChannelContext(allowed_networks=("127.0.0.0/8",), console_url="https://gov.example.com/")
    secret = generate_secret()
    alert = {**ALERT, "url": "/#/alerts/42", "msg_id": "msg_alert_42_1"}
    result = CHANNEL_KINDS["webhook"]({"url": receiver.url, "secret": secret}, alert, context)
    assert result.ok, result.error
    req = receiver.requests[-1]
    verify(secret, req.headers, req.body)
    sent = orjson.loads(req.body)
    assert sent["type"] == "alert.firing" and sent["timestamp"].endswith("Z")
    assert sent["data"]["url"] == "https://gov.example.com/#/alerts/42"
    assert req.headers["webhook-id"] == "msg_alert_42_1"

    assert CHANNEL_KINDS["slack"]({"url": receiver.url}, alert, context).ok
    slack = orjson.loads(receiver.requests[-1].body)
    assert slack["blocks"][-1]["elements"][0]["url"] == "https://gov.example.com/#/alerts/42"

    count = len(receiver.requests)
    refused = CHANNEL_KINDS["webhook"]({"url": receiver.url, "secret": secret}, alert, ChannelContext())
    assert not refused.ok and not refused.retryable
    unsigned = CHANNEL_KINDS["webhook"]({"url": receiver.url}, alert, context)
    assert not unsigned.ok and not unsigned.retryable and "secret" in (unsigned.error or "")
    assert len(receiver.requests) == count
