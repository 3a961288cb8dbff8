"""Pages in the viewer's language and time zone: gettext catalogs (Babel) and locale formatting.

English is the source language: its strings are the msgids in the templates, so a string
missing from another language's catalog shows in English. Catalogs are the ``.po`` files
under ``accord/locale/<language>/LC_MESSAGES/``, compiled in memory on first use, so a fresh
``pip install -e .`` needs no build step. Stored times stay UTC; only their display moves to
the viewer's zone. See docs/i18n.md.
"""

from __future__ import annotations

import asyncio
import functools
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from gettext import NullTranslations
from importlib import resources
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale
from babel.core import negotiate_locale
from babel.dates import (
    get_date_format,
    get_datetime_format,
    get_time_format,
    parse_pattern,
)
from babel.messages import mofile, pofile
from babel.numbers import format_decimal
from babel.support import Translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

# N_ is defined beside the errors (which mark their sentences too) and offered here to pages.
from accord.errors import N_ as N_
from accord.errors import say

if TYPE_CHECKING:  # only annotations: figures mark strings without importing FastAPI
    from fastapi import Request

SOURCE_LANGUAGE = "en"
# Each language by its own name, as the switch shows it.
LANGUAGES: dict[str, str] = {"en": "English", "es": "Español", "ja": "日本語"}
LANGUAGE_COOKIE = "accord_lang"
ZONE_COOKIE = "accord_tz"
# What the browser reports (static/zone.js writes Intl's resolvedOptions().timeZone): used
# when the viewer chose no zone.
BROWSER_ZONE_COOKIE = "accord_browser_tz"
DEFAULT_ZONE = "UTC"
DOMAIN = "messages"
# A preference kept for a year; it is not a secret, so scripts may read it.
PREFERENCE_MAX_AGE = 365 * 24 * 3600


@functools.cache
def translations(language: str) -> NullTranslations:
    """The catalog of ``language``, compiled from its ``.po`` file once per process."""
    if language == SOURCE_LANGUAGE or language not in LANGUAGES:
        return NullTranslations()
    po = resources.files("accord") / "locale" / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po.open("rb") as source:
        catalog = pofile.read_po(source, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    mofile.write_mo(compiled, catalog)  # fuzzy entries are left out: they show in English
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


@functools.cache
def _locale(language: str) -> Locale:
    """The Babel locale of ``language``, parsed once."""
    return Locale.parse(language)


@functools.cache
def _tzdata() -> tuple[frozenset[str], dict[str, str]]:
    """The zones and the links (alias to zone) of the tz database, from tzdata's ``tzdata.zi``.

    Links are the ``backward`` names (``GB-Eire``, ``US/Eastern``, ``Asia/Calcutta``) and the
    names merged into another zone; ``Factory`` is a zone of no place.
    """
    source = resources.files("tzdata") / "zoneinfo" / "tzdata.zi"
    zones: set[str] = set()
    links: dict[str, str] = {}
    for line in source.read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] == "Z":
            zones.add(fields[1])
        elif len(fields) >= 3 and fields[0] == "L":
            links[fields[2]] = fields[1]
    return frozenset(zones), links


@functools.cache
def zone_names() -> tuple[str, ...]:
    """The zones a viewer can choose, sorted: every canonical place name (``Area/City``) of
    the tz database and UTC; no alias (``GB-Eire``, ``US/Pacific``), no ``Etc/GMT+5``, no
    ``Factory``, no ``localtime``."""
    zones, _ = _tzdata()
    usable = available_timezones()
    places = {z for z in zones if "/" in z and not z.startswith("Etc/") and z in usable}
    return tuple(sorted(places | {DEFAULT_ZONE}))


def canonical_zone(name: str | None) -> str | None:
    """The zone a name stands for: itself if it is one of :func:`zone_names`, the zone an
    alias links to (``Asia/Calcutta`` is ``Asia/Kolkata``, ``Etc/UTC`` is UTC), else None."""
    if not name:
        return None
    choices = frozenset(zone_names())
    if name in choices:
        return name
    _, links = _tzdata()
    seen = 0
    while name in links and seen < 4:  # a link to a link, at worst
        name, seen = links[name], seen + 1
    if name in choices:
        return name
    return DEFAULT_ZONE if name in {"Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu"} else None


def is_zone(name: str | None) -> bool:
    """Whether ``name`` is a zone a viewer may choose (see :func:`zone_names`)."""
    return name is not None and name in frozenset(zone_names())


def accepted_languages(header: str) -> list[str]:
    """The language tags of an Accept-Language header, most preferred first (RFC 9110 12.5.4)."""
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag.strip()))
    return [tag for _, _, tag in sorted(weighted)]


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


def resolve_zone(saved: str | None, chosen: str | None, browser: str | None) -> str:
    """The zone a viewer reads times in: the one saved with their account, else the one
    chosen in this browser, else the one the browser reports, else UTC."""
    for name in (saved, chosen, browser):
        zone = canonical_zone(name)
        if zone is not None:
            return zone
    return DEFAULT_ZONE


def choose_zone(request: Request, saved: str | None = None) -> str:
    """The viewer's time zone (:func:`resolve_zone`) from the request's cookies."""
    return resolve_zone(
        saved, request.cookies.get(ZONE_COOKIE), request.cookies.get(BROWSER_ZONE_COOKIE)
    )


@dataclass(frozen=True)
class Viewer:
    """How one viewer reads the pages: language and time zone."""

    language: str = SOURCE_LANGUAGE
    zone: str = DEFAULT_ZONE

    @property
    def locale(self) -> Locale:
        return _locale(self.language)

    @property
    def translations(self) -> NullTranslations:
        return translations(self.language)


def viewer_of(request: Request) -> Viewer:
    """The viewer's language and zone: the zone saved for a signed-in user, else the cookies."""
    return Viewer(language=choose_language(request), zone=choose_zone(request, saved_zone(request)))


def saved_zone(request: Request) -> str | None:
    """The zone the signed-in user saved (``/preferences``), read once per request through
    the request's own session; None for a visitor, or where the session cannot be used (an
    ``async`` route on the event loop: the cookie the same form set then stands in)."""
    state = request.state
    if hasattr(state, "saved_zone"):
        found: str | None = state.saved_zone
        return found
    actor = getattr(state, "actor", None)
    db = getattr(state, "db", None)
    user_id = getattr(actor, "user_id", None)
    if user_id is None or db is None or _on_event_loop():
        return None
    from accord.disclosure import timezones  # the preference's table; imported when used

    state.saved_zone = timezones.preference(db, user_id)
    return state.saved_zone  # type: ignore[no-any-return]


def saved_language(request: Request) -> str | None:
    """The language the signed-in user saved (``/preferences``), read once per request like
    :func:`saved_zone`; None for a visitor or where the session cannot be used."""
    state = request.state
    if hasattr(state, "saved_language"):
        found: str | None = state.saved_language
        return found
    actor = getattr(state, "actor", None)
    db = getattr(state, "db", None)
    user_id = getattr(actor, "user_id", None)
    if user_id is None or db is None or _on_event_loop():
        return None
    from sqlalchemy import select

    from accord.identity.models import User  # the account's table; imported when used

    state.saved_language = db.scalar(select(User.language).where(User.id == user_id))
    return state.saved_language  # type: ignore[no-any-return]


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _viewer(context: Context) -> Viewer:
    viewer = context.get("viewer")
    return viewer if isinstance(viewer, Viewer) else Viewer()


@functools.lru_cache(maxsize=256)
def _when_formatter(language: str, zone: str) -> Callable[[datetime], str]:
    """How ``language`` writes a moment in ``zone``: Babel's patterns parsed once, not per
    date (a case page formats hundreds of dates; parsing them each time was a fifth of its
    render)."""
    locale = Locale.parse(language)
    tz = ZoneInfo(zone)
    date_pattern = parse_pattern(get_date_format("medium", locale=locale))
    time_pattern = parse_pattern(get_time_format("short", locale=locale))
    glue = str(get_datetime_format("medium", locale=locale)).replace("'", "")

    @functools.lru_cache(maxsize=4096)
    def formatted(local: datetime) -> str:
        # Babel's format_date and format_time, with their patterns already parsed.
        date = date_pattern.apply(local.date(), locale)
        time = time_pattern.apply(local, locale, reference_date=local.date())
        return f"{glue.replace('{0}', time).replace('{1}', date)} {zone}"

    def format_one(value: datetime) -> str:
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        # One entry per minute shown: the seconds are not, and many messages share a minute.
        return formatted(aware.astimezone(tz).replace(second=0, microsecond=0))

    return format_one


def format_when(value: datetime, viewer: Viewer) -> str:
    """``value`` as the viewer's locale writes a date and time, in the viewer's zone, named.

    The one way the hub shows a moment to people: pages (the ``when`` filter), generated
    text (case history, notices, email) and the report PDFs all call it.
    """
    return _when_formatter(viewer.language, viewer.zone)(value)


@functools.lru_cache(maxsize=4096)
def _day(language: str, value: date) -> str:
    return str(
        parse_pattern(get_date_format("medium", locale=_locale(language))).apply(
            value, _locale(language)
        )
    )


def format_day(value: date, viewer: Viewer) -> str:
    """A calendar day (a UTC day of a snapshot, a campaign's end) as the viewer's locale
    writes a date: the companion of :func:`format_when` for values that are days, not moments."""
    return _day(viewer.language, value)


@pass_context
def day(context: Context, value: date | None) -> Markup:
    """Template filter: a ``<time>`` element holding the ISO day, the locale's date shown."""
    if value is None:
        return Markup("")
    shown = format_day(value, _viewer(context))
    return Markup('<time datetime="{}">{}</time>').format(value.isoformat(), shown)


@pass_context
def when(context: Context, value: datetime | None, zone: str | None = None) -> Markup:
    """Template filter: a ``<time>`` element, machine-readable UTC inside, local text shown.

    ``zone`` overrides the viewer's zone cookie where a page knows better (the disclosure
    pages keep a signed-in user's own zone); an unknown name falls back to the viewer's.
    """
    if value is None:
        return Markup("")
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    iso = aware.astimezone(UTC).isoformat().replace("+00:00", "Z")
    viewer = _viewer(context)
    if zone is not None and canonical_zone(zone) is not None:
        viewer = Viewer(language=viewer.language, zone=canonical_zone(zone) or DEFAULT_ZONE)
    return Markup('<time datetime="{}">{}</time>').format(iso, format_when(value, viewer))


# A moment as the hub's records write it (RFC 3339: 2026-12-05T23:47:38.707Z, or an offset).
_MOMENT = re.compile(
    r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})"
)


def moments_in(text: str, viewer: Viewer) -> str:
    """Generated text (a case's history, a notice) with each RFC 3339 moment in it written by
    :func:`format_when`: the records keep UTC, the reader reads their own zone."""

    def local(match: re.Match[str]) -> str:
        try:
            moment = datetime.fromisoformat(match[0].replace("Z", "+00:00"))
        except ValueError:
            return match[0]
        return format_when(moment, viewer)

    return _MOMENT.sub(local, text)


@pass_context
def moments(context: Context, text: object, zone: str | None = None) -> str:
    """Template filter: :func:`moments_in` for the viewer (or ``zone``); plain text, escaped
    by the template."""
    viewer = _viewer(context)
    if zone is not None and canonical_zone(zone) is not None:
        viewer = Viewer(language=viewer.language, zone=canonical_zone(zone) or DEFAULT_ZONE)
    return moments_in(str(text), viewer)


@pass_context
def number(context: Context, value: int | float) -> str:
    """Template filter: a number as the viewer's locale writes it (1,234 or 1.234)."""
    return _number(_viewer(context).language, value)


@functools.lru_cache(maxsize=4096)
def _number(language: str, value: int | float) -> str:
    # Pages write the same small counts many times (a thread list of 200 vendors).
    return format_decimal(value, locale=_locale(language))


def number_in(language: str, value: int | float) -> str:
    """A number as ``language`` writes it (emails, the CLI)."""
    return _number(language, value)


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
