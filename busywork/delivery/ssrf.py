"""SSRF guard: a webhook URL is resolved once, every address vetted, and the vetted one used.

Refused unless ``allow_private_addresses`` is set: loopback, private, link-local, shared
(CGNAT), multicast, reserved and unspecified addresses, and IPv4-mapped IPv6 forms of any
of them. Numeric hosts written in a legacy form (``2130706433``, ``0x7f.1``, ``017700000001``)
are always refused: no honest URL is written that way. Connecting to the address that was
checked, not to the name, means DNS cannot answer differently between check and connect.
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


def is_public(address: IPAddress) -> bool:
    """Whether ``address`` is globally routable unicast (IPv4-mapped IPv6 unwrapped)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
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
