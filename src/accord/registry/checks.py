"""Checking organizations' security.txt files and keeping every result as history."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.accountability import events
from accord.config import Settings
from accord.identity import audit
from accord.identity.models import Organization
from accord.identity.policy import Action, Actor, authorize
from accord.registry import securitytxt
from accord.registry.models import SecurityTxtCheck

WELL_KNOWN_PATH = "/.well-known/security.txt"


def target_url(org: Organization) -> str:
    """Where the organization's security.txt is: the URL it gave, else its website's host.

    RFC 9116 section 3 puts the file under /.well-known/ and requires https, whatever
    scheme the website was entered with.
    """
    if org.security_txt_url:
        return org.security_txt_url
    host = urlsplit(org.website).netloc
    return f"https://{host}{WELL_KNOWN_PATH}"


def run(
    db: Session,
    *,
    org: Organization,
    actor: Actor,
    settings: Settings,
    client: httpx.Client | None = None,
) -> SecurityTxtCheck:
    """Fetch and parse the organization's security.txt and store the result (its admins,
    operators).

    The fetch may take up to the outbound timeout, and no transaction should stay open that
    long (on SQLite it would hold the write lock of the whole hub). So this ends the caller's
    transaction before fetching; it must be called before anything is written in it.
    """
    authorize(actor, Action.ORG_EDIT, org_id=org.id)
    if db.new or db.dirty or db.deleted:
        raise RuntimeError("checks.run must come before any change in the transaction")
    org_id, slug, url = org.id, org.slug, target_url(org)
    db.rollback()
    result = securitytxt.check(url, settings=settings, client=client)
    row = SecurityTxtCheck(
        organization_id=org_id,
        url=url,
        final_url=result.final_url,
        ok=result.ok,
        status_code=result.status_code,
        signed=bool(result.parsed and result.parsed.signed),
        expires_at=result.parsed.expires if result.parsed else None,
        findings=[f.to_dict() for f in result.findings],
        fields=result.parsed.fields if result.parsed else {},
        requested_by=actor.label,
    )
    db.add(row)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="securitytxt.check",
        target=slug,
        organization_id=org_id,
        details={"url": url, "ok": result.ok, "redirects": list(result.redirects)},
    )
    events.recorded(db, settings=settings)
    return row


def latest(db: Session, *, org_id: int) -> SecurityTxtCheck | None:
    """The organization's most recent check, if it was ever checked."""
    return db.scalar(
        select(SecurityTxtCheck)
        .where(SecurityTxtCheck.organization_id == org_id)
        .order_by(SecurityTxtCheck.id.desc())
        .limit(1)
    )


def history(db: Session, *, org_id: int, limit: int = 20) -> Sequence[SecurityTxtCheck]:
    """The organization's checks, newest first."""
    return db.scalars(
        select(SecurityTxtCheck)
        .where(SecurityTxtCheck.organization_id == org_id)
        .order_by(SecurityTxtCheck.id.desc())
        .limit(limit)
    ).all()
