"""Time zones: every moment is stored in UTC and shown in the viewer's zone, named.

A signed-in user may keep a zone here; anyone (the reporter included) may pick one for the
browser, kept in a cookie. Without either, pages show UTC and say so.
"""

from __future__ import annotations

import functools
import zoneinfo
from datetime import UTC, datetime

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.disclosure.models import TimeZonePreference
from accord.errors import InvalidInput

COOKIE = "accord_tz"
DEFAULT = "UTC"


@functools.cache
def names() -> tuple[str, ...]:
    """Every IANA zone name this system knows, sorted."""
    return tuple(sorted(zoneinfo.available_timezones() | {DEFAULT}))


@functools.lru_cache(maxsize=64)
def options(selected: str) -> Markup:
    """The zone picker's ``<option>`` list with ``selected`` chosen, built once per zone:
    some 600 names escaped on every disclosure page were a tenth of a case page's render."""
    return Markup("").join(
        Markup('<option value="{0}"{1}>{0}</option>').format(
            name, Markup(" selected") if name == selected else ""
        )
        for name in names()
    )


def check(name: str, *, field: str = "time_zone") -> str:
    """``name`` if it is a known IANA zone, else :class:`InvalidInput`."""
    if name not in set(names()):
        raise InvalidInput(f"{field}: {name!r} is not an IANA time zone name", field=field)
    return name


def preference(db: Session, user_id: int | None) -> str | None:
    """The zone a user chose, if any."""
    if user_id is None:
        return None
    return db.scalar(
        select(TimeZonePreference.time_zone).where(TimeZonePreference.user_id == user_id)
    )


def set_preference(db: Session, *, user_id: int, name: str) -> str:
    """Keep ``name`` as the user's zone."""
    check(name)
    found = db.get(TimeZonePreference, user_id)
    if found is None:
        db.add(TimeZonePreference(user_id=user_id, time_zone=name))
    else:
        found.time_zone = name
    return name


def viewer_zone(db: Session, *, user_id: int | None, cookie: str | None) -> str:
    """The zone to show a viewer: the user's preference, else the browser's choice, else UTC."""
    chosen = preference(db, user_id)
    if chosen:
        return chosen
    if cookie and cookie in set(names()):
        return cookie
    return DEFAULT


def show(moment: datetime | None, zone: str) -> str:
    """``2026-12-01 10:00 CET (Europe/Berlin)``; UTC reads ``2026-12-01 09:00 UTC``."""
    if moment is None:
        return ""
    local = moment.astimezone(UTC if zone == DEFAULT else zoneinfo.ZoneInfo(zone))
    text = local.strftime("%Y-%m-%d %H:%M")
    if zone == DEFAULT:
        return f"{text} UTC"
    return f"{text} {local.strftime('%Z')} ({zone})"


def parse_local(text: str, zone: str, *, field: str) -> datetime:
    """A ``datetime-local`` form value read in ``zone``, as an aware datetime."""
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{field}: not a date and time (YYYY-MM-DDTHH:MM)", field=field
        ) from None
    if naive.tzinfo is not None:
        return naive
    tz = UTC if zone == DEFAULT else zoneinfo.ZoneInfo(zone)
    return naive.replace(tzinfo=tz)
