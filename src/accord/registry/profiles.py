"""The public side of the registry: who signed, when, which version; profiles; signature JSON."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from accord.identity.models import Organization, OrgKind
from accord.identity.services import get_org
from accord.registry import checks, reach_checks
from accord.registry.models import (
    AccordVersion,
    Departure,
    ReachCheck,
    SecurityTxtCheck,
    Signature,
)

SIGNATURE_DOCUMENT_TYPE = "accord.signature/v1"


@dataclass(frozen=True)
class Listed:
    """An organization in a public list, with its latest signature's version and date."""

    slug: str
    name: str
    kind: OrgKind
    country: str
    joined_at: datetime
    signed_at: datetime | None
    accord_version: int | None
    left_at: datetime | None = None  # when it left the accord or was removed
    departure: str | None = None  # "left" or "removed"


@dataclass(frozen=True)
class Profile:
    """An organization's public profile."""

    organization: Organization
    signatures: Sequence[Signature]
    latest_check: SecurityTxtCheck | None
    # The latest reachability check of each kind ("policy", "csaf"), when ever made.
    reach: dict[str, ReachCheck] = field(default_factory=dict)
    departure: Departure | None = None


def listed(db: Session, *, kind: OrgKind) -> list[Listed]:
    """Every organization of ``kind`` by name, each with its latest signature (if any).

    Columns, not ORM objects: the public lists are the hub's most read pages, and loading
    hundreds of entities each time would cost most of the answer's time.
    """
    latest = (
        select(Signature.organization_id, func.max(Signature.id).label("signature_id"))
        .group_by(Signature.organization_id)
        .subquery()
    )
    rows = db.execute(
        select(
            Organization.slug,
            Organization.name,
            Organization.kind,
            Organization.country,
            Organization.created_at,
            Signature.signed_at,
            AccordVersion.number,
            Departure.departed_at,
            Departure.kind,
        )
        .outerjoin(latest, latest.c.organization_id == Organization.id)
        .outerjoin(Departure, Departure.organization_id == Organization.id)
        .outerjoin(Signature, Signature.id == latest.c.signature_id)
        .outerjoin(AccordVersion, AccordVersion.id == Signature.accord_version_id)
        .where(Organization.kind == kind)
        .order_by(Organization.name)
    ).all()
    return [Listed(*row[:7], row[7], row[8].value if row[8] else None) for row in rows]


def profile(db: Session, slug: str) -> Profile:
    """The public profile of the organization ``slug`` (signatory or partner)."""
    org = get_org(db, slug)
    signatures = db.scalars(
        select(Signature)
        .where(Signature.organization_id == org.id)
        .options(joinedload(Signature.accord_version))
        .order_by(Signature.signed_at, Signature.id)
    ).all()
    latest = checks.latest(db, org_id=org.id)
    departure = db.scalar(select(Departure).where(Departure.organization_id == org.id))
    return Profile(org, signatures, latest, reach_checks.latest(db, org_id=org.id), departure)


def utc_iso(moment: datetime) -> str:
    """An instant as RFC 3339 in UTC with a ``Z``, to the second (as logs and JSON show it)."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def text_digest(version: AccordVersion) -> str:
    """The hex SHA-256 of a version's text (UTF-8): what exactly was signed."""
    return hashlib.sha256(version.text.encode("utf-8")).hexdigest()


def signature_document(signature: Signature) -> dict[str, Any]:
    """The public JSON of a signature, as the transparency log records it.

    Only public facts: the organization, the accord version and the digest of its text, the
    time of signing and the operator who approved it. No contact details.
    """
    org = signature.organization
    version = signature.accord_version
    return {
        "type": SIGNATURE_DOCUMENT_TYPE,
        "organization": {"slug": org.slug, "name": org.name, "kind": org.kind.value},
        "accord_version": version.number,
        "accord_text_sha256": text_digest(version),
        "signed_at": utc_iso(signature.signed_at),
        "approved_by": signature.approved_by,
    }
