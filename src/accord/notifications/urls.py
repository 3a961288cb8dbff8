"""Which webhook URLs the hub accepts, checked when registered and again before each send."""

from __future__ import annotations

from accord import outbound
from accord.config import Settings
from accord.errors import N_, InvalidInput, Message

MAX_URL_LENGTH = 2000
# Why the outbound rules refused an address (``outbound.Refused.code``), as a person reads it
# beside the field in their language; the rules' own words are English, for logs.
REFUSED = {
    "unreachable": N_("its host name does not resolve"),
    "internal_address": N_("it points to an address that is not a public one"),
}
BAD_URL = {
    ("https",): N_("not a web address starting with https://, without a user name or password"),
    ("https", "http"): N_(
        "not a web address starting with https:// or http://, without a user name or password"
    ),
}


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
        said = BAD_URL[schemes] if exc.code == "bad_url" else REFUSED.get(exc.code, exc.message)
        raise InvalidInput(
            Message(N_("url: %(message)s"), message=Message(said)), field="url"
        ) from None
    return url
