"""Rules for every request the hub makes to an address someone else chose.

Addresses inside the hub's own networks (loopback, private, link-local, anything not
globally routable) are refused unless the operator allowed them
(``ACCORD_OUTBOUND_ALLOW_PRIVATE_ADDRESSES``), so that a URL an organization enters (a
security.txt, a webhook) cannot make the hub probe the network it runs in.

Checking a name and then letting the HTTP client resolve it again is not enough: a DNS
server that answers with a public address for the check and a private one for the connection
(DNS rebinding) would get past it. :func:`client` therefore resolves each name once, at
connection time, checks every address, and connects to the address it checked; TLS still
verifies the certificate against the name.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Iterable, Mapping
from typing import Any

import httpcore
import httpx

from accord.config import Settings
from accord.errors import N_, Message


class Refused(Exception):
    """The destination is not allowed; ``code`` names why for findings and error columns."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _scheme_needed(schemes: tuple[str, ...]) -> str:
    """ "must be an https:// URL", or "... https:// or http:// URL": a sentence per case."""
    written = [f"{scheme}://" for scheme in schemes]
    if len(written) == 1:
        return Message(N_("must be an %(scheme)s URL"), scheme=written[0])
    if len(written) == 2:
        return Message(
            N_("must be an %(first)s or %(second)s URL"), first=written[0], second=written[1]
        )
    return Message(
        N_("must be a URL starting with one of: %(schemes)s"), schemes=", ".join(written)
    )


def check_public(host: str, port: int, *, settings: Settings) -> None:
    """Raise :class:`Refused` unless every address ``host`` resolves to is public."""
    if not settings.outbound_allow_private_addresses:
        public_address(host, port)


def check_url(url: str, *, settings: Settings, schemes: tuple[str, ...] = ("https",)) -> httpx.URL:
    """``url`` parsed, once its scheme is one of ``schemes``, it names a host and no
    credentials, and the host resolves to public addresses only (unless the settings allow
    private ones); else :class:`Refused`. Checked before anything is stored about the URL;
    the connection is checked again, and pinned, by :func:`transport`."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise Refused("bad_url", N_("not a valid URL")) from None
    if parsed.scheme not in schemes or not parsed.host:
        raise Refused("bad_url", _scheme_needed(schemes))
    if parsed.userinfo:
        raise Refused("bad_url", N_("must not carry a user name or password"))
    check_public(
        parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80), settings=settings
    )
    return parsed


def public_address(host: str, port: int) -> str:
    """The address to connect to for ``host``, once every address it resolves to is public.

    Every address must be public, not only the one used: a name that also resolves to an
    internal address is refused rather than raced.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise Refused(
            "unreachable", Message(N_("the host name %(host)r does not resolve"), host=host)
        ) from None
    if not infos:
        raise Refused(
            "unreachable", Message(N_("the host name %(host)r does not resolve"), host=host)
        )
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise Refused(
                "internal_address",
                Message(N_("%(host)s resolves to a non-public address"), host=host),
            )
    return str(infos[0][4][0])


class _PinnedBackend(httpcore.SyncBackend):
    """Connects to the public address it resolved and checked itself, never a second lookup."""

    def __init__(self, settings: Settings) -> None:
        self._allow_private = settings.outbound_allow_private_addresses

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        address = host if self._allow_private else public_address(host, port)
        return super().connect_tcp(address, port, timeout, local_address, socket_options)


def transport(settings: Settings, *, verify: ssl.SSLContext | bool = True) -> httpx.HTTPTransport:
    """The transport every outbound request goes through: each connection checked and pinned.

    For clients built elsewhere (a federation client with its own authentication): hand them
    this transport and never a proxy from the environment.
    """
    # One SSL context (loading the CA bundle is the costly part), shared by both pools.
    context = httpx.create_ssl_context(verify=verify)
    pool = httpcore.ConnectionPool(ssl_context=context, network_backend=_PinnedBackend(settings))
    found = httpx.HTTPTransport(verify=context)
    # httpx builds its pool without a way to pass a network backend; swap in one that has it.
    found._pool = pool
    return found


def client(
    settings: Settings,
    *,
    verify: ssl.SSLContext | bool = True,
    headers: Mapping[str, str] | None = None,
    follow_redirects: bool = False,
) -> httpx.Client:
    """An HTTP client for addresses others chose: checked at connection, no redirects followed
    unless asked (each redirect's connection is checked as the first one was).

    A connection to a refused address raises :class:`Refused` out of the request. No proxy
    from the environment: a proxy would resolve names itself, past the check.
    """
    return httpx.Client(
        transport=transport(settings, verify=verify),
        timeout=httpx.Timeout(settings.outbound_timeout_seconds),
        follow_redirects=follow_redirects,
        trust_env=False,
        headers=dict(headers or {}),
    )


def allowing_private(settings: Settings, allow: bool) -> Settings:
    """``settings``, with private addresses allowed too when ``allow`` (a command's
    ``--allow-private-network``: a hub pulling from its own network)."""
    if not allow or settings.outbound_allow_private_addresses:
        return settings
    return settings.model_copy(update={"outbound_allow_private_addresses": True})
