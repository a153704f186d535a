"""The forwarder's transport (``upstream_http``) against real HTTP(S) servers on 127.0.0.1: kept-alive
connections, a connection the server closed, redirects not followed, Retry-After, a large or slow
answer, TLS with the URL's host as SNI and certificate name while connecting to the vetted IP."""

from __future__ import annotations

import datetime as dt
import http.server
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from governance.clock import utcnow
from governance.proxy.upstream import Delivery, post
from governance.proxy.upstream_http import Pool
from governance.settings import Settings

BODY = b'{"batch":[{"messageId":"m1"}]}'


class Upstream(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[tuple[str, dict[str, str], bytes, int]] = []  # path, headers, body, client port
        self.answer: dict[str, Any] = {"status": 200, "headers": {}, "body": b'{"success":true}', "close": False,
                                       "sleep": 0.0}

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Upstream

    def log_message(self, *_args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        self.server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body,
                                     self.client_address[1]))
        answer = self.server.answer
        time.sleep(answer["sleep"])
        self.send_response(answer["status"])
        for name, value in answer["headers"].items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(answer["body"])))
        self.end_headers()
        self.wfile.write(answer["body"])
        self.close_connection = answer["close"]  # closed after the answer, without announcing it


@contextmanager
def serving(tls: ssl.SSLContext | None = None) -> Iterator[Upstream]:
    server = Upstream()
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def send(pool: Pool, url: str, settings: Settings | None = None) -> Delivery:
    return post(pool, url, BODY, {"content-type": "application/json", "authorization": "Basic a2V5Og=="},
                settings=settings or Settings(), now=utcnow())


def test_requests_share_one_kept_alive_connection_and_carry_the_urls_host() -> None:
    pool = Pool(5.0)
    with serving() as upstream:
        results = [send(pool, f"http://127.0.0.1:{upstream.port}/segment") for _ in range(5)]
    pool.close()
    assert all(r.ok and r.status == 200 for r in results)
    assert pool.opened == 1 and len({port for *_rest, port in upstream.requests}) == 1
    path, headers, body, _port = upstream.requests[0]
    assert path == "/segment/v1/batch" and body == BODY
    assert headers["host"] == f"127.0.0.1:{upstream.port}" and headers["authorization"] == "Basic a2V5Og=="
    assert headers["content-type"] == "application/json" and headers["content-length"] == str(len(BODY))


def test_a_connection_the_server_closed_is_not_reused() -> None:
    pool = Pool(5.0)
    with serving() as upstream:
        upstream.answer["close"] = True
        first = send(pool, f"http://127.0.0.1:{upstream.port}")
        time.sleep(0.2)  # the server has closed the idle connection by now
        second = send(pool, f"http://127.0.0.1:{upstream.port}")
    pool.close()
    assert first.ok and second.ok and len(upstream.requests) == 2
    assert pool.opened == 2


def test_redirects_are_not_followed_and_retry_after_is_read() -> None:
    pool = Pool(5.0)
    with serving() as upstream:
        url = f"http://127.0.0.1:{upstream.port}"
        upstream.answer.update(status=307, headers={"location": f"{url}/elsewhere"})
        redirected = send(pool, url)
        upstream.answer.update(status=503, headers={"retry-after": "7"})
        unavailable = send(pool, url)
    pool.close()
    assert not redirected.ok and redirected.status == 307 and "not retried" in (redirected.error or "")
    assert [p for p, *_ in upstream.requests] == ["/v1/batch", "/v1/batch"]  # the Location was never asked
    assert unavailable.status == 503 and unavailable.retry_after == 7.0 and "(retried)" in (unavailable.error or "")


def test_a_large_answer_is_cut_and_its_connection_dropped() -> None:
    pool = Pool(5.0)
    with serving() as upstream:
        upstream.answer["body"] = b"x" * (4 * 2**20)
        big = send(pool, f"http://127.0.0.1:{upstream.port}")
        upstream.answer["body"] = b"{}"
        after = send(pool, f"http://127.0.0.1:{upstream.port}")
    pool.close()
    assert big.ok and after.ok and pool.opened == 2  # the cut connection was not reused


def test_a_slow_upstream_times_out_within_the_timeout() -> None:
    pool = Pool(0.5)
    with serving() as upstream:
        upstream.answer["sleep"] = 2.0
        started = time.monotonic()
        result = send(pool, f"http://127.0.0.1:{upstream.port}", Settings(upstream_timeout_s=0.5))
        took = time.monotonic() - started
    pool.close()
    assert not result.ok and result.status is None
    assert result.error == "upstream timed out after 0.5 s" and took < 1.8


def test_a_refused_connection_is_a_retryable_network_error() -> None:
    with serving() as upstream:
        port = upstream.port
    result = send(Pool(2.0), f"http://127.0.0.1:{port}")
    assert not result.ok and result.status is None and (result.error or "").startswith("network error (")


def _certificate(directory: Path, name: str) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_https_sends_the_urls_host_as_sni_and_checks_the_certificate_for_it(tmp_path: Path) -> None:
    """``localhost`` resolves to the vetted 127.0.0.1 (the connection's address), while the TLS
    handshake names ``localhost``: a certificate for that name passes, one for another name does not."""
    cert, key = _certificate(tmp_path, "localhost")
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    names: list[str | None] = []
    server_tls.sni_callback = lambda _sock, name, _ctx: names.append(name)
    trusting = ssl.create_default_context(cafile=str(cert))
    (tmp_path / "other").mkdir()
    other_cert, _key = _certificate(tmp_path / "other", "other.test")
    with serving(server_tls) as upstream:
        pool = Pool(5.0, tls=trusting)
        first, second = (send(pool, f"https://localhost:{upstream.port}") for _ in range(2))
        pool.close()
        wrong = send(Pool(5.0, tls=ssl.create_default_context(cafile=str(other_cert))),
                     f"https://localhost:{upstream.port}")
        untrusted = send(Pool(5.0), f"https://localhost:{upstream.port}")  # certifi's roots: not ours
    assert first.ok and second.ok and pool.opened == 1
    assert names[0] == "localhost" and upstream.requests[0][1]["host"] == f"localhost:{upstream.port}"
    assert not wrong.ok and (wrong.error or "").startswith("network error (")
    assert not untrusted.ok and len(upstream.requests) == 2
