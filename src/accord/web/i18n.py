"""Pages in the viewer's language and time zone: gettext catalogs (Babel) and locale formatting.

English is the source language: its strings are the msgids in the templates, so a string
missing from another language's catalog shows in English. Catalogs are the ``.po`` files
under ``accord/locale/<language>/LC_MESSAGES/``, compiled in memory on first use, so a fresh
``pip install -e .`` needs no build step. Stored times stay UTC; only their display moves to
the viewer's zone. See docs/i18n.md.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
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

if TYPE_CHECKING:  # only annotations: figures mark strings without importing FastAPI
    from fastapi import Request

SOURCE_LANGUAGE = "en"
# Each language by its own name, as the switch shows it.
LANGUAGES: dict[str, str] = {"en": "English", "es": "Español", "ja": "日本語"}
LANGUAGE_COOKIE = "accord_lang"
ZONE_COOKIE = "accord_tz"
DEFAULT_ZONE = "UTC"
DOMAIN = "messages"
# A preference kept for a year; it is not a secret, so scripts may read it.
PREFERENCE_MAX_AGE = 365 * 24 * 3600


def N_(message: str) -> str:  # noqa: N802 (the gettext convention for "mark, translate later")
    """Mark a string for extraction where it is defined; templates translate it when shown."""
    return message


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
def zone_names() -> frozenset[str]:
    """Every IANA time zone name this machine knows."""
    return frozenset(available_timezones())


def is_zone(name: str | None) -> bool:
    """Whether ``name`` is an IANA time zone name (``Europe/Madrid``), or UTC."""
    return name == DEFAULT_ZONE or (name is not None and name in zone_names())


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
    """The language chosen with the switch, else the browser's preference, else English."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    preferred = accepted_languages(request.headers.get("accept-language", ""))
    return negotiate_locale(preferred, list(LANGUAGES), sep="-") or SOURCE_LANGUAGE


def choose_zone(request: Request) -> str:
    """The viewer's time zone from its preference cookie; UTC when unset or not a zone."""
    name = request.cookies.get(ZONE_COOKIE)
    return name if name is not None and is_zone(name) else DEFAULT_ZONE


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
    """The viewer's language and zone, from the request."""
    return Viewer(language=choose_language(request), zone=choose_zone(request))


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
    """``value`` as the viewer's locale writes a date and time, in the viewer's zone, named."""
    return _when_formatter(viewer.language, viewer.zone)(value)


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
    if zone is not None and is_zone(zone):
        viewer = Viewer(language=viewer.language, zone=zone)
    return Markup('<time datetime="{}">{}</time>').format(iso, format_when(value, viewer))


@pass_context
def number(context: Context, value: int | float) -> str:
    """Template filter: a number as the viewer's locale writes it (1,234 or 1.234)."""
    return _number(_viewer(context).language, value)


@functools.lru_cache(maxsize=4096)
def _number(language: str, value: int | float) -> str:
    # Pages write the same small counts many times (a thread list of 200 vendors).
    return format_decimal(value, locale=_locale(language))


@pass_context
def gettext(context: Context, message: str) -> str:
    """The viewer's translation of ``message``."""
    return _viewer(context).translations.gettext(message)


@pass_context
def translate(context: Context, message: object) -> str:
    """Template filter: a message defined in Python (marked ``N_``) in the viewer's language.

    Unlike ``_()``, the result is plain text that the template escapes: messages may carry
    what a visitor typed. A message no catalog holds is shown as it is.
    """
    return _viewer(context).translations.gettext(str(message))


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
