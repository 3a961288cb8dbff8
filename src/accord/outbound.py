"""Rules for every request the hub makes to an address someone else chose.

Addresses inside the hub's own networks (loopback, private, link-local, anything not
globally routable) are refused unless the operator allowed them
(``ACCORD_OUTBOUND_ALLOW_PRIVATE_ADDRESSES``), so that a URL an organization enters (a
security.txt, a webhook) cannot make the hub probe the network it runs in.
"""

from __future__ import annotations

import ipaddress
import socket

from accord.config import Settings


class Refused(Exception):
    """The destination is not allowed; ``code`` names why for findings and error columns."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_public(host: str, port: int, *, settings: Settings) -> None:
    """Raise :class:`Refused` unless every address ``host`` resolves to is public."""
    if settings.outbound_allow_private_addresses:
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise Refused("unreachable", f"the host name {host!r} does not resolve") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise Refused("internal_address", f"{host} resolves to a non-public address")
