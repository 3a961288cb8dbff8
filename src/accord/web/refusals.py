"""The words of the answers the ASGI middleware gives before any route sees a request (408
too slow, 413 too large, 503 saturated): the API's JSON (and TAXII's error resource) says
them in the language the client's ``Accept-Language`` prefers, as the routes' errors do
(``web/errors.py``), names it in ``Content-Language`` and varies by ``Accept-Language``."""

from __future__ import annotations

from starlette.types import Scope

from accord.errors import N_, Message, say
from accord.i18n import SOURCE_LANGUAGE, negotiated_language, translations

TOO_SLOW = N_("the request body was not received within %(seconds)s seconds")
TOO_LARGE = N_("the request body is over the limit of %(limit)s bytes")
SATURATED = N_("the hub is saturated; try again shortly")


def language_of(scope: Scope) -> str:
    """The hub's language the request's ``Accept-Language`` prefers, else English."""
    header = next(
        (value.decode("latin-1") for name, value in scope.get("headers", ())
         if name == b"accept-language"),
        None,
    )  # fmt: skip
    return negotiated_language(header) or SOURCE_LANGUAGE


def spoken(scope: Scope, message: Message) -> tuple[str, list[tuple[bytes, bytes]]]:
    """``message`` in the request's language, and the headers that name that language."""
    language = language_of(scope)
    said = say(message, translations(language).gettext)
    return said, [(b"content-language", language.encode()), (b"vary", b"Accept-Language")]
