"""Real servers for the alert channel tests: an HTTP receiver, a TCP canary, an SMTP server, a CA."""

from __future__ import annotations

import datetime as dt
import importlib.util
import ipaddress
import socket
import ssl
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# The package is not installed in the venv and pyproject sets no pytest ``pythonpath``: make the
# repository root importable when needed (a no-op once either is done).
if importlib.util.find_spec("governance") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

# --- HTTP receiver -------------------------------------------------------------------------


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A ThreadingHTTPServer on 127.0.0.1 that records requests and answers as configured."""

    server: ThreadingHTTPServer
    requests: list[Recorded] = field(default_factory=list)
    status: int = 200
    response_headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    release: threading.Event = field(default_factory=threading.Event)
    sni: list[str | None] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/alerts?team=data"


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            receiver.requests.append(Recorded("POST", self.path, dict(self.headers.items()), body))
            if receiver.delay_s:
                receiver.release.wait(receiver.delay_s)
            self.send_response(receiver.status)
            for name, value in receiver.response_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def start_receiver(tls: ssl.SSLContext | None = None) -> tuple[Receiver, threading.Thread]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.daemon_threads = True
    receiver = Receiver(server)
    server.RequestHandlerClass = _handler(receiver)
    if tls is not None:
        tls.sni_callback = lambda sock, name, ctx: receiver.sni.append(name)
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return receiver, thread


def stop_receiver(receiver: Receiver, thread: threading.Thread) -> None:
    receiver.release.set()
    receiver.server.shutdown()
    receiver.server.server_close()
    thread.join(5)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec, thread = start_receiver()
    yield rec
    stop_receiver(rec, thread)


# --- TCP canary ----------------------------------------------------------------------------


@dataclass
class Canary:
    """Listens on 127.0.0.1 (and ::1 on the same port when possible); counts connections."""

    port: int
    sockets: list[socket.socket]
    connections: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self, sock: socket.socket) -> None:
        sock.settimeout(0.05)
        while not self.stop.is_set():
            try:
                conn, _ = sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.close()


@pytest.fixture
def canary() -> Iterator[Canary]:
    v4 = socket.create_server(("127.0.0.1", 0))
    port = v4.getsockname()[1]
    sockets = [v4]
    try:
        sockets.append(socket.create_server(("::1", port), family=socket.AF_INET6))
    except OSError:
        pass
    can = Canary(port, sockets)
    threads = [threading.Thread(target=can.run, args=(s,), daemon=True) for s in sockets]
    for t in threads:
        t.start()
    yield can
    can.stop.set()
    for t in threads:
        t.join(2)
    for s in sockets:
        s.close()


# --- SMTP ----------------------------------------------------------------------------------


class StoringHandler:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_factory() -> Iterator[Callable[..., tuple[Controller, StoringHandler]]]:
    controllers: list[Controller] = []

    def make(**kwargs: Any) -> tuple[Controller, StoringHandler]:
        handler = StoringHandler()
        controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **kwargs)
        controller.start()
        controllers.append(controller)
        return controller, handler

    yield make
    for c in controllers:
        c.stop()


# --- a throwaway certificate authority -----------------------------------------------------


@dataclass
class CA:
    cert_pem: bytes
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    def client_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cadata=self.cert_pem.decode())
        return ctx

    def server_context(self, tmp_path: Path, *names: str) -> ssl.SSLContext:
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        sans: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
        leaf = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        cert_file = tmp_path / f"{names[0]}.pem"
        key_file = tmp_path / f"{names[0]}.key"
        cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert_file, key_file)
        return ctx


@pytest.fixture(scope="session")
def ca() -> CA:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "governance test CA")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return CA(cert.public_bytes(serialization.Encoding.PEM), key, cert)


# --- fake DNS for names that must resolve to 127.0.0.1 in tests ------------------------------


@dataclass
class FakeDNS:
    """Answers chosen names from a table (a list of answers per call); others go to the system."""

    answers: dict[str, list[list[str]]] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> FakeDNS:
    real = socket.getaddrinfo
    dns = FakeDNS()

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in dns.answers:
            return real(host, port, *args, **kwargs)
        n = dns.calls.get(name, 0)
        dns.calls[name] = n + 1
        answer = dns.answers[name][min(n, len(dns.answers[name]) - 1)]
        out = []
        for ip in answer:
            fam = socket.AF_INET6 if ipaddress.ip_address(ip).version == 6 else socket.AF_INET
            addr = (ip, int(port or 0), 0, 0) if fam == socket.AF_INET6 else (ip, int(port or 0))
            out.append((fam, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", addr))
        return out

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return dns
