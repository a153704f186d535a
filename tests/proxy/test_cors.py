"""CORS on the ingestion routes (analytics.js preflights every request), none on the admin API."""

from __future__ import annotations

import pytest

from tests.proxy.helpers import add_source, outbox, publish_plan, track

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # headers, not storage
PAGE = "http://shop.example.test:8080"
INGESTION_PATHS = ["/v1/track", "/v1/identify", "/v1/page", "/v1/screen", "/v1/group", "/v1/alias", "/v1/batch",
                   "/v1/t", "/v1/i", "/v1/p", "/v1/s", "/v1/g", "/v1/a", "/v1/b", "/v1/validate",
                   "/beacon/v1/batch"]


def preflight(client, path: str, origin: str = PAGE, headers: str = "authorization,content-type,x-retry-count"):  # type: ignore[no-untyped-def]
    return client.options(path, headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                         "Access-Control-Request-Headers": headers})


def test_a_preflight_allows_what_analytics_js_sends(app_client) -> None:
    for path in INGESTION_PATHS:
        response = preflight(app_client, path)
        assert response.status_code == 204, path
        assert response.headers["access-control-allow-origin"] == PAGE, path  # the request's origin, not "*"
        assert response.headers["access-control-allow-methods"] == "POST"
        allowed = {h.strip() for h in response.headers["access-control-allow-headers"].split(",")}
        assert {"authorization", "content-type", "x-retry-count"} <= allowed
        assert int(response.headers["access-control-max-age"]) > 0
        assert "Origin" in response.headers["vary"]
        assert response.content == b""


def test_a_preflight_allows_any_requested_header_and_the_rudderstack_ones(app_client) -> None:
    response = preflight(app_client, "/v1/batch", headers="AnonymousId, SentAt, X-Page-Header, bad header")
    allowed = {h.strip() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {"anonymousid", "sentat", "x-page-header", "rsa-retry-attempt"} <= allowed
    assert "bad header" not in allowed  # not a header name: not echoed


def test_a_private_network_preflight_is_allowed(app_client) -> None:
    response = app_client.options("/v1/b", headers={"Origin": PAGE, "Access-Control-Request-Method": "POST",
                                                    "Access-Control-Request-Private-Network": "true"})
    assert response.headers["access-control-allow-private-network"] == "true"


def test_every_ingestion_answer_carries_allow_origin(app_client, upstream) -> None:
    publish_plan(app_client)
    _source_id, key = add_source(app_client, "web", upstream.url)
    origin = {"Origin": PAGE}
    answers = {
        "accepted": app_client.post("/v1/t", json=track("Order Completed", "m1", order_id="o1"), auth=(key, ""),
                                    headers=origin),
        "invalid json": app_client.post("/v1/batch", content=b"{", auth=(key, ""), headers=origin),
        "missing key": app_client.post("/v1/batch", json={"batch": [track("Order Completed", "m2")]},
                                       headers={**origin, "Authorization": ""}),
        "unknown key": app_client.post("/v1/batch", json={"batch": [track("Order Completed", "m3")]},
                                       auth=("wk_unknown", ""), headers=origin),
        "bad message": app_client.post("/v1/t", json={"userId": "u1"}, auth=(key, ""), headers=origin),
        "too large": app_client.post("/v1/b", content=b"x" * 600_000, auth=(key, ""), headers=origin),
        "validate": app_client.post("/v1/validate", json=track("Order Completed", "m4"), auth=(key, ""),
                                    headers=origin),
    }
    statuses = {name: r.status_code for name, r in answers.items()}
    assert statuses == {"accepted": 200, "invalid json": 400, "missing key": 401, "unknown key": 401,
                        "bad message": 400, "too large": 413, "validate": 200}
    for name, response in answers.items():
        assert response.headers.get("access-control-allow-origin") == PAGE, name
        assert "retry-after" in response.headers["access-control-expose-headers"], name
    assert answers["missing key"].json()["code"] == "missing_write_key"  # readable by the page


def test_a_request_without_origin_gets_no_cors_headers(app_client, upstream) -> None:
    publish_plan(app_client)
    _source_id, key = add_source(app_client, "web", upstream.url)
    response = app_client.post("/v1/batch", json={"batch": [track("Order Completed", "m1")]}, auth=(key, ""))
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_the_admin_api_gets_no_cors(app_client) -> None:
    for path in ("/api/v1/sources", "/api/v1/plans"):
        pre = preflight(app_client, path)
        assert pre.status_code == 405 and "access-control-allow-origin" not in pre.headers
        got = app_client.get(path, headers={"Origin": PAGE})
        assert got.status_code == 200 and "access-control-allow-origin" not in got.headers


def test_allowed_origins_restrict_a_source(app_client, upstream) -> None:
    publish_plan(app_client)
    _source_id, key = add_source(app_client, "web", upstream.url,
                                 settings={"allowedOrigins": ["https://shop.example.com", "https://*.example.org"]})

    def send(origin: str | None, message_id: str):  # type: ignore[no-untyped-def]
        payload = {"batch": [track("Order Completed", message_id, order_id="o1")]}
        return app_client.post("/v1/b", json=payload, auth=(key, ""), headers={"Origin": origin} if origin else {})

    assert send("https://shop.example.com", "ok-1").status_code == 200
    assert send("https://www.example.org", "ok-2").status_code == 200  # a subdomain of the wildcard
    assert send(None, "ok-3").status_code == 200  # server SDKs send no Origin
    refused = send("https://evil.example.net", "no-1")
    assert refused.status_code == 403
    assert refused.json() == {"code": "origin_not_allowed", "message": "This origin may not send with this writeKey"}
    assert refused.headers["access-control-allow-origin"] == "https://evil.example.net"  # the page can read why
    assert send("https://example.org", "no-2").status_code == 403  # the wildcard is for subdomains only
    assert send("http://shop.example.com", "no-3").status_code == 403  # the scheme counts
    assert sorted(m["messageId"] for m in outbox(app_client)) == ["ok-1", "ok-2", "ok-3"]  # refused: nothing stored


def test_allowed_origins_are_validated_and_normalised(app_client) -> None:
    created = app_client.post("/api/v1/sources", json={"name": "web"})
    assert created.status_code == 201
    patched = app_client.patch("/api/v1/sources/web/settings",
                               json={"allowedOrigins": ["HTTPS://Shop.Example.com:443/", "http://127.0.0.1:8080"]})
    assert patched.status_code == 200, patched.text
    assert patched.json()["allowedOrigins"] == ["https://shop.example.com", "http://127.0.0.1:8080"]
    for bad in ("shop.example.com", "https://shop.example.com/path", "ftp://x.example.com", "*"):
        refused = app_client.patch("/api/v1/sources/web/settings", json={"allowedOrigins": [bad]})
        assert refused.status_code == 422, bad
        assert refused.json()["code"] == "validation_failed"
        assert refused.json()["details"][0]["path"].startswith("allowedOrigins")
