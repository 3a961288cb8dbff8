"""Which webhook URLs the hub accepts, checked when registered and again before each send."""

from __future__ import annotations

from accord import outbound
from accord.config import Settings
from accord.errors import N_, InvalidInput, Message

MAX_URL_LENGTH = 2000


def checked_webhook_url(url: str, *, settings: Settings) -> str:
    """``url`` if the hub may deliver to it, else :class:`InvalidInput` on ``url``.

    https:// only (unless ``ACCORD_WEBHOOK_ALLOW_HTTP``), no credentials in it, and a host
    that resolves to public addresses only (the outbound rules of :mod:`accord.outbound`).
    """
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(
            Message(
                N_("url: at most %(MAX_URL_LENGTH)s characters"), MAX_URL_LENGTH=MAX_URL_LENGTH
            ),
            field="url",
        )
    schemes = ("https", "http") if settings.webhook_allow_http else ("https",)
    try:
        outbound.check_url(url, settings=settings, schemes=schemes)
    except outbound.Refused as exc:
        raise InvalidInput(
            Message(N_("url: %(message)s"), message=exc.message), field="url"
        ) from None
    return url
