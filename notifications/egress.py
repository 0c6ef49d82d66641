"""Where the worker may send a webhook: one rule for addresses, one look-up, and the connection to the address checked.

A URL's host is resolved once (`check_url`); every address it resolves to must pass `address_allowed`, and
`connect` opens the TCP connection to the address that was checked, while the Host header, TLS SNI and the
certificate check use the host name. So a name that answers a public address for the check and an internal
one a moment later (DNS rebinding) never reaches the internal one. Redirects are never followed (http.client
does not follow them; a 3xx is a failed delivery in the log).

Registration (notifications.webhook_service) and delivery (notifications.webhooks) both call `check_url`.
The only exception is `WEBHOOK_TEST_HOSTS` (docs/operations.md): host names, in ALLOWED_HOSTS syntax, whose
addresses are not checked, so that the test suite can deliver to its receivers on loopback. Empty in production.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from urllib.parse import SplitResult, urlsplit

from django.conf import settings
from django.http.request import validate_host

Address = IPv4Address | IPv6Address

# IPv6 prefixes that carry an IPv4 address in their last 32 bits: the connection ends up at that IPv4 address.
NAT64 = ip_network("64:ff9b::/96")
IPV4_COMPATIBLE = ip_network("::/96")  # deprecated ::a.b.c.d
# Relays, not destinations: a relay of the network's, not we, would choose where the packet goes, so a 6to4
# address is refused whatever IPv4 address it embeds (NAT64 ones are refused as reserved).
SIX_TO_FOUR = ip_network("2002::/16")
_TLS = ssl.create_default_context()  # verifies the certificate against the host name given to wrap_socket


class UnsafeUrl(ValueError):
    pass


def _embedded_ipv4(address: IPv6Address) -> list[IPv4Address]:
    found = [a for a in (address.ipv4_mapped, address.sixtofour) if a is not None]
    if address.teredo:
        found.extend(address.teredo)
    if address in NAT64 or address in IPV4_COMPATIBLE:
        found.append(IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def _public(address: Address) -> bool:
    # is_global alone is not enough: Python 3.11 calls multicast, ::/8 and 6to4 addresses global.
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, IPv6Address) and address.is_site_local)
    )


def address_allowed(address: Address) -> bool:
    """Whether a webhook may connect to this address: public, and so is every IPv4 address embedded in it."""
    if isinstance(address, IPv6Address) and address in SIX_TO_FOUR:
        return False
    embedded = _embedded_ipv4(address) if isinstance(address, IPv6Address) else []
    return all(_public(a) for a in (address, *embedded))


@dataclass(frozen=True)
class Target:
    """A checked URL: connect to `address`; speak to `host` (Host header, SNI, certificate)."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def _split(url: str) -> tuple[SplitResult, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeUrl("Use an http:// or https:// URL with a host name.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeUrl("The port in the URL is not a number from 1 to 65535.") from None
    return parts, port


def _resolve(host: str, port: int) -> list[Address]:
    try:
        return [ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnsafeUrl(f"The host {host} does not resolve.") from None
    return list(dict.fromkeys(ip_address(str(info[4][0])) for info in infos))


def _exempt(host: str) -> bool:
    return validate_host(host, list(getattr(settings, "WEBHOOK_TEST_HOSTS", [])))


def check_url(url: str) -> Target:
    """Resolve the URL's host once and check every address; raises UnsafeUrl with a sentence for the partner."""
    parts, port = _split(url)
    host = parts.hostname or ""
    addresses = _resolve(host, port)
    if not _exempt(host) and not all(address_allowed(a) for a in addresses):
        raise UnsafeUrl(f"The host {host} is not a public address.")
    path = parts.path or "/"
    return Target(parts.scheme, host, port, path + (f"?{parts.query}" if parts.query else ""), str(addresses[0]))


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP connection to `target.address`, whatever `target.host` resolves to now."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.target = target

    def connect(self) -> None:
        self.sock = socket.create_connection((self.target.address, self.target.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.target.scheme == "https":
            self.sock = _TLS.wrap_socket(self.sock, server_hostname=self.target.host)


class Connection:
    """One POST to a checked target, all of it (connect, send, answer) within `timeout` seconds."""

    def __init__(self, target: Target, timeout: float) -> None:
        self._http = _PinnedConnection(target, timeout)
        self._timeout = timeout
        self._expired = threading.Event()
        self._http.connect()
        # A receiver that answers a byte every few seconds would pass every per-read timeout: cut it off.
        self._timer = threading.Timer(timeout, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self) -> None:
        self._expired.set()
        sock = self._http.sock
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)

    def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        """The status and up to 500 characters of the answer."""
        target = self._http.target
        try:
            self._http.request("POST", target.path, body=body, headers=headers)
            response = self._http.getresponse()
            return response.status, response.read(500).decode(errors="replace")
        except (OSError, http.client.HTTPException) as exc:
            if self._expired.is_set():
                raise TimeoutError(f"no answer within {self._timeout:g} s") from exc
            raise

    def close(self) -> None:
        self._timer.cancel()
        self._http.close()


@contextmanager
def connect(target: Target, timeout: float) -> Iterator[Connection]:
    connection = Connection(target, timeout)
    try:
        yield connection
    finally:
        connection.close()
