"""Which webhook URLs the hub accepts, checked when registered and again before each send."""

from __future__ import annotations

import httpx

from accord import outbound
from accord.config import Settings
from accord.errors import InvalidInput

MAX_URL_LENGTH = 2000


def checked_webhook_url(url: str, *, settings: Settings) -> str:
    """``url`` if the hub may deliver to it, else :class:`InvalidInput` on ``url``.

    https:// only (unless ``ACCORD_WEBHOOK_ALLOW_HTTP``), no credentials in it, and a host
    that resolves to public addresses only (the outbound rules of :mod:`accord.outbound`).
    """
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"url: at most {MAX_URL_LENGTH} characters", field="url")
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise InvalidInput("url: not a valid URL", field="url") from None
    schemes = ("https", "http") if settings.webhook_allow_http else ("https",)
    if parsed.scheme not in schemes or not parsed.host:
        raise InvalidInput("url: must be an https:// URL", field="url")
    if parsed.userinfo:
        raise InvalidInput("url: must not carry a user name or password", field="url")
    try:
        outbound.check_public(parsed.host, parsed.port or _default_port(parsed), settings=settings)
    except outbound.Refused as exc:
        raise InvalidInput(f"url: {exc.message}", field="url") from None
    return url


def _default_port(url: httpx.URL) -> int:
    return 443 if url.scheme == "https" else 80
