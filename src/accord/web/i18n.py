"""Pages in the viewer's language and time zone: gettext catalogs (Babel) and locale formatting.

English is the source language: its strings are the msgids in the templates, so a string
missing from another language's catalog shows in English. Catalogs are the ``.po`` files
under ``accord/locale/<language>/LC_MESSAGES/``, compiled in memory on first use, so a fresh
``pip install -e .`` needs no build step. Stored times stay UTC; only their display moves to
the viewer's zone. See docs/i18n.md.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from babel.core import negotiate_locale
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

# N_ is defined beside the errors (which mark their sentences too) and offered here to pages.
from accord.errors import N_ as N_
from accord.errors import say
from accord.i18n import (
    DEFAULT_ZONE,
    DOMAIN,
    LANGUAGES,
    MOMENT,
    SOURCE_LANGUAGE,
    Viewer,
    accepted_languages,
    canonical_zone,
    format_day,
    format_when,
    is_zone,
    moments_in,
    number_in,
    resolve_zone,
    translations,
    zone_label,
    zone_names,
)

# What the pages' modules read through here, defined in accord.i18n (so that the command
# line's client tools need no web stack): re-exported.
__all__ = [
    "DEFAULT_ZONE",
    "DOMAIN",
    "LANGUAGES",
    "SOURCE_LANGUAGE",
    "Viewer",
    "accepted_languages",
    "canonical_zone",
    "format_day",
    "format_when",
    "is_zone",
    "moments_in",
    "number_in",
    "resolve_zone",
    "translations",
    "zone_label",
    "zone_names",
]

if TYPE_CHECKING:  # only annotations: figures mark strings without importing FastAPI
    from collections.abc import Callable

    from fastapi import Request
    from sqlalchemy.orm import Session

LANGUAGE_COOKIE = "accord_lang"
ZONE_COOKIE = "accord_tz"
# What the browser reports (static/zone.js writes Intl's resolvedOptions().timeZone): used
# when the viewer chose no zone.
BROWSER_ZONE_COOKIE = "accord_browser_tz"
# A preference kept for a year; it is not a secret, so scripts may read it.
PREFERENCE_MAX_AGE = 365 * 24 * 3600


def choose_language(request: Request) -> str:
    """The language chosen with the switch in this browser, else the one a signed-in user
    saved with their account (chosen on another device), else the browser's preference, else
    English."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    saved = saved_language(request)
    if saved in LANGUAGES:
        return saved
    preferred = accepted_languages(request.headers.get("accept-language", ""))
    return negotiate_locale(preferred, list(LANGUAGES), sep="-") or SOURCE_LANGUAGE


def choose_zone(request: Request, saved: str | None = None) -> str:
    """The viewer's time zone (:func:`resolve_zone`) from the request's cookies."""
    return resolve_zone(
        saved, request.cookies.get(ZONE_COOKIE), request.cookies.get(BROWSER_ZONE_COOKIE)
    )


def zone_guessed(request: Request) -> bool:
    """Whether no zone was known for this request (none saved, chosen or reported by the
    browser): the page is written in UTC and ``static/zone.js`` rewrites its moments (the
    ``<time data-local>`` elements) in the browser's zone before they are shown."""
    return not any(
        canonical_zone(name)
        for name in (
            saved_zone(request),
            request.cookies.get(ZONE_COOKIE),
            request.cookies.get(BROWSER_ZONE_COOKIE),
        )
    )


def viewer_of(request: Request) -> Viewer:
    """The viewer's language and zone: the zone saved for a signed-in user, else the cookies."""
    return Viewer(language=choose_language(request), zone=choose_zone(request, saved_zone(request)))


def saved_zone(request: Request) -> str | None:
    """The zone the signed-in user saved (``/preferences``), read once per request through
    the request's own session; None for a visitor, or where the session cannot be used (an
    ``async`` route on the event loop: the cookie the same form set then stands in)."""

    def read(db: Session, user_id: int) -> str | None:
        from accord.disclosure import timezones  # the preference's table; imported when used

        return timezones.preference(db, user_id)

    return _saved(request, "saved_zone", read)


def saved_language(request: Request) -> str | None:
    """The language the signed-in user saved (``/preferences``), read once per request like
    :func:`saved_zone`; None for a visitor or where the session cannot be used."""

    def read(db: Session, user_id: int) -> str | None:
        from sqlalchemy import select

        from accord.identity.models import User  # the account's table; imported when used

        return db.scalar(select(User.language).where(User.id == user_id))

    return _saved(request, "saved_language", read)


def _saved(request: Request, name: str, read: Callable[[Session, int], str | None]) -> str | None:
    """A signed-in user's saved preference, kept on the request's state under ``name`` so that
    it is read once per request, through the request's own session."""
    state = request.state
    if hasattr(state, name):
        found: str | None = getattr(state, name)
        return found
    actor = getattr(state, "actor", None)
    db = getattr(state, "db", None)
    user_id = getattr(actor, "user_id", None)
    if user_id is None or db is None or _on_event_loop():
        return None
    value = read(db, user_id)
    setattr(state, name, value)
    return value


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _viewer(context: Context) -> Viewer:
    viewer = context.get("viewer")
    return viewer if isinstance(viewer, Viewer) else Viewer()


@pass_context
def day(context: Context, value: date | None) -> Markup:
    """Template filter: a ``<time>`` element holding the ISO day, the locale's date shown."""
    if value is None:
        return Markup("")
    shown = format_day(value, _viewer(context))
    return Markup('<time datetime="{}">{}</time>').format(value.isoformat(), shown)


def _local(context: Context, viewer: Viewer) -> bool:
    """Whether a moment written for ``viewer`` is one that zone.js rewrites in the browser's
    zone: the page's zone was guessed (see :func:`zone_guessed`) and the moment is in it."""
    return bool(context.get("zone_guessed")) and viewer == _viewer(context)


def _for(context: Context, zone: str | None) -> Viewer:
    """The viewer, in ``zone`` where it names one."""
    viewer = _viewer(context)
    if zone is not None and canonical_zone(zone) is not None:
        found = canonical_zone(zone) or DEFAULT_ZONE
        if found != viewer.zone:
            return Viewer(language=viewer.language, zone=found)
    return viewer


def _time(iso: str, shown: str, *, local: bool) -> Markup:
    if local:
        return Markup('<time datetime="{}" data-local>{}</time>').format(iso, shown)
    return Markup('<time datetime="{}">{}</time>').format(iso, shown)


@pass_context
def when(context: Context, value: datetime | None, zone: str | None = None) -> Markup:
    """Template filter: a ``<time>`` element, machine-readable UTC inside, local text shown.

    ``zone`` overrides the viewer's zone cookie where a page knows better (the disclosure
    pages keep a signed-in user's own zone); an unknown name falls back to the viewer's.
    On a page whose zone was guessed, the element is marked ``data-local`` for zone.js.
    """
    if value is None:
        return Markup("")
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    iso = aware.astimezone(UTC).isoformat().replace("+00:00", "Z")
    viewer = _for(context, zone)
    return _time(iso, format_when(value, viewer), local=_local(context, viewer))


@pass_context
def moments(context: Context, text: object, zone: str | None = None, local: bool = True) -> str:
    """Template filter: :func:`moments_in` for the viewer (or ``zone``); plain text, escaped
    by the template. On a page whose zone was guessed, each moment is a ``<time data-local>``
    element (the rest escaped here) that zone.js rewrites in the browser's zone; ``local=False``
    keeps plain text (a page comparing it with another text)."""
    viewer = _for(context, zone)
    if not (local and _local(context, viewer)):
        return moments_in(str(text), viewer)
    out, start = [], 0
    for match in MOMENT.finditer(str(text)):
        try:
            moment = datetime.fromisoformat(match[0].replace("Z", "+00:00"))
        except ValueError:
            continue
        iso = moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
        out += [
            escape(str(text)[start : match.start()]),
            _time(iso, format_when(moment, viewer), local=True),
        ]
        start = match.end()
    return Markup("").join([*out, escape(str(text)[start:])])


@pass_context
def zone_name(context: Context, zone: str | None = None) -> Markup:
    """Template filter: the viewer's zone (or ``zone``) named in their language
    (:func:`zone_label`), the tz name in ``title``; marked for zone.js where it was guessed."""
    viewer = _for(context, zone)
    label = zone_label(viewer.zone, viewer.language)
    if _local(context, viewer):
        return Markup('<span class="zone-name" title="{}" data-local-zone>{}</span>').format(
            viewer.zone, label
        )
    return Markup('<span class="zone-name" title="{}">{}</span>').format(viewer.zone, label)


@pass_context
def number(context: Context, value: int | float) -> str:
    """Template filter: a number as the viewer's locale writes it (1,234 or 1.234)."""
    return number_in(_viewer(context).language, value)


@pass_context
def gettext(context: Context, message: str) -> str:
    """The viewer's translation of ``message``."""
    return _viewer(context).translations.gettext(message)


@pass_context
def translate(context: Context, message: object) -> str:
    """Template filter: a message defined in Python (marked ``N_``) in the viewer's language.

    Unlike ``_()``, the result is plain text that the template escapes: messages may carry
    what a visitor typed. A message no catalog holds is shown as it is; a domain error's
    :class:`~accord.errors.Message` is said by its id, with its values. Its RFC 3339 moments
    (an error's "until 2027-01-14T16:00:00Z") are written by :func:`format_when`.
    """
    viewer = _viewer(context)
    return moments_in(say(message, viewer.translations.gettext), viewer)


@pass_context
def ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    """The viewer's translation of a message that depends on a count."""
    return _viewer(context).translations.ngettext(singular, plural, n)


@pass_context
def pgettext(context: Context, where: str, message: str) -> str:
    """The viewer's translation of ``message`` in a context (one word, two meanings)."""
    return _viewer(context).translations.pgettext(where, message)


@pass_context
def npgettext(context: Context, where: str, singular: str, plural: str, n: int) -> str:
    """The viewer's translation of a counted message in a context."""
    return _viewer(context).translations.npgettext(where, singular, plural, n)


def safe_next(target: str | None) -> str:
    """A same-site path to go back to; anything else ("//evil.example", "https://…") is "/"."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"
