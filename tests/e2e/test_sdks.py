"""Real SDKs against the real server: analytics-python, rudder-sdk-python and @segment/analytics-node.

Each test starts the app with uvicorn on 127.0.0.1 (a background thread), publishes
``plans/ecommerce.yaml`` through the REST API, creates a source whose upstream is the recording
``upstream`` server, and lets the SDK send valid events, an unplanned event and an invalid one.
Then the forwarder drains the outbox and the test checks, per SDK and per the source's settings:

* every valid event reached the upstream exactly once, with the messageId the SDK gave it;
* the unplanned and invalid events were quarantined, or forwarded with the omissions the settings
  ask for (and annotated in ``context.protocols``);
* the upstream saw the source's *upstream* write key as HTTP Basic auth;
* the event counts (``GET /api/v1/sources/{id}/events`` and the ``event_counts`` table) agree
  with what the upstream received.

The SDKs: analytics-python with Segment's strictest settings; rudder-sdk-python (which gzips) with
the defaults; analytics-node (installed with npm into a temporary directory) with the omitting
settings.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from sqlalchemy import Engine, func, select

from governance.app import create_app
from governance.db import read_session
from governance.proxy.forwarder import Forwarder
from governance.proxy.tables import EventCountRow, OutboxRow, QuarantineRow
from governance.registry.audit import config_seq
from governance.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
ADMIN_TOKEN = "gov_e2e_admin_token_0123456789abcdefghijklmnopqrstuvwx"
UPSTREAM_KEY = "UPSTREAM-WRITE-KEY"

# The recording upstream of the proxy tests (tests/proxy/conftest.py), shared rather than copied.
_spec = importlib.util.spec_from_file_location("_proxy_fixtures", ROOT / "tests" / "proxy" / "conftest.py")
assert _spec is not None and _spec.loader is not None
_proxy_fixtures = sys.modules.setdefault("_proxy_fixtures", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(_proxy_fixtures)
upstream = _proxy_fixtures.upstream

STRICT = {  # Segment's strictest schema controls, by their Segment names
    "track": {"allowUnplannedEvents": False, "allowUnplannedEventProperties": False,
              "allowEventOnViolations": False, "allowPropertiesOnViolations": False,
              "commonEventOnViolations": "BLOCK"},
    "identify": {"allowUnplannedTraits": False, "allowTraitsOnViolations": False, "allowEventOnViolations": False,
                 "commonEventOnViolations": "BLOCK"},
}
OMIT = {"track": {"allowUnplannedEvents": False, "allowUnplannedEventProperties": False,
                  "allowPropertiesOnViolations": False}}

VALID_ORDER = {"order_id": "o-1", "total": 42.5, "currency": "EUR", "products": [{"product_id": "p1", "price": 42.5}]}
INVALID_ORDER = {"order_id": "o-2", "total": -5, "currency": "usd", "coupon_code": "SPRING"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    url: str
    app: Any
    engine: Engine
    settings: Settings
    admin: httpx.Client
    upstream: Any

    def source(self, name: str, settings: dict[str, Any]) -> tuple[str, str]:
        """A source on the ecommerce plan with these schema controls; (id, write key) once live."""
        created = self.admin.post("/api/v1/sources", json={
            "name": name, "plan": "ecommerce", "upstream_url": self.upstream.url,
            "upstream_write_key": UPSTREAM_KEY})
        assert created.status_code == 201, created.text
        source_id, write_key = created.json()["id"], created.json()["write_key"]
        patched = self.admin.patch(f"/api/v1/sources/{source_id}/settings", json=settings)
        assert patched.status_code == 200, patched.text
        # the poller (plan_refresh_s) brings the change to the proxy; wait for it rather than sleep
        with read_session(self.engine) as session:
            wanted = config_seq(session)
        runtime = self.app.state.proxy.runtime
        deadline = time.monotonic() + 5
        while runtime.seq < wanted and time.monotonic() < deadline:
            time.sleep(0.02)
        assert runtime.source_for_key(write_key) is not None, "the source never reached the proxy"
        return source_id, write_key

    def drain(self) -> None:
        """Run the forwarder until the outbox is empty."""
        forwarder = Forwarder(self.engine, self.settings)
        try:
            for _ in range(50):
                if forwarder.run_once() == 0:
                    break
        finally:
            forwarder.close()
        with self.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(OutboxRow)).scalar_one() == 0

    def quarantine(self, source_id: str) -> dict[str, str]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(QuarantineRow.__table__).where(QuarantineRow.source_id == source_id))
            return {r.message_id: r.reason for r in rows}

    def counts(self, source_id: str) -> Counter[str]:
        """Outcome counts from the REST API, checked against the event_counts table."""
        response = self.admin.get(f"/api/v1/sources/{source_id}/events", params={"window": "1h"})
        assert response.status_code == 200, response.text
        rest: Counter[str] = Counter()
        for entry in response.json()["data"]:
            rest.update(entry["outcomes"])
        with self.engine.connect() as conn:
            query = select(EventCountRow.outcome, func.sum(EventCountRow.count))
            rows = conn.execute(query.where(EventCountRow.source_id == source_id).group_by(EventCountRow.outcome))
            table = Counter({outcome: int(n) for outcome, n in rows})
        assert rest == table, f"REST {dict(rest)} != event_counts {dict(table)}"
        return rest


@pytest.fixture
def stack(tmp_path: Path, upstream: Any) -> Iterator[Stack]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'governance.db'}", run_worker=False,
                        bootstrap_admin_token=ADMIN_TOKEN, plan_refresh_s=0.1)  # type: ignore[arg-type]
    app = create_app(settings)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app=app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    admin = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=10)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                if admin.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        plan = (ROOT / "plans" / "ecommerce.yaml").read_bytes()
        created = admin.post("/api/v1/plans", content=plan, headers={"content-type": "application/yaml"})
        assert created.status_code == 201, created.text
        assert admin.post("/api/v1/plans/ecommerce/versions", json={"message": "e2e"}).status_code == 201
        yield Stack(url=url, app=app, engine=app.state.engine, settings=settings, admin=admin, upstream=upstream)
    finally:
        admin.close()
        server.should_exit = True
        thread.join(timeout=10)


def _forwarded(upstream: Any) -> dict[str, dict[str, Any]]:
    ids = upstream.message_ids()
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert not duplicates, f"forwarded more than once: {duplicates}"
    return {event["messageId"]: event for event in upstream.events}


def _upstream_auth_ok(upstream: Any) -> None:
    assert upstream.auth, "the upstream saw no Basic auth"
    assert set(upstream.auth) == {f"{UPSTREAM_KEY}:"}


# ---------------------------------------------------------------- analytics-python (Segment)


def test_segment_analytics_python_with_strict_settings(stack: Stack) -> None:
    from segment.analytics import Client

    source_id, write_key = stack.source("python-segment", STRICT)
    errors: list[Any] = []
    client = Client(write_key=write_key, host=stack.url, gzip=False, upload_interval=0.1, max_retries=1,
                    on_error=lambda error, _batch: errors.append(error))
    client.track(user_id="u1", event="Order Completed", properties=VALID_ORDER, message_id="py-valid-order")
    client.track(user_id="u1", event="Product Viewed", properties={"product_id": "p1", "price": 9.5},
                 message_id="py-valid-viewed")
    client.identify(user_id="u1", traits={"email": "ada@example.com", "first_name": "Ada"},
                    message_id="py-valid-identify")
    client.page(user_id="u1", name="Home", properties={"path": "/", "url": "https://shop.example.com/"},
                message_id="py-valid-page")
    client.track(user_id="u1", event="Completed Order", properties={"order_id": "o-3"}, message_id="py-unplanned")
    client.track(user_id="u1", event="Order Completed", properties=INVALID_ORDER, message_id="py-invalid")
    client.identify(user_id="u1", traits={"email": "not-an-email"}, message_id="py-invalid-identify")
    client.flush()
    client.join()
    assert errors == []

    stack.drain()
    forwarded = _forwarded(stack.upstream)
    assert set(forwarded) == {"py-valid-order", "py-valid-viewed", "py-valid-identify", "py-valid-page"}
    assert forwarded["py-valid-order"]["properties"] == VALID_ORDER
    assert forwarded["py-valid-order"]["context"]["library"]["name"] == "analytics-python"
    assert "protocols" not in forwarded["py-valid-order"]["context"]
    assert stack.quarantine(source_id) == {
        "py-unplanned": "unplanned_event", "py-invalid": "violations", "py-invalid-identify": "violations"}
    _upstream_auth_ok(stack.upstream)
    counts = stack.counts(source_id)
    assert counts == Counter({"forwarded": 4, "blocked": 3})
    assert counts["forwarded"] + counts["omitted"] == len(stack.upstream.events)


# ---------------------------------------------------------------- rudder-sdk-python (gzip)


def test_rudder_sdk_python_with_default_settings(stack: Stack) -> None:
    from rudderstack.analytics import Client

    source_id, write_key = stack.source("python-rudder", {})
    errors: list[Any] = []
    client = Client(write_key=write_key, host=stack.url, gzip=True, upload_interval=0.1, max_retries=1,
                    on_error=lambda error, _batch: errors.append(error))
    client.track(user_id="u2", event="Order Completed", properties=VALID_ORDER, message_id="rs-valid-order")
    client.track(anonymous_id="a2", event="Coupon Applied", properties={"coupon_id": "SPRING", "discount": 5},
                 message_id="rs-valid-coupon")
    client.identify(user_id="u2", traits={"email": "grace@example.com"}, message_id="rs-valid-identify")
    client.track(user_id="u2", event="Order Complete", properties={"order_id": "o-4"}, message_id="rs-unplanned")
    client.track(user_id="u2", event="Order Completed", properties=INVALID_ORDER, message_id="rs-invalid")
    client.flush()
    client.join()
    assert errors == []

    stack.drain()
    forwarded = _forwarded(stack.upstream)
    # defaults allow everything: all five are forwarded, the two bad ones annotated, nothing trimmed
    assert set(forwarded) == {"rs-valid-order", "rs-valid-coupon", "rs-valid-identify", "rs-unplanned", "rs-invalid"}
    for message_id in ("rs-valid-order", "rs-valid-coupon", "rs-valid-identify"):
        assert "protocols" not in forwarded[message_id]["context"], message_id
    unplanned = forwarded["rs-unplanned"]["context"]["protocols"]
    assert unplanned["violations"] == [{"type": "Unplanned Event", "field": "event",
                                        "description": '"Order Complete" is not in the plan; '
                                                       'did you mean "Order Completed"?'}]
    invalid = forwarded["rs-invalid"]
    assert invalid["properties"] == INVALID_ORDER
    assert invalid["context"]["protocols"]["omitted"] == [] == invalid["context"]["protocols"]["omitted_on_violation"]
    assert {(v["type"], v["field"]) for v in invalid["context"]["protocols"]["violations"]} == {
        ("Out of Range", "properties.total"), ("Invalid Pattern", "properties.currency"),
        ("Unplanned Property", "properties.coupon_code")}
    assert stack.quarantine(source_id) == {}
    _upstream_auth_ok(stack.upstream)
    assert stack.counts(source_id) == Counter({"forwarded": 5})


def test_rudder_identify_traits_are_judged(stack: Stack) -> None:
    from rudderstack.analytics import Client

    source_id, write_key = stack.source("python-rudder-strict", STRICT)
    client = Client(write_key=write_key, host=stack.url, upload_interval=0.1, max_retries=1)
    client.identify(user_id="u3", traits={"email": "not-an-email"}, message_id="rs-bad-identify")
    client.flush()
    client.join()
    assert stack.quarantine(source_id) == {"rs-bad-identify": "violations"}


# ---------------------------------------------------------------- @segment/analytics-node

NODE_SCRIPT = """
import { Analytics } from '@segment/analytics-node'

const analytics = new Analytics({ writeKey: process.env.WRITE_KEY, host: process.env.HOST, flushAt: 3,
                                  maxRetries: 1 })
analytics.on('error', (err) => { console.error('analytics-node error:', err); process.exitCode = 2 })
for (const call of JSON.parse(process.env.CALLS)) {
  analytics[call.method](call.params)
}
await analytics.closeAndFlush({ timeout: 15000 })
"""


@pytest.fixture(scope="session")
def analytics_node(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """@segment/analytics-node installed with npm into a temporary directory (once per session)."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        pytest.skip("npm/node are not installed: cannot test @segment/analytics-node")
    prefix = tmp_path_factory.mktemp("analytics-node")
    done = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(prefix),
                           "@segment/analytics-node"], capture_output=True, text=True, timeout=180)
    if done.returncode != 0:
        pytest.fail(f"npm install @segment/analytics-node failed:\n{done.stdout}\n{done.stderr}")
    script = prefix / "send.mjs"  # next to node_modules, so the import resolves
    script.write_text(NODE_SCRIPT, encoding="utf-8")
    return script


def test_segment_analytics_node_with_omitting_settings(stack: Stack, analytics_node: Path) -> None:
    source_id, write_key = stack.source("node-segment", OMIT)
    calls = [
        {"method": "track", "params": {"userId": "n1", "event": "Order Completed", "properties": VALID_ORDER,
                                       "messageId": "node-valid-order"}},
        {"method": "track", "params": {"anonymousId": "a-n1", "event": "Products Searched",
                                       "properties": {"query": "blue shoes"}, "messageId": "node-valid-search"}},
        {"method": "identify", "params": {"userId": "n1", "traits": {"email": "ada@example.com", "name": "Ada"},
                                          "messageId": "node-valid-identify"}},
        {"method": "track", "params": {"userId": "n1", "event": "order completed", "properties": {"order_id": "o5"},
                                       "messageId": "node-unplanned"}},
        {"method": "track", "params": {"userId": "n1", "event": "Order Completed", "properties": INVALID_ORDER,
                                       "messageId": "node-invalid"}},
    ]
    env = {**os.environ, "WRITE_KEY": write_key, "HOST": stack.url, "CALLS": json.dumps(calls)}
    done = subprocess.run([shutil.which("node") or "node", str(analytics_node)], env=env, capture_output=True,
                          text=True, timeout=60, cwd=analytics_node.parent)
    assert done.returncode == 0, f"node failed:\n{done.stdout}\n{done.stderr}"

    stack.drain()
    forwarded = _forwarded(stack.upstream)
    assert set(forwarded) == {"node-valid-order", "node-valid-search", "node-valid-identify", "node-invalid"}
    assert forwarded["node-valid-order"]["properties"] == VALID_ORDER
    assert forwarded["node-valid-order"]["context"]["library"]["name"] == "@segment/analytics-node"
    assert "protocols" not in forwarded["node-valid-order"]["context"]
    # the invalid order is forwarded without its unplanned and invalid properties, as the settings say
    invalid = forwarded["node-invalid"]
    assert invalid["properties"] == {"order_id": "o-2"}
    protocols = invalid["context"]["protocols"]
    assert protocols["omitted"] == ["properties.coupon_code"]
    assert sorted(protocols["omitted_on_violation"]) == ["properties.currency", "properties.total"]
    assert protocols["sourceId"] == source_id and protocols["plan_version"] == 1
    assert stack.quarantine(source_id) == {"node-unplanned": "unplanned_event"}
    with stack.engine.connect() as conn:
        row = conn.execute(select(QuarantineRow.__table__).where(QuarantineRow.message_id == "node-unplanned")).one()
    assert 'did you mean \\"Order Completed\\"' in row.violations
    assert orjson.loads(row.payload)["event"] == "order completed"
    _upstream_auth_ok(stack.upstream)
    counts = stack.counts(source_id)
    assert counts == Counter({"forwarded": 3, "omitted": 1, "blocked": 1})
    assert counts["forwarded"] + counts["omitted"] == len(stack.upstream.events)
