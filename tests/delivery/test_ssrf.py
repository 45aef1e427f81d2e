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
