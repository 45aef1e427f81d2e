"""SSRF guard: a webhook URL is resolved once, every address vetted, and the vetted one used.

Refused unless ``allow_private_addresses`` is set: loopback, private, link-local, shared
(CGNAT), multicast, reserved and unspecified addresses, and every IPv6 form that embeds
one of them (IPv4-mapped, IPv4-compatible, 6to4, NAT64, SIIT); Teredo and local-use NAT64
are refused whatever they carry. Numeric hosts written in a legacy form (``2130706433``,
``0x7f.1``, ``017700000001``) are always refused: no honest URL is written that way.
Connecting to the address that was checked, not to the name, means DNS cannot answer
differently between check and connect.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from busywork.errors import FatalError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeURLError(FatalError):
    """The URL points (or may point) at an address webhooks must not reach."""


@dataclass(frozen=True)
class Target:
    """A vetted destination: connect to ``address``, but speak to ``host``."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def _legacy_numeric(host: str) -> bool:
    """Whether ``host`` is an IPv4 address in anything but the dotted-quad form."""
    try:
        socket.inet_aton(host)
    except OSError:
        return False
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return True
    return False


#: IPv6 prefixes whose last 32 bits are an IPv4 address a gateway will connect to: NAT64's
#: well-known prefix (RFC 6052), IPv4-compatible (deprecated, RFC 4291) and SIIT's
#: IPv4-translated form (RFC 2765). IPv4-mapped and 6to4 have ``ipaddress`` helpers.
_LAST_32_BITS = tuple(
    ipaddress.IPv6Network(prefix) for prefix in ("64:ff9b::/96", "::/96", "::ffff:0:0:0/96")
)
#: IPv6 forms refused outright: Teredo (2001::/32, the client IPv4 is obfuscated and the
#: relay reaches anywhere) and local-use NAT64 (64:ff9b:1::/48, RFC 8215), where the IPv4
#: address may sit at several offsets.
_TUNNELS = tuple(ipaddress.IPv6Network(prefix) for prefix in ("2001::/32", "64:ff9b:1::/48"))


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries (mapped, 6to4, NAT64, compatible, SIIT), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in network for network in _LAST_32_BITS):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """Whether ``address`` is globally routable unicast, through any IPv4 it embeds."""
    if isinstance(address, ipaddress.IPv6Address):
        if any(address in network for network in _TUNNELS):
            return False
        inner = embedded_ipv4(address)
        if inner is not None:
            # The gateway connects to the IPv4 inside: that is what must be public.
            return is_public(inner)
    return address.is_global and not (
        address.is_multicast or address.is_reserved or address.is_unspecified
    )


def vet(url: str, *, allow_private: bool = False) -> Target:
    """Parse, resolve and check ``url``.

    Raises:
        UnsafeURLError: bad scheme, credentials in the URL, an odd numeric host, a name that
            does not resolve, or any resolved address that is not public (unless allowed).
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:  # e.g. "[example.com]": brackets around a name
        raise UnsafeURLError(f"webhook URL is malformed: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeURLError(f"webhook URL must be http(s), not {parts.scheme or 'nothing'!r}")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURLError("webhook URL must not carry credentials; the secret signs instead")
    if not host:
        raise UnsafeURLError("webhook URL has no host")
    if _legacy_numeric(host):
        raise UnsafeURLError(f"webhook host {host!r} is a numeric address in a disguised form")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeURLError("webhook URL has an invalid port") from None
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURLError(f"webhook host {host!r} does not resolve: {exc}") from None
    addresses = sorted({str(info[4][0]) for info in infos})
    if not addresses:
        raise UnsafeURLError(f"webhook host {host!r} does not resolve")
    if not allow_private:
        for text in addresses:
            if not is_public(ipaddress.ip_address(text.split("%")[0])):
                raise UnsafeURLError(
                    f"webhook host {host!r} resolves to non-public address {text}; set"
                    " delivery.allow_private_addresses to allow it"
                )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme=parts.scheme, host=host, port=port, path=path, address=addresses[0])
