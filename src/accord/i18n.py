"""The hub's languages and time zones, apart from the web: gettext catalogs (Babel), the
zones a person may choose, and the one way a moment and a number are written for a reader.

The pages (``accord.web.i18n``, which adds their filters and cookies), emails
(``accord.texts``) and the command line (``accord.cli.words``) all write through here, so the
command line's client tools (``accord check``) read catalogs without importing the web stack.
English is the source language; catalogs are the ``.po`` files under
``accord/locale/<language>/LC_MESSAGES/``, compiled in memory on first use. See docs/i18n.md.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from gettext import NullTranslations
from importlib import resources
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale
from babel.core import negotiate_locale
from babel.dates import (
    get_date_format,
    get_datetime_format,
    get_time_format,
    get_timezone_location,
    parse_pattern,
)
from babel.messages import mofile, pofile
from babel.numbers import format_decimal
from babel.support import Translations

SOURCE_LANGUAGE = "en"

# Each language by its own name, as the switch shows it.
LANGUAGES: dict[str, str] = {"en": "English", "es": "Español", "ja": "日本語"}

DEFAULT_ZONE = "UTC"

DOMAIN = "messages"


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


@functools.lru_cache(maxsize=1024)
def zone_label(zone: str, language: str) -> str:
    """A zone as ``language`` names it for people: its place (CLDR's location format, "hora de
    México (Ciudad de México)", 「日本時間」), UTC by its name ("tiempo universal coordinado
    (UTC)"); the tz name (``America/Mexico_City``) is for the preferences' field, not prose."""
    locale = _locale(language)
    if zone == DEFAULT_ZONE:
        names = locale.time_zones.get("Etc/UTC", {}).get("long", {})
        return f"{names.get('standard', 'UTC')} (UTC)" if "standard" in names else "UTC"
    try:
        return str(get_timezone_location(zone, locale=locale))
    except LookupError:  # a zone newer than Babel's CLDR: its own name
        return zone


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


def negotiated_language(header: str | None) -> str | None:
    """The hub's language an Accept-Language header prefers (``es-MX`` finds ``es``), or
    None where it names none of them (or there is no header). The API's words (an error's
    message, a report's language) follow it, English by default; pages also read cookies."""
    preferred = accepted_languages(header or "")
    found: str | None = negotiate_locale(preferred, list(LANGUAGES), sep="-")
    return found


def resolve_zone(saved: str | None, chosen: str | None, browser: str | None) -> str:
    """The zone a viewer reads times in: the one saved with their account, else the one
    chosen in this browser, else the one the browser reports, else UTC."""
    for name in (saved, chosen, browser):
        zone = canonical_zone(name)
        if zone is not None:
            return zone
    return DEFAULT_ZONE


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


# A moment as the hub's records write it (RFC 3339: 2026-12-05T23:47:38.707Z, or an offset).
MOMENT = re.compile(
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

    return MOMENT.sub(local, text)


@functools.lru_cache(maxsize=4096)
def _number(language: str, value: int | float) -> str:
    # Pages write the same small counts many times (a thread list of 200 vendors).
    return format_decimal(value, locale=_locale(language))


def number_in(language: str, value: int | float) -> str:
    """A number as ``language`` writes it (emails, the CLI)."""
    return _number(language, value)


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
