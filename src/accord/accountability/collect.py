"""Reading the records figures need, for one period, from the other domains' tables.

One query per kind of record for all signatories at once, each bounded by the period, so a
period costs the same whatever the hub's history before it. Only records a figure may read
are loaded: see ``figures.py`` for what each one counts.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from accord.accountability.periods import Period
from accord.accountability.rows import (
    AdvisoryRow,
    Records,
    SecurityTxtCheckRow,
    SharedObject,
    SightingRow,
    StatusChange,
    VendorCase,
)
from accord.advisories.models import Advisory, AdvisoryStatus, AdvisoryVersion, Tlp
from accord.disclosure.models import CaseEvent, CaseMessage, CaseStatus, CaseVendor, DisclosureCase
from accord.identity.models import Organization, OrgKind
from accord.registry.models import SecurityTxtCheck
from accord.sharing.models import StixObject

STATUS_EVENT = "status_changed"
SIGHTING = "sighting"
# A record a figure counts but that not everyone may see: public pages count it, never name it.
PRIVATE = "private:"


def signatory_ids(db: Session) -> list[int]:
    """Every signatory's id (organizations of kind signatory, as the registry lists them)."""
    return list(db.scalars(select(Organization.id).where(Organization.kind == OrgKind.SIGNATORY)))


def collect(db: Session, *, period: Period, org_ids: Collection[int]) -> dict[int, Records]:
    """Each signatory's records that may count in ``period``."""
    wanted = frozenset(org_ids)
    parts: dict[str, dict[int, list[Any]]] = {
        name: defaultdict(list)
        for name in ("vendor_cases", "advisories", "objects", "sightings", "checks")
    }
    for row in _vendor_cases(db, period, wanted):
        parts["vendor_cases"][row.org_id].append(row)
    for advisory in _advisories(db, period, wanted):
        parts["advisories"][advisory.org_id].append(advisory)
    for shared in _objects(db, period, wanted):
        parts["objects"][shared.org_id].append(shared)
    for sighting in _sightings(db, period, wanted):
        parts["sightings"][sighting.org_id].append(sighting)
    for check in _checks(db, period, wanted):
        parts["checks"][check.org_id].append(check)
    return {
        org_id: Records(**{name: tuple(rows[org_id]) for name, rows in parts.items()})
        for org_id in wanted
    }


def _in(column: Any, period: Period) -> ColumnElement[bool]:
    return and_(column >= period.start, column < period.end)


def _vendor_scope(period: Period) -> ColumnElement[bool]:
    """Vendor rows a disclosure figure may read: notified in the period, or notified before
    its end with the case's embargo end or publication in the period."""
    return and_(
        CaseVendor.invited_at < period.end,
        or_(
            CaseVendor.invited_at >= period.start,
            _in(DisclosureCase.embargo_at, period),
            _in(DisclosureCase.published_at, period),
        ),
    )


def _vendor_cases(db: Session, period: Period, wanted: frozenset[int]) -> list[VendorCase]:
    rows = db.execute(
        select(
            CaseVendor.case_id,
            CaseVendor.organization_id,
            CaseVendor.invited_at,
            CaseVendor.embargo_accepted_at,
            CaseVendor.release_agreed,
            DisclosureCase.ref,
            DisclosureCase.public_id,
            DisclosureCase.embargo_at,
            DisclosureCase.published_at,
            DisclosureCase.status,
        )
        .join(DisclosureCase, DisclosureCase.id == CaseVendor.case_id)
        .where(_vendor_scope(period))
    ).all()
    rows = [r for r in rows if r.organization_id in wanted]
    if not rows:
        return []
    scope = (
        select(CaseVendor.case_id)
        .join(DisclosureCase, DisclosureCase.id == CaseVendor.case_id)
        .where(_vendor_scope(period))
    )
    statuses: dict[tuple[int, int], list[StatusChange]] = defaultdict(list)
    for case_id, org_id, at, document in db.execute(
        select(
            CaseEvent.case_id, CaseEvent.organization_id, CaseEvent.at, CaseEvent.document
        ).where(
            CaseEvent.kind == STATUS_EVENT,
            CaseEvent.at < period.end,
            CaseEvent.case_id.in_(scope),
        )
    ):
        status = json.loads(document).get("details", {}).get("status")
        if org_id is not None and isinstance(status, str):
            statuses[(case_id, org_id)].append(StatusChange(at=at, status=status))
    messages: dict[tuple[int, int], list[datetime]] = defaultdict(list)
    for case_id, org_id, at in db.execute(
        select(CaseMessage.case_id, CaseMessage.author_org_id, CaseMessage.created_at).where(
            CaseMessage.author_org_id.is_not(None),
            CaseMessage.created_at < period.end,
            CaseMessage.case_id.in_(scope),
        )
    ):
        if org_id is not None:
            messages[(case_id, org_id)].append(at)
    found: list[VendorCase] = []
    for r in rows:
        key = (r.case_id, r.organization_id)
        public = r.status is CaseStatus.PUBLISHED and r.ref is not None
        found.append(
            VendorCase(
                ref=f"case:{r.ref}" if public else f"{PRIVATE}case:{r.public_id}",
                org_id=r.organization_id,
                notified_at=r.invited_at,
                statuses=tuple(statuses.get(key, ())),
                messages_at=tuple(messages.get(key, ())),
                embargo_at=r.embargo_at,
                embargo_accepted=(
                    r.embargo_at is not None and r.embargo_accepted_at == r.embargo_at
                ),
                release_agreed=r.release_agreed,
                case_ref=r.ref or "",
                published_at=r.published_at,
                public=public,
            )
        )
    return found


def _has_fixed_version(document: str | None) -> bool:
    if not document:
        return False
    record = json.loads(document)
    for affected in record.get("affected") or []:
        for version_range in affected.get("ranges") or []:
            if any("fixed" in event for event in version_range.get("events") or []):
                return True
    return False


def _advisories(db: Session, period: Period, wanted: frozenset[int]) -> list[AdvisoryRow]:
    first = (
        select(
            AdvisoryVersion.advisory_id.label("advisory_id"),
            func.min(AdvisoryVersion.published_at).label("first_at"),
        )
        .group_by(AdvisoryVersion.advisory_id)
        .subquery()
    )
    # Published in the period (every figure), or earlier naming a case (embargoes broken).
    query = (
        select(
            Advisory.osv_id,
            Advisory.organization_id,
            Advisory.tlp,
            Advisory.aliases,
            Advisory.document,
            first.c.first_at,
        )
        .join(first, first.c.advisory_id == Advisory.id)
        .where(
            Advisory.organization_id.is_not(None),
            Advisory.status != AdvisoryStatus.DRAFT,
            first.c.first_at < period.end,
            or_(first.c.first_at >= period.start, Advisory.aliases.like("%ACCORD-%")),
        )
    )
    found: list[AdvisoryRow] = []
    for osv_id, org_id, tlp, aliases, document, first_at in db.execute(query):
        if org_id not in wanted:
            continue
        inside = period.contains(first_at)
        found.append(
            AdvisoryRow(
                ref=f"advisory:{osv_id}" if tlp is Tlp.CLEAR else f"{PRIVATE}advisory:{osv_id}",
                org_id=org_id,
                first_published_at=first_at,
                tlp=tlp.value,
                has_fixed_version=inside and _has_fixed_version(document),
                aliases=tuple(aliases.split()),
                public=tlp is Tlp.CLEAR,
            )
        )
    return found


def _objects(db: Session, period: Period, wanted: frozenset[int]) -> list[SharedObject]:
    query = select(
        StixObject.stix_id, StixObject.producer_org_id, StixObject.date_added, StixObject.tlp
    ).where(
        StixObject.is_first.is_(True),
        StixObject.origin_remote_id.is_(None),
        StixObject.stix_type != SIGHTING,
        _in(StixObject.date_added, period),
    )
    return [
        SharedObject(
            ref=f"object:{stix_id}" if tlp == "CLEAR" else f"{PRIVATE}object:{stix_id}",
            org_id=org_id,
            added_at=added,
            tlp=tlp,
        )
        for stix_id, org_id, added, tlp in db.execute(query)
        if org_id in wanted
    ]


def _sightings(db: Session, period: Period, wanted: frozenset[int]) -> list[SightingRow]:
    sighted = aliased(StixObject)
    query = (
        select(StixObject.stix_id, sighted.producer_org_id, StixObject.date_added)
        .join(sighted, sighted.stix_id == StixObject.sighting_of)
        .where(
            StixObject.stix_type == SIGHTING,
            StixObject.is_first.is_(True),
            _in(StixObject.date_added, period),
            sighted.is_first.is_(True),
            or_(
                StixObject.producer_org_id.is_(None),
                StixObject.producer_org_id != sighted.producer_org_id,
            ),
        )
        .distinct()
    )
    return [
        SightingRow(ref=f"{PRIVATE}sighting:{stix_id}", org_id=org_id, added_at=added)
        for stix_id, org_id, added in db.execute(query)
        if org_id in wanted
    ]


def _checks(db: Session, period: Period, wanted: frozenset[int]) -> list[SecurityTxtCheckRow]:
    last_before = (
        select(func.max(SecurityTxtCheck.id))
        .where(SecurityTxtCheck.fetched_at < period.start)
        .group_by(SecurityTxtCheck.organization_id)
    )
    query = select(
        SecurityTxtCheck.id,
        SecurityTxtCheck.organization_id,
        SecurityTxtCheck.fetched_at,
        SecurityTxtCheck.ok,
        SecurityTxtCheck.expires_at,
    ).where(or_(_in(SecurityTxtCheck.fetched_at, period), SecurityTxtCheck.id.in_(last_before)))
    return [
        SecurityTxtCheckRow(
            ref=f"securitytxt:{check_id}",
            org_id=org_id,
            fetched_at=fetched,
            ok=ok,
            expires_at=expires,
        )
        for check_id, org_id, fetched, ok, expires in db.execute(query)
        if org_id in wanted
    ]
