"""Browser sessions a person can see and end, and the pending half of a two-step sign-in.

A session row notes its browser (user agent), address and last change made, so that the
account page can list them. Changing one's second factors (or password) ends every other
session of the account: whoever holds a stolen cookie loses it with the old credential.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.errors import N_, Message, NotFound
from accord.identity import audit
from accord.identity.credentials import digest
from accord.identity.models import User, WebSession
from accord.identity.policy import Action, Actor, authorize


def mark_used(db: Session, secret: str) -> None:
    """Note that a session just changed something, at most once a minute to spare writes."""
    now = utcnow()
    db.execute(
        update(WebSession)
        .where(
            WebSession.secret_hash == digest(secret),
            or_(
                WebSession.last_used_at.is_(None),
                WebSession.last_used_at < now - timedelta(minutes=1),
            ),
        )
        .values(last_used_at=now)
    )


def by_cookie(db: Session, secret: str | None, *, pending: bool | None = None) -> WebSession | None:
    """The unexpired session row behind a cookie (``pending``: only of that kind)."""
    if not secret:
        return None
    row = db.scalar(select(WebSession).where(WebSession.secret_hash == digest(secret)))
    if row is None or row.expires_at <= utcnow() or not row.user.is_active:
        return None
    if pending is not None and row.pending is not pending:
        return None
    return row


@dataclass(frozen=True)
class SessionView:
    """One browser session as its owner sees it."""

    id: int
    device: str
    ip_address: str | None
    created_at: datetime
    last_used_at: datetime | None
    current: bool


def list_sessions(
    db: Session, *, user: User, actor: Actor, current: str | None
) -> list[SessionView]:
    """``user``'s signed-in browsers, newest first; ``current`` marks this browser's."""
    authorize(actor, Action.OWN_ACCOUNT_READ)
    rows: Sequence[WebSession] = db.scalars(
        select(WebSession)
        .where(
            WebSession.user_id == user.id,
            WebSession.pending.is_(False),
            WebSession.expires_at > utcnow(),
        )
        .order_by(WebSession.id.desc())
    ).all()
    mine = digest(current) if current else None
    return [
        SessionView(
            id=row.id,
            device=device_of(row.user_agent),
            ip_address=row.ip_address,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            current=row.secret_hash == mine,
        )
        for row in rows
    ]


def end_by_id(db: Session, *, session_id: int, actor: Actor) -> None:
    """End one of the actor's own browser sessions (anyone else's is reported missing)."""
    authorize(actor, Action.OWN_SESSIONS_MANAGE)
    row = db.get(WebSession, session_id)
    if row is None or row.user_id != actor.user_id:
        raise NotFound(
            Message(N_("no session %(session_id)s"), session_id=session_id), field="session_id"
        )
    db.delete(row)
    audit.record(db, actor=actor, action="session.end", target=f"{actor.label}/{session_id}")


def end_others(db: Session, *, user_id: int, keep: str | None) -> int:
    """End every session of ``user_id`` but the one behind cookie ``keep``; how many ended."""
    query = delete(WebSession).where(WebSession.user_id == user_id)
    if keep:
        query = query.where(WebSession.secret_hash != digest(keep))
    result = db.execute(query)
    return int(getattr(result, "rowcount", 0) or 0)


# Checked in order: the first name found in the user agent names the browser and the system.
_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def device_of(user_agent: str) -> str:
    """A short name for a browser from its user agent ("Firefox on Linux"), or "unknown"."""
    browser = next((name for key, name in _BROWSERS if key in user_agent), None)
    system = next((name for key, name in _SYSTEMS if key in user_agent), None)
    if browser and system:
        return f"{browser} · {system}"
    return browser or system or "unknown"
