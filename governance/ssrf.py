"""SSRF guard for outbound requests: alert deliveries (webhooks, Slack) and forwarding upstreams.

``vet_url`` (webhooks: only public addresses) and ``vet_upstream`` (upstreams: everything but
link-local and cloud metadata, since self-hosted routers live on loopback and private networks)
share one resolver and one table of rules. ``vet_url`` parses a URL, resolves its host once
with ``socket.getaddrinfo`` (which also normalises odd IPv4 spellings such as ``127.1``,
``2130706433`` or ``0x7f.1``) and refuses it unless *every* resolved address is globally
routable, or sits inside a network the operator explicitly allows. The result carries the vetted
IP: callers connect to that IP, so a second DNS answer (DNS rebinding) can never swap the
destination.

    UnsafeUrl(ValueError)          refused: scheme, credentials, non-public address
    └── UnresolvableHost           the host does not resolve (may be transient)

The address rules are rows of data (``_V4_RULES`` / ``_V6_RULES``); IPv6 forms that embed an
IPv4 address (IPv4-mapped, 6to4, NAT64 well-known prefix) are checked on the embedded address.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_PORTS = {"http": 80, "https": 443}
LOOPBACK = ipaddress.IPv4Address("127.0.0.1")

# Cloud metadata endpoints are refused even when an allowed network covers them.
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)


class UnsafeUrl(ValueError):
    """The URL may not be fetched; ``reason`` says why."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"refusing {url!r}: {reason}")
        self.url = url
        self.reason = reason


class UnresolvableHost(UnsafeUrl):
    """The host did not resolve; a later attempt may succeed."""


class _Embedded(Enum):
    """What to do with an IPv6 range that carries an IPv4 address."""

    MAPPED = "IPv4-mapped"  # ::ffff:a.b.c.d
    SIX_TO_FOUR = "6to4"  # 2002:AABB:CCDD::/48
    NAT64 = "NAT64"  # 64:ff9b::a.b.c.d


_V4_RULES: tuple[tuple[str, str], ...] = (
    ("169.254.169.254/32", "cloud metadata endpoint"),
    ("255.255.255.255/32", "broadcast"),
    ("0.0.0.0/8", "unspecified / 'this network'"),
    ("10.0.0.0/8", "private (RFC 1918)"),
    ("100.64.0.0/10", "carrier-grade NAT (RFC 6598)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private (RFC 1918)"),
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("192.0.2.0/24", "documentation (TEST-NET-1)"),
    ("192.88.99.0/24", "6to4 relay anycast"),
    ("192.168.0.0/16", "private (RFC 1918)"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation (TEST-NET-2)"),
    ("203.0.113.0/24", "documentation (TEST-NET-3)"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
)

_V6_RULES: tuple[tuple[str, str | _Embedded], ...] = (
    ("fd00:ec2::254/128", "cloud metadata endpoint"),
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("::ffff:0:0/96", _Embedded.MAPPED),
    ("::/96", "IPv4-compatible (deprecated)"),
    ("64:ff9b::/96", _Embedded.NAT64),
    ("64:ff9b:1::/48", "NAT64 local-use prefix"),
    ("100::/64", "discard-only"),
    ("2001::/32", "Teredo tunnel"),
    ("2001:db8::/32", "documentation"),
    ("2001::/23", "IETF protocol assignments"),
    ("2002::/16", _Embedded.SIX_TO_FOUR),
    ("fc00::/7", "unique local (private)"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local (deprecated)"),
    ("ff00::/8", "multicast"),
)

_V4_TABLE = tuple((ipaddress.IPv4Network(net), why) for net, why in _V4_RULES)
_V6_TABLE = tuple((ipaddress.IPv6Network(net), why) for net, why in _V6_RULES)


@dataclass(frozen=True)
class VettedTarget:
    """A URL that passed the guard, and the address to connect to."""

    url: str
    scheme: str
    host: str  # as written in the URL, lower-cased, without brackets
    port: int
    ip: str  # the vetted address: connect here, never re-resolve ``host``
    path: str  # path and query, at least "/"

    @property
    def host_header(self) -> str:
        """The ``Host`` header value for the original host."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if DEFAULT_PORTS[self.scheme] == self.port else f"{host}:{self.port}"

    @property
    def ip_url(self) -> str:
        """The URL with the host replaced by the vetted IP."""
        ip = f"[{self.ip}]" if ":" in self.ip else self.ip
        return f"{self.scheme}://{ip}:{self.port}{self.path}"


def parse_networks(cidrs: Sequence[str]) -> tuple[IPNetwork, ...]:
    """Parse operator-allowed CIDRs; a malformed entry raises ``ValueError``."""
    return tuple(ipaddress.ip_network(c.strip(), strict=False) for c in cidrs)


def address_refusal(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a public destination, or ``None`` when it is."""
    if isinstance(ip, ipaddress.IPv4Address):
        for net4, why in _V4_TABLE:
            if ip in net4:
                return why
        return None if ip.is_global else "not globally routable"
    if ip.scope_id:
        return "scoped (zone) address"
    for net6, rule in _V6_TABLE:
        if ip not in net6:
            continue
        if isinstance(rule, str):
            return rule
        embedded = _embedded_v4(ip, rule)
        inner = address_refusal(embedded)
        return None if inner is None else f"{rule.value} form of {embedded} ({inner})"
    return None if ip.is_global else "not globally routable"


def _embedded_v4(ip: ipaddress.IPv6Address, kind: _Embedded) -> ipaddress.IPv4Address:
    if kind is _Embedded.SIX_TO_FOUR:
        return ipaddress.IPv4Address((int(ip) >> 80) & 0xFFFFFFFF)
    return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)


def _views(ip: IPAddress) -> list[IPAddress]:
    """``ip`` and, for the IPv6 forms that embed one, its IPv4 address."""
    views: list[IPAddress] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        for net6, rule in _V6_TABLE:
            if isinstance(rule, _Embedded) and ip in net6:
                views.append(_embedded_v4(ip, rule))
    return views


def _is_allowed(ip: IPAddress, allowed: Sequence[IPNetwork]) -> bool:
    views = _views(ip)
    if any(v in METADATA_ADDRESSES for v in views):
        return False
    return any(v.version == n.version and v in n for v in views for n in allowed)


def _split(url: str) -> tuple[SplitResult, str, int]:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl(url, f"malformed URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise UnsafeUrl(url, f"scheme {scheme or '(none)'!r} is not http or https")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl(url, "credentials in the URL are not allowed")
    host = parts.hostname or ""
    if not host:
        raise UnsafeUrl(url, "no host")
    if not host.isascii() and ":" not in host:
        try:  # one spelling for DNS, the Host header and SNI
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise UnsafeUrl(url, f"host {host!r} is not a valid internationalised name") from None
    return parts, host, port if port is not None else DEFAULT_PORTS[scheme]


def resolve(host: str, port: int) -> list[IPAddress]:
    """All addresses ``host`` resolves to (TCP), in resolver order, without duplicates."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    seen: list[IPAddress] = []
    for family, *_, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        ip = ipaddress.ip_address(str(sockaddr[0]))
        if ip not in seen:
            seen.append(ip)
    return seen


def _addresses(url: str, host: str, port: int) -> list[IPAddress]:
    name = host.rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return [LOOPBACK]  # RFC 6761: never ask DNS about localhost names
    try:
        addresses = resolve(host, port)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise UnresolvableHost(url, f"host {host!r} does not resolve ({exc})") from None
    if not addresses:
        raise UnresolvableHost(url, f"host {host!r} has no IPv4/IPv6 address")
    return addresses


def _target(url: str, parts: SplitResult, host: str, port: int, ip: IPAddress) -> VettedTarget:
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return VettedTarget(url=url, scheme=parts.scheme.lower(), host=host, port=port, ip=str(ip), path=path)


def vet_url(url: str, *, allowed_networks: Sequence[str] = ()) -> VettedTarget:
    """Resolve ``url``'s host and refuse it unless every address is public or allowed."""
    parts, host, port = _split(url)
    allowed = parse_networks(allowed_networks)
    addresses = _addresses(url, host, port)
    for ip in addresses:  # every answer must pass, not just the one we will connect to
        reason = address_refusal(ip)
        if reason is not None and not _is_allowed(ip, allowed):
            raise UnsafeUrl(url, f"{host!r} resolves to {ip}: {reason}")
    return _target(url, parts, host, port, addresses[0])


LINK_LOCAL = (ipaddress.IPv4Network("169.254.0.0/16"), ipaddress.IPv6Network("fe80::/10"))


def upstream_refusal(ip: IPAddress, *, allowed: Sequence[IPNetwork] = (),
                     denied: Sequence[IPNetwork] = ()) -> str | None:
    """Why an upstream may not be reached at ``ip`` (checked on the address and on the IPv4 address
    an IPv6 form embeds), or ``None``: metadata always refused, then ``denied``, then ``allowed``,
    then link-local refused; loopback, private and public addresses pass."""
    views = _views(ip)
    if any(v in METADATA_ADDRESSES for v in views):
        return "cloud metadata endpoint"
    if any(v.version == n.version and v in n for v in views for n in denied):
        return "in a denied network"
    if any(v.version == n.version and v in n for v in views for n in allowed):
        return None
    if any(v.version == n.version and v in n for v in views for n in LINK_LOCAL):
        return "link-local"
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
        return "scoped (zone) address"
    return None


def vet_upstream(url: str, *, allowed_networks: Sequence[str] = (),
                 denied_networks: Sequence[str] = ()) -> VettedTarget:
    """Resolve an upstream URL's host and refuse it when any address is refused (``upstream_refusal``)."""
    parts, host, port = _split(url)
    allowed, denied = parse_networks(allowed_networks), parse_networks(denied_networks)
    addresses = _addresses(url, host, port)
    for ip in addresses:
        reason = upstream_refusal(ip, allowed=allowed, denied=denied)
        if reason is not None:
            raise UnsafeUrl(url, f"{host!r} resolves to {ip}: {reason}")
    return _target(url, parts, host, port, addresses[0])
