"""The CLI's words for people: counts with their plural, moments, in the reader's language.

The reader is the terminal's: the language of ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES`` or
``LANG`` (the first set, as gettext reads them) when the hub speaks it (``es_MX.UTF-8`` is
Spanish), else English; the zone of ``TZ`` when it names one, else UTC. Counts take the
plural their language gives them (``ngettext`` through Babel's catalogs, never an "s"
appended); moments are written by ``web.i18n.format_when``. Tab-separated values and JSON
meant for scripts keep their machine forms.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime

from accord import texts
from accord.errors import say
from accord.i18n import (
    DEFAULT_ZONE,
    LANGUAGES,
    SOURCE_LANGUAGE,
    Viewer,
    canonical_zone,
    format_when,
    moments_in,
    translations,
)

_LANGUAGE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def reader(environ: Mapping[str, str] | None = None) -> Viewer:
    """The terminal's language and zone (see the module's docstring)."""
    env = os.environ if environ is None else environ
    language = SOURCE_LANGUAGE
    for name in _LANGUAGE_VARIABLES:
        value = env.get(name, "")
        if not value:
            continue
        # "ja_JP.UTF-8", "es:en" (LANGUAGE is a list), "C.UTF-8" (no language: English)
        first = value.split(":")[0].split(".")[0].split("@")[0]
        tag = first.split("_")[0].lower()
        language = tag if tag in LANGUAGES else SOURCE_LANGUAGE
        break
    zone = canonical_zone(env.get("TZ", "").lstrip(":")) or DEFAULT_ZONE
    return Viewer(language=language, zone=zone)


def ngettext(singular: str, plural: str, count: int, **values: texts.Value) -> str:
    """A counted message in the terminal's language (extracted as gettext's ``ngettext``);
    ``%(count)s`` is the count written in its digits."""
    return texts.render(texts.ngettext(singular, plural, count, **values), reader())


def gettext(message: str, **values: texts.Value) -> str:
    """A message in the terminal's language (extracted as gettext's ``gettext``)."""
    return texts.render(texts.text(message, **values), reader())


def pgettext(where: str, message: str) -> str:
    """A word whose translation depends on where it stands (``where`` is gettext's context,
    extracted as ``pgettext``): "rejected" of a record is not "rejected" of an application."""
    return translations(reader().language).pgettext(where, message)


def failure(message: object) -> str:
    """The line of a failure: ``error: <message>``, its first word in the terminal's language
    (the message is said already, or is a value as written)."""
    return gettext("error: %(reason)s", reason=str(message))


def schedule(every_minutes: int | None) -> str:
    """How often a remote is pulled or a target pushed, as a listing's column says it."""
    if not every_minutes:
        return gettext("on demand")
    return ngettext("every %(count)s minute", "every %(count)s minutes", every_minutes)


def outcome(problem: str | None) -> str:
    """A listing's last-outcome column: the problem as said, else "ok"."""
    return problem if problem is not None else gettext("ok")


def when(moment: datetime) -> str:
    """A moment as the pages write it, in the terminal's language and zone, named."""
    return format_when(moment, reader())


def moments(message: str) -> str:
    """A message with its RFC 3339 moments written by :func:`when` (errors, notices)."""
    return moments_in(message, reader())


def problem(message: object) -> str:
    """A refusal's message (a domain error's) in the terminal's language, by its message id
    and values where the domain marked it, its moments written by :func:`when`."""
    viewer = reader()
    # A field is named as the command's option names it ("reason: ..." for --reason), not
    # by a page's label: it is the word the person typed.
    said = say(message, translations(viewer.language).gettext, labels=False)
    return moments_in(said, viewer)


def entries(count: int) -> str:
    """``count`` log entries: "1 entry", "2 entries"."""
    return ngettext("%(count)s entry", "%(count)s entries", count)


def advisories(count: int) -> str:
    """``count`` advisories: "1 advisory", "2 advisories"."""
    return ngettext("%(count)s advisory", "%(count)s advisories", count)
