"""The SSRF guard refuses every non-public target, however it is written."""

from __future__ import annotations

import ipaddress

import pytest

from busywork.delivery.ssrf import UnsafeURLError, is_public, vet

REFUSED = [
    "http://127.0.0.1/hook",
    "http://localhost:8080/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:10.0.0.1]/hook",
    "http://2130706433/hook",
    "http://0x7f.1/hook",
    "http://017700000001/hook",
    "http://127.1/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://100.64.0.1/",
    "http://10.1.2.3/",
    "http://192.168.1.1/",
    "http://172.16.0.1/",
    "http://0.0.0.0/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://[example.com]/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_non_public_targets_are_refused(url: str) -> None:
    with pytest.raises(UnsafeURLError):
        vet(url)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://8.8.8.8/",
        "http://user:pass@8.8.8.8/",
        "file:///etc/passwd",
        "http:///nohost",
        "http://8.8.8.8:99999/",
    ],
)
def test_malformed_or_credentialed_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsafeURLError):
        vet(url)


def test_public_address_passes_and_is_pinned() -> None:
    target = vet("https://8.8.8.8/hooks?x=1")
    assert (target.scheme, target.host, target.port, target.path, target.address) == (
        "https",
        "8.8.8.8",
        443,
        "/hooks?x=1",
        "8.8.8.8",
    )


def test_private_addresses_pass_only_when_allowed() -> None:
    assert vet("http://127.0.0.1:9/h", allow_private=True).address == "127.0.0.1"
    with pytest.raises(UnsafeURLError, match="numeric address in a disguised form"):
        vet("http://2130706433/", allow_private=True)


def test_ipv4_mapped_public_address_is_public() -> None:
    assert is_public(ipaddress.ip_address("::ffff:8.8.8.8"))
    assert not is_public(ipaddress.ip_address("::ffff:192.168.0.1"))


@pytest.mark.parametrize(
    "address",
    [
        "2002:7f00:1::",  # 6to4 of 127.0.0.1 (found by outside testing)
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "2002:a9fe:a9fe::",  # 6to4 of the metadata address 169.254.169.254
        "64:ff9b::7f00:1",  # NAT64 well-known prefix, 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b:1::808:808",  # local-use NAT64: refused whatever it carries
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo
        "2001:0:5ef5:79fd::1",  # Teredo, public-looking server
        "::7f00:1",  # IPv4-compatible 127.0.0.1
        "::a00:1",  # IPv4-compatible 10.0.0.1
        "::ffff:0:7f00:1",  # SIIT IPv4-translated 127.0.0.1
        "::ffff:a9fe:a9fe",  # IPv4-mapped 169.254.169.254
    ],
)
def test_every_ipv6_form_embedding_a_private_ipv4_is_refused(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))
    with pytest.raises(UnsafeURLError):
        vet(f"http://[{address}]/hook")


@pytest.mark.parametrize("address", ["2002:808:808::1", "64:ff9b::808:808", "::ffff:8.8.8.8"])
def test_embedding_forms_of_a_public_ipv4_are_judged_by_what_they_carry(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))
