"""Time zones: every moment is stored in UTC and shown in the viewer's zone, named.

A signed-in user keeps a zone here (the preferences page saves it); anyone (the reporter
included) may pick one for the browser, kept in a cookie, and the browser reports its own.
Which one a page uses is ``web.i18n.resolve_zone``; how a moment is written,
``web.i18n.format_when``.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.disclosure.models import TimeZonePreference
from accord.errors import N_, InvalidInput, Message
from accord.web import i18n

COOKIE = i18n.ZONE_COOKIE
DEFAULT = i18n.DEFAULT_ZONE


def check(name: str, *, field: str = "time_zone") -> str:
    """The zone ``name`` stands for (an alias is read as its zone), else :class:`InvalidInput`."""
    zone = i18n.canonical_zone(name)
    if zone is None:
        raise InvalidInput(
            Message(
                N_("%(field)s: %(name)r is not an IANA time zone name"), field=field, name=name
            ),
            field=field,
        )
    return zone


def preference(db: Session, user_id: int | None) -> str | None:
    """The zone a user chose, if any."""
    if user_id is None:
        return None
    return db.scalar(
        select(TimeZonePreference.time_zone).where(TimeZonePreference.user_id == user_id)
    )


def set_preference(db: Session, *, user_id: int, name: str) -> str:
    """Keep ``name`` as the user's zone."""
    name = check(name)
    found = db.get(TimeZonePreference, user_id)
    if found is None:
        db.add(TimeZonePreference(user_id=user_id, time_zone=name))
    else:
        found.time_zone = name
    return name


def parse_local(text: str, zone: str, *, field: str) -> datetime:
    """A ``datetime-local`` form value read in ``zone``, as an aware datetime."""
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            Message(N_("%(field)s: not a date and time (YYYY-MM-DDTHH:MM)"), field=field),
            field=field,
        ) from None
    if naive.tzinfo is not None:
        return naive
    tz = UTC if zone == DEFAULT else zoneinfo.ZoneInfo(zone)
    return naive.replace(tzinfo=tz)
