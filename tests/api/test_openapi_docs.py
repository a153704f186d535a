"""An honest OpenAPI document, ``/docs`` that works offline, the plan schema route, and 401 challenges.

``/docs`` is checked over a real HTTP server: every script and stylesheet it loads is same-origin
and answers 200, and Debian's Chromium, with every host but 127.0.0.1 unresolvable, renders the
operations and the Authorize button from the vendored files alone.
"""

from __future__ import annotations

import base64
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
import uvicorn

from governance.plan.schema import plan_json_schema
from tests.conftest import ADMIN_TOKEN, make_settings

ROOT = Path(__file__).resolve().parents[2]


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and found.get("src"):
            self.urls.append(str(found["src"]))
        if tag == "link" and found.get("href"):
            self.urls.append(str(found["href"]))


@pytest.fixture
def server(sqlite_url: str) -> Iterator[str]:
    from governance.app import create_app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(make_settings(sqlite_url)), host="127.0.0.1", port=port, log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    yield url
    instance.should_exit = True
    thread.join(timeout=10)


def test_docs_load_only_same_origin_vendored_files(server: str) -> None:
    page = httpx.get(f"{server}/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    parser = _Assets()
    parser.feed(page.text)
    assert len(parser.urls) >= 3, parser.urls  # the bundle, the stylesheet, the icon
    for url in parser.urls:
        assert url.startswith("/") and not url.startswith("//"), f"{url} is not same-origin"
        asset = httpx.get(f"{server}{url}")
        assert asset.status_code == 200, url
        assert len(asset.content) > 500, url
    assert "cdn." not in page.text and "fastapi.tiangolo.com" not in page.text
    assert '"validatorUrl": null' in page.text  # no badge fetched from validator.swagger.io
    assert httpx.get(f"{server}/redoc").status_code == 404  # ReDoc would load from a CDN: not served
    for vendored in ("LICENSE", "NOTICE"):
        assert (ROOT / "web" / "vendor" / "swagger-ui" / vendored).is_file()


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed")
def test_swagger_ui_renders_offline_in_chromium(server: str, tmp_path: Path) -> None:
    command = [
        str(shutil.which("chromium")), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # nothing but this server resolves
        "--virtual-time-budget=15000", "--dump-dom", f"{server}/docs",
    ]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=90).stdout
    assert "opblock-summary" in dom, dom[-2000:]  # operations were rendered from /openapi.json
    assert "/api/v1/plans/{plan}/draft" in dom and "btn authorize" in dom


def test_security_schemes_are_declared_and_applied(app_client) -> None:
    document = app_client.get("/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerToken"] == {**schemes["bearerToken"], "type": "http", "scheme": "bearer"}
    assert schemes["writeKey"] == {**schemes["writeKey"], "type": "http", "scheme": "basic"}
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            if path.startswith("/api/v1/") and path != "/api/v1/schemas/plan.json":
                assert operation.get("security") == [{"bearerToken": []}], (method, path)
                assert {"401", "403"} <= set(operation["responses"]), (method, path)
            elif path.startswith("/v1/"):
                assert operation.get("security") == [{"writeKey": []}, {}], (method, path)
            else:
                assert not operation.get("security"), (method, path)


def test_plan_documents_reference_the_plan_format(app_client) -> None:
    document = app_client.get("/openapi.json").json()
    plan_ref = {"$ref": "#/components/schemas/Plan"}
    paths = document["paths"]
    for path, method in [("/api/v1/plans", "post"), ("/api/v1/plans/{plan}/draft", "put"),
                         ("/api/v1/plans/{plan}/compatibility", "post")]:
        content = paths[path][method]["requestBody"]["content"]
        assert content["application/json"]["schema"] == plan_ref and content["application/yaml"]["schema"] == plan_ref
    assert paths["/api/v1/plans/{plan}/draft"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"] == plan_ref
    event = paths["/api/v1/plans/{plan}/draft/events/{event}"]["put"]["requestBody"]["content"]
    assert event["application/json"]["schema"] == {"$ref": "#/components/schemas/EventSpec"}
    schemas = document["components"]["schemas"]
    assert schemas["Plan"]["properties"].keys() == plan_json_schema()["properties"].keys()
    assert schemas["PropertySpec"]["additionalProperties"] is False
    assert "#/$defs/" not in str(schemas)  # every reference points into components
    assert {"allOf": [plan_ref]} in schemas["VersionPublic"]["properties"]["body"]["anyOf"]
    diff = paths["/api/v1/plans/{plan}/diff"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert diff == {"$ref": "#/components/schemas/DiffPublic"}
    # every JSON error is {code, message, details}, never FastAPI's {detail}
    assert "HTTPValidationError" not in schemas and "ErrorBody" in schemas
    assert "HTTPValidationError" not in str(paths)


def test_the_plan_schema_is_public_and_matches_the_committed_copy(app_client) -> None:
    response = app_client.get("/api/v1/schemas/plan.json", headers={"Authorization": ""})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/schema+json")
    assert response.json() == plan_json_schema()
    committed = ROOT / "docs" / "reference" / "plan.schema.json"
    assert httpx.Response(200, content=committed.read_bytes()).json() == response.json()


def test_401_answers_carry_www_authenticate(app_client) -> None:
    missing = app_client.get("/api/v1/plans", headers={"Authorization": ""})
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == 'Bearer realm="governance"'
    wrong = app_client.get("/api/v1/plans", headers={"Authorization": "Bearer gov_nope"})
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"] == 'Bearer realm="governance", error="invalid_token"'
    assert wrong.json()["code"] == "unauthorized"
    basic = app_client.get("/api/v1/plans", headers={"Authorization": "Basic " + base64.b64encode(b"a:").decode()})
    assert basic.status_code == 401 and basic.headers["www-authenticate"].startswith("Bearer")
    event = {"type": "track", "event": "Order Completed", "messageId": "m1"}
    no_key = app_client.post("/v1/track", json=event, headers={"Authorization": ""})
    assert no_key.status_code == 401
    assert no_key.headers["www-authenticate"] == 'Basic realm="governance ingestion", charset="UTF-8"'
    bad_key = app_client.post("/v1/track", json=event, auth=("wk_unknown", ""))
    assert bad_key.status_code == 401 and bad_key.headers["www-authenticate"].startswith("Basic")
    assert app_client.get("/api/v1/plans").status_code == 200  # the admin token still works


def test_tokens_are_listed_like_every_list(app_client) -> None:
    assert app_client.post("/api/v1/tokens", json={"role": "viewer", "name": "ci"}).status_code == 201
    listed = app_client.get("/api/v1/tokens").json()
    assert set(listed) == {"data", "count"} and listed["count"] == 2
    assert [t["name"] for t in listed["data"]] == ["bootstrap", "ci"]
    assert ADMIN_TOKEN not in str(listed)
