"""The SSRF guard: a corpus of refused spellings, public literals, allowed networks, a canary."""

from __future__ import annotations

import ipaddress
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.alerts.channels.webhook import deliver_webhook
from governance.ssrf import UnresolvableHost, UnsafeUrl, address_refusal, vet_url

from .conftest import Canary, FakeDNS, Receiver

REFUSED = [
    "http://127.1/",
    "http://2130706433/",
    "http://0x7f.1/",
    "http://017700000001/",
    "http://127.0.0.1/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[2002:7f00:1::]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[64:ff9b:1::5db8:d70e]/",
    "http://169.254.169.254/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/",
    "http://[2002:a9fe:a9fe::]/",
    "http://10.0.0.1/",
    "http://192.168.1.1/",
    "http://172.16.0.1/",
    "http://100.64.0.1/",
    "http://0.0.0.0/",
    "http://0/",
    "http://[::]/",
    "http://localhost/",
    "http://LOCALHOST./",
    "http://api.localhost/",
    "http://[fe80::1]/",
    "http://[fd00:ec2::254]/",
    "http://[fc00::1]/",
    "http://[::127.0.0.1]/",
    "http://[2001::5db8:d70e]/",
    "http://[2001:db8::1]/",
    "http://224.0.0.1/",
    "http://[ff02::1]/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://198.18.0.1/",
    "https://192.0.2.10/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_non_public_destinations_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl) as info:
        vet_url(url)
    assert info.value.reason


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "scheme"),
        ("gopher://93.184.215.14:70/", "scheme"),
        ("ftp://93.184.215.14/", "scheme"),
        ("93.184.215.14/hook", "scheme"),
        ("http://user:pw@93.184.215.14/", "credentials"),
        ("http://user@93.184.215.14/", "credentials"),
        ("http://93.184.215.14\\@127.0.0.1/", "credentials"),
        ("http:///nohost", "no host"),
        ("http://93.184.215.14:99999/", "malformed"),
    ],
)
def test_malformed_or_unsupported_urls_are_refused(url: str, reason: str) -> None:
    with pytest.raises(UnsafeUrl, match=reason):
        vet_url(url)


def test_reasons_name_the_range() -> None:
    cases = {
        "http://169.254.169.254/": "metadata",
        "http://[fd00:ec2::254]/": "metadata",
        "http://100.64.0.1/": "carrier-grade NAT",
        "http://[2002:7f00:1::]/": "6to4 form of 127.0.0.1 (loopback)",
        "http://[64:ff9b::a9fe:a9fe]/": "NAT64 form of 169.254.169.254",
        "http://[::ffff:10.1.2.3]/": "IPv4-mapped form of 10.1.2.3",
        "http://[2001::1]/": "Teredo",
        "http://2130706433/": "127.0.0.1: loopback",
    }
    for url, fragment in cases.items():
        with pytest.raises(UnsafeUrl, match=re.escape(fragment)):
            vet_url(url)


@pytest.mark.parametrize(
    ("url", "ip", "port", "host_header"),
    [
        ("http://93.184.215.14/", "93.184.215.14", 80, "93.184.215.14"),
        ("https://93.184.215.14:8443/a?b=c", "93.184.215.14", 8443, "93.184.215.14:8443"),
        (
            "http://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/",
            "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
            80,
            "[2606:2800:21f:cb07:6820:80da:af6b:8b2c]",
        ),
        ("http://[2002:5db8:d70e::1]/", "2002:5db8:d70e::1", 80, "[2002:5db8:d70e::1]"),
        ("http://[64:ff9b::5db8:d70e]/", "64:ff9b::5db8:d70e", 80, "[64:ff9b::5db8:d70e]"),
    ],
)
def test_public_literals_are_accepted(url: str, ip: str, port: int, host_header: str) -> None:
    target = vet_url(url)
    assert (target.ip, target.port, target.host_header) == (ip, port, host_header)
    assert target.url == url


def test_vetted_target_keeps_path_and_query() -> None:
    target = vet_url("https://93.184.215.14/hooks/x?token=1#frag")
    assert target.path == "/hooks/x?token=1"
    assert target.ip_url == "https://93.184.215.14:443/hooks/x?token=1"


def test_allowed_network_lets_loopback_through() -> None:
    target = vet_url("http://127.0.0.1:8080/x", allowed_networks=["127.0.0.0/8"])
    assert target.ip == "127.0.0.1" and target.port == 8080
    assert vet_url("http://[::ffff:127.0.0.1]/", allowed_networks=["127.0.0.0/8"]).ip == "::ffff:7f00:1"
    assert vet_url("http://10.1.2.3/", allowed_networks=["10.0.0.0/8"]).ip == "10.1.2.3"
    local = vet_url("http://api.localhost.:9000/", allowed_networks=["127.0.0.0/8"])
    assert (local.ip, local.host_header) == ("127.0.0.1", "api.localhost.:9000")
    with pytest.raises(UnsafeUrl):
        vet_url("http://10.1.2.3/", allowed_networks=["127.0.0.0/8"])


def test_metadata_stays_refused_even_when_its_network_is_allowed() -> None:
    for url in ("http://169.254.169.254/", "http://[::ffff:169.254.169.254]/"):
        with pytest.raises(UnsafeUrl, match="metadata"):
            vet_url(url, allowed_networks=["169.254.0.0/16", "0.0.0.0/0", "::/0"])
    with pytest.raises(UnsafeUrl, match="metadata"):
        vet_url("http://[fd00:ec2::254]/", allowed_networks=["fc00::/7"])


def test_bad_allowed_network_is_an_error() -> None:
    with pytest.raises(ValueError, match="does not appear"):
        vet_url("http://93.184.215.14/", allowed_networks=["not-a-cidr"])


def test_any_private_answer_refuses_the_host(fake_dns: FakeDNS) -> None:
    fake_dns.answers["mixed.example.test"] = [["93.184.215.14", "10.0.0.1"]]
    with pytest.raises(UnsafeUrl, match=re.escape("10.0.0.1")):
        vet_url("https://mixed.example.test/")


def test_internationalised_names_are_vetted_in_their_ascii_form(fake_dns: FakeDNS) -> None:
    fake_dns.answers["xn--bcher-kva.example.test"] = [["93.184.215.14"]]
    target = vet_url("https://Bücher.example.test/hook")
    assert (target.host, target.ip, target.host_header) == (
        "xn--bcher-kva.example.test",
        "93.184.215.14",
        "xn--bcher-kva.example.test",
    )
    fake_dns.answers["xn--bcher-kva.internal.test"] = [["10.0.0.7"]]
    with pytest.raises(UnsafeUrl, match="private"):
        vet_url("https://bücher.internal.test/hook")


def test_unresolvable_host_is_its_own_error(fake_dns: FakeDNS) -> None:
    fake_dns.answers["empty.example.test"] = [[]]
    with pytest.raises(UnresolvableHost):
        vet_url("https://empty.example.test/")
    with pytest.raises(UnresolvableHost):
        vet_url("https://does-not-exist.invalid/")


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_integer_spelling_has_the_dotted_verdict(n: int) -> None:
    dotted = ipaddress.IPv4Address(n)

    def verdict(url: str) -> bool:
        try:
            vet_url(url)
        except UnsafeUrl:
            return False
        return True

    assert verdict(f"http://{n}/") == verdict(f"http://{dotted}/") == (address_refusal(dotted) is None)


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_embedded_ipv4_forms_share_the_ipv4_verdict(n: int) -> None:
    v4 = ipaddress.IPv4Address(n)
    public = address_refusal(v4) is None
    mapped = ipaddress.IPv6Address((0xFFFF << 32) | n)
    six_to_four = ipaddress.IPv6Address((0x2002 << 112) | (n << 80) | 1)
    nat64 = ipaddress.IPv6Address((0x64FF9B << 96) | n)
    for form in (mapped, six_to_four, nat64):
        assert (address_refusal(form) is None) == public, form


LOOPBACK_SPELLINGS = [
    "127.0.0.1",
    "127.1",
    "2130706433",
    "0x7f.1",
    "0x7f000001",
    "017700000001",
    "0177.0.0.1",
    "127.0.1",
    "0",
    "0.0.0.0",
    "localhost",
    "LocalHost.",
    "[::1]",
    "[::]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[0:0:0:0:0:ffff:7f00:1]",
]


def test_canary_receives_no_connection_from_any_loopback_spelling(canary: Canary) -> None:
    for spelling in LOOPBACK_SPELLINGS:
        result = deliver_webhook(
            f"http://{spelling}:{canary.port}/hook", {"x": 1}, secret=None, timeout_s=0.5
        )
        assert not result.ok and result.status is None and not result.retryable, spelling
        assert result.error and "refusing" in result.error
    assert canary.connections == 0
    # positive control: the canary does notice a connection when loopback is explicitly allowed
    allowed = deliver_webhook(
        f"http://127.0.0.1:{canary.port}/hook",
        {"x": 1},
        secret=None,
        timeout_s=0.5,
        allowed_networks=["127.0.0.0/8"],
    )
    assert not allowed.ok and allowed.retryable
    assert canary.connections == 1


@pytest.mark.parametrize("location", ["http://169.254.169.254/latest/meta-data/", "canary"])
def test_redirects_are_not_followed(receiver: Receiver, canary: Canary, location: str) -> None:
    receiver.status = 302
    target = f"http://127.0.0.1:{canary.port}/stolen" if location == "canary" else location
    receiver.response_headers["Location"] = target
    result = deliver_webhook(receiver.url, {"x": 1}, secret=None, allowed_networks=["127.0.0.0/8"])
    assert (result.ok, result.status, result.retryable, result.disable) == (False, 302, False, False)
    assert result.error is not None and "not followed" in result.error and target in result.error
    assert len(receiver.requests) == 1
    assert canary.connections == 0


def test_dns_is_resolved_once_and_the_vetted_ip_is_used(receiver: Receiver, fake_dns: FakeDNS) -> None:
    # first answer is allowed, any later answer would be the metadata endpoint (DNS rebinding)
    fake_dns.answers["rebind.example.test"] = [["127.0.0.1"], ["169.254.169.254"]]
    url = f"http://rebind.example.test:{receiver.port}/hook"
    result = deliver_webhook(url, {"x": 1}, secret=None, allowed_networks=["127.0.0.0/8"])
    assert result.ok, result.error
    assert fake_dns.calls["rebind.example.test"] == 1
    assert receiver.requests[0].headers["Host"] == f"rebind.example.test:{receiver.port}"
