"""``Violation Generated`` from real SDKs: ``eventSentAt`` is the SDK's sentAt, wherever the SDK put it.

analytics-python, rudder-sdk-python and @segment/analytics-node put ``sentAt`` on the batch
envelope, analytics.js's batching delivery too (its default delivery puts it on the message). Each
sends one event with a violation to a source whose ``forwardingViolationsTo`` names another
source; the Violation Generated event that reaches the recording upstream must carry the sentAt
the SDK sent, not null. It lives beside the browser tests for their real ``governance serve``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from governance.proxy.timestamps import parse

NODE_SCRIPT = """
import { Analytics } from '@segment/analytics-node'
const analytics = new Analytics({ writeKey: process.env.WRITE_KEY, host: process.env.HOST, maxRetries: 1 })
analytics.track(JSON.parse(process.env.EVENT))
await analytics.closeAndFlush({ timeout: 15000 })
"""
PROPERTIES = {"order_id": "o-1", "total": "twelve"}  # total must be a number: one violation
LIBRARY = {"analytics-python": "analytics-python", "rudder-sdk-python": "analytics-python",  # rudder's fork
           "analytics-node": "@segment/analytics-node", "analytics.js": "analytics.js"}


def _python_sdk(module: str) -> Callable[[Any, str, str], None]:
    def send(governance: Any, write_key: str, message_id: str) -> None:
        client_class = __import__(module, fromlist=["Client"]).Client
        errors: list[Any] = []
        client = client_class(write_key=write_key, host=governance.url, upload_interval=0.1, max_retries=1,
                              on_error=lambda error, _batch: errors.append(error))
        client.track(user_id="u1", event="Order Completed", properties=PROPERTIES, message_id=message_id)
        client.flush()
        client.join()
        assert errors == []

    return send


def _analytics_node(governance: Any, write_key: str, message_id: str, sdk_packages: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = sdk_packages.parent / "send-node.mjs"  # beside node_modules, so the import resolves
    script.write_text(NODE_SCRIPT, encoding="utf-8")
    event = {"userId": "u1", "event": "Order Completed", "properties": PROPERTIES, "messageId": message_id}
    env = {**os.environ, "WRITE_KEY": write_key, "HOST": governance.url, "EVENT": json.dumps(event)}
    done = subprocess.run([node, str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def _violations_of(governance: Any, message_id: str) -> list[dict[str, Any]]:
    return [e for e in governance.upstream.events
            if e.get("event") == "Violation Generated" and e["properties"]["eventMessageID"] == message_id]


@pytest.mark.parametrize("sdk", ["analytics-python", "rudder-sdk-python", "analytics-node", "analytics.js"])
def test_event_sent_at_is_the_sdks_sent_at(governance, sdk_packages, sdk: str, request) -> None:  # type: ignore[no-untyped-def]
    name = sdk.replace(".", "-")
    sink_id, _ = governance.source(f"violations-of-{name}", {})
    source_id, write_key = governance.source(name, {"forwardingViolationsTo": sink_id})
    message_id = f"{name}-violating"
    before = datetime.now(UTC)
    if sdk == "analytics-python":
        _python_sdk("segment.analytics")(governance, write_key, message_id)
    elif sdk == "rudder-sdk-python":
        _python_sdk("rudderstack.analytics")(governance, write_key, message_id)
    elif sdk == "analytics-node":
        _analytics_node(governance, write_key, message_id, sdk_packages)
    else:
        page = request.getfixturevalue("page")
        sent = page.evaluate("config => withSegment(config)", {
            "writeKey": write_key, "apiHost": governance.api_host, "batching": True,
            "calls": [["track", "Order Completed", PROPERTIES]]})
        message_id = sent["ids"][0]
    governance.wait_for(lambda: _violations_of(governance, message_id), f"{sdk}'s Violation Generated upstream")
    [violation] = _violations_of(governance, message_id)
    props = violation["properties"]
    assert props["violationType"] == "Invalid Type" and props["violationField"] == "properties.total"
    sent_at = parse(props["eventSentAt"])
    assert sent_at is not None, props  # not null: taken from the batch envelope
    assert before - timedelta(seconds=5) <= sent_at <= datetime.now(UTC) + timedelta(seconds=5)
    assert props["eventTimestamp"] and props["sourceID"] == source_id
    assert violation["context"]["library"]["name"] == LIBRARY[sdk]  # the offending event's, to filter by
