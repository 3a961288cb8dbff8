"""Sentences written once, read in each reader's language and zone.

A :class:`Text` is an English message (the msgid, marked where it is written with ``N_`` or
through :func:`ngettext`) and its values; nothing is translated until it meets a reader.
:func:`render` writes it for one: the message from the reader's catalog, its moments through
``web.i18n.format_when`` in the reader's zone, its counts in their locale's digits, and the
values that are themselves texts rendered the same way. Emails are built so, one per
recipient; machines (webhooks) get English with RFC 3339 moments (``reader=None``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TypeAlias, Union

from accord.i18n import Viewer, format_day, format_when, number_in, translations

Value: TypeAlias = Union[str, int, datetime, date, "Text"]


@dataclass(frozen=True)
class Text:
    """A message to translate per reader, with the values its ``%(name)s`` placeholders take."""

    message: str
    values: tuple[tuple[str, Value], ...] = ()
    plural: str | None = None
    count: int | None = None


def text(message: str, **values: Value) -> Text:
    """``message`` (an English msgid marked ``N_`` where it is written) with its values."""
    return Text(message, tuple(values.items()))


def ngettext(singular: str, plural: str, count: int, **values: Value) -> Text:
    """A message that depends on ``count`` (extracted as gettext's ``ngettext``); ``count``
    is its ``%(count)s`` unless given."""
    values.setdefault("count", count)
    return Text(singular, tuple(values.items()), plural=plural, count=count)


def render(value: Value, reader: Viewer | None) -> str:
    """``value`` written for ``reader``; ``None`` is a machine: English, RFC 3339 UTC."""
    if isinstance(value, Text):
        return _render_text(value, reader)
    if isinstance(value, datetime):
        if reader is None:
            aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
            return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return format_when(value, reader)
    if isinstance(value, date):
        return value.isoformat() if reader is None else format_day(value, reader)
    if isinstance(value, bool) or not isinstance(value, int):
        return str(value)
    return str(value) if reader is None else number_in(reader.language, value)


def _render_text(value: Text, reader: Viewer | None) -> str:
    catalog = translations(reader.language if reader is not None else "en")
    if value.plural is not None and value.count is not None:
        message = catalog.ngettext(value.message, value.plural, value.count)
    else:
        message = catalog.gettext(value.message)
    if not value.values:
        return message
    shown: Mapping[str, str] = {name: render(v, reader) for name, v in value.values}
    return message % shown
