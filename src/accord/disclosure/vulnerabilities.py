"""A case's vulnerabilities, and each vendor's status per vulnerability and per product.

A case holds one or more vulnerabilities, numbered from 1 in the case; number 1 is made from
the report when the case is opened, and coordinators add others (splitting a report that
described several) or edit them. Each vendor states, per vulnerability and per product, that
it is affected, not affected (with a VEX justification), fixed (with the versions), or under
investigation; a product it never answered for reads as "no reply yet", never as "not
affected". The vendor's :class:`CaseVendor` row keeps its participation (embargo, release
agreement) and an overall status, recomputed here from its per-product answers so that the
embargo and publication rules, which read it, follow them.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.config import Settings
from accord.disclosure import history, notices
from accord.disclosure.cases import CaseAccess, touch
from accord.disclosure.models import (
    Audience,
    CaseStatus,
    CaseVendor,
    CaseVulnerability,
    DisclosureCase,
    ProductStatus,
    VendorStatus,
    VulnerabilityStatus,
)
from accord.disclosure.vulnerability_queries import aggregate, listed, publishable, reads
from accord.disclosure.vulnerability_schemas import ProductStatusUpdate, VulnerabilityFields
from accord.errors import Conflict, Forbidden, Message, NotFound
from accord.identity.models import Organization
from accord.identity.policy import (
    Actor,
    may_answer_for,
    may_edit_vulnerabilities,
)
from accord.web.i18n import N_

_VENDOR_STATUS = {
    ProductStatus.NO_REPLY: VendorStatus.NO_REPLY,
    ProductStatus.UNDER_INVESTIGATION: VendorStatus.ACKNOWLEDGED,
    ProductStatus.AFFECTED: VendorStatus.AFFECTED,
    ProductStatus.NOT_AFFECTED: VendorStatus.NOT_AFFECTED,
    ProductStatus.FIXED: VendorStatus.FIXED,
}
_EDITABLE = (CaseStatus.REPORTED, CaseStatus.OPEN, CaseStatus.PUBLISHED)


def get(db: Session, case: DisclosureCase, ordinal: int) -> CaseVulnerability:
    """Vulnerability number ``ordinal`` of the case; NotFound naming the field otherwise."""
    found = db.scalar(
        select(CaseVulnerability).where(
            CaseVulnerability.case_id == case.id, CaseVulnerability.ordinal == ordinal
        )
    )
    if found is None:
        raise NotFound(
            Message(N_("the case has no vulnerability %(ordinal)s"), ordinal=ordinal),
            field="vulnerability",
        )
    return found


def statuses(
    db: Session, case: DisclosureCase
) -> list[tuple[VulnerabilityStatus, CaseVendor, Organization]]:
    """Every stated status of the case, with its vendor, in one query."""
    query = (
        select(VulnerabilityStatus, CaseVendor, Organization)
        .join(CaseVendor, CaseVendor.id == VulnerabilityStatus.vendor_id)
        .join(Organization, Organization.id == CaseVendor.organization_id)
        .where(CaseVendor.case_id == case.id)
        .order_by(Organization.name, VulnerabilityStatus.product)
    )
    return [(s, v, o) for s, v, o in db.execute(query)]


def first_of(db: Session, case: DisclosureCase) -> CaseVulnerability:
    """Vulnerability 1 of an opened case, made from the report (and from the vendors'
    answers given so far) if it is not there yet."""
    found = db.scalar(
        select(CaseVulnerability).where(
            CaseVulnerability.case_id == case.id, CaseVulnerability.ordinal == 1
        )
    )
    if found is not None:
        return found
    found = CaseVulnerability(case_id=case.id, ordinal=1, summary=case.title[:200], cwe_ids=[])
    db.add(found)
    db.flush()
    for vendor in db.scalars(select(CaseVendor).where(CaseVendor.case_id == case.id)):
        mirror(db, case=case, vendor=vendor)
    return found


def mirror(db: Session, *, case: DisclosureCase, vendor: CaseVendor) -> None:
    """Carry a vendor's overall answer (the case-wide form) to vulnerability 1 and the
    case's product, so that a case of one vulnerability reads the same either way."""
    if case.ref is None:
        return  # a report: vulnerability 1 is made from it when it is opened
    first = first_of(db, case)
    if vendor.status is VendorStatus.NO_REPLY and _find(db, first, vendor, case.product) is None:
        return  # nothing said: no row, which reads as "no reply yet" already
    row = _row(db, first, vendor, case.product)
    row.status = {v: p for p, v in _VENDOR_STATUS.items()}[vendor.status]
    row.purl = vendor.purl
    row.justification = vendor.justification
    row.statement = vendor.statement
    row.affected_versions = list(vendor.affected_versions)
    row.fixed_versions = list(vendor.fixed_versions)
    row.updated_at = utcnow()


def _find(
    db: Session, vulnerability: CaseVulnerability, vendor: CaseVendor, product: str
) -> VulnerabilityStatus | None:
    return db.scalar(
        select(VulnerabilityStatus).where(
            VulnerabilityStatus.vulnerability_id == vulnerability.id,
            VulnerabilityStatus.vendor_id == vendor.id,
            VulnerabilityStatus.product == product,
        )
    )


def _row(
    db: Session, vulnerability: CaseVulnerability, vendor: CaseVendor, product: str
) -> VulnerabilityStatus:
    row = _find(db, vulnerability, vendor, product)
    if row is None:
        row = VulnerabilityStatus(
            vulnerability_id=vulnerability.id,
            vendor_id=vendor.id,
            product=product,
            affected_versions=[],
            fixed_versions=[],
        )
        db.add(row)
    return row


def _editable(case: DisclosureCase) -> None:
    if case.status not in _EDITABLE or case.ref is None:
        raise Conflict(Message(N_("the case is %(status)s"), status=case.status), field="case_id")


def add(
    db: Session,
    *,
    access: CaseAccess,
    summary: str,
    data: VulnerabilityFields,
    actor: Actor,
    settings: Settings,
) -> CaseVulnerability:
    """A new vulnerability of the case, numbered after the last (coordinators)."""
    case = access.case
    if not may_edit_vulnerabilities(access.standing):
        raise Forbidden(N_("only a coordinator adds a vulnerability to a case"))
    _editable(case)
    first_of(db, case)
    last = db.scalar(
        select(func.max(CaseVulnerability.ordinal)).where(CaseVulnerability.case_id == case.id)
    )
    found = CaseVulnerability(case_id=case.id, ordinal=(last or 0) + 1, summary=summary)
    _fill(found, data)
    db.add(found)
    db.flush()
    touch(case)
    history.record(
        db,
        settings=settings,
        case=case,
        kind="vulnerability_added",
        actor_label=actor.label,
        summary=f"Vulnerability {found.ordinal} added: {summary}",
        details={"vulnerability": found.ordinal, **_described(found)},
    )
    return found


def edit(
    db: Session,
    *,
    access: CaseAccess,
    ordinal: int,
    summary: str,
    data: VulnerabilityFields,
    actor: Actor,
    settings: Settings,
) -> CaseVulnerability:
    """Rewrite a vulnerability (coordinators), until its advisory is published."""
    case = access.case
    if not may_edit_vulnerabilities(access.standing):
        raise Forbidden(N_("only a coordinator edits a case's vulnerabilities"))
    _editable(case)
    found = get(db, case, ordinal)
    if found.advisory_id is not None:
        raise Conflict(
            Message(
                N_(
                    "vulnerability %(ordinal)s is published as %(advisory_id)s: a new version of "
                    "that advisory changes it"
                ),
                ordinal=ordinal,
                advisory_id=found.advisory_id,
            ),
            field="vulnerability",
        )
    found.summary = summary
    _fill(found, data)
    found.updated_at = utcnow()
    touch(case)
    history.record(
        db,
        settings=settings,
        case=case,
        kind="vulnerability_edited",
        actor_label=actor.label,
        summary=f"Vulnerability {ordinal} edited: {summary}",
        details={"vulnerability": ordinal, **_described(found)},
    )
    return found


def _fill(found: CaseVulnerability, data: VulnerabilityFields) -> None:
    found.details = data.details
    found.cvss_vector = data.cvss_vector
    found.cwe_ids = list(data.cwe_ids)
    found.cve_id = data.cve_id


def _described(found: CaseVulnerability) -> dict[str, object]:
    return {"cvss": found.cvss_vector, "cwe": list(found.cwe_ids), "cve": found.cve_id}


def set_status(
    db: Session,
    *,
    access: CaseAccess,
    ordinal: int,
    slug: str,
    data: ProductStatusUpdate,
    actor: Actor,
    settings: Settings,
) -> VulnerabilityStatus:
    """A vendor states its status for one product and one vulnerability (its members, or a
    coordinator on its behalf); its overall status follows."""
    from accord.disclosure import embargo, vendors  # both import this module's callers

    case = access.case
    vendor, org = vendors.get_vendor(db, case, slug)
    if not may_answer_for(access.standing, org.id):
        raise Forbidden(
            Message(N_("only %(name)s or a coordinator may state its status"), name=org.name)
        )
    _editable(case)
    found = get(db, case, ordinal)
    row = _row(db, found, vendor, data.product)
    row.purl = data.purl
    row.status = data.status
    row.justification = data.justification.value if data.justification else None
    row.statement = data.statement
    row.affected_versions = list(data.affected_versions)
    row.fixed_versions = list(data.fixed_versions)
    row.updated_at = utcnow()
    db.flush()
    _overall(db, vendor)
    touch(case)
    history.record(
        db,
        settings=settings,
        case=case,
        kind="status_changed",
        actor_label=actor.label,
        organization_id=org.id,
        summary=f"{org.name}, vulnerability {ordinal}, {data.product}: {data.status.value}",
        # Which vendor said what of which product is for those who read the statuses
        # (may_see_vendor_statuses): the reporter reads each vulnerability's aggregate.
        audience=Audience.VENDORS,
        details={
            "vendor": org.slug,
            "vulnerability": ordinal,
            "product": data.product,
            "status": data.status.value,
            "justification": row.justification,
            "fixed": row.fixed_versions,
        },
    )
    notices.to_case(
        db, settings=settings, case=case, kind="status", what=N_("A vendor status changed")
    )
    embargo.settle(db, case=case, actor=actor, settings=settings)
    return row


def _overall(db: Session, vendor: CaseVendor) -> None:
    """The vendor's overall status from its answers: affected if any product is, and so on;
    not affected only when every answer says so."""
    rows = list(
        db.scalars(select(VulnerabilityStatus).where(VulnerabilityStatus.vendor_id == vendor.id))
    )
    status = aggregate(r.status for r in rows)
    vendor.status = _VENDOR_STATUS[status]
    vendor.justification = next(
        (r.justification for r in rows if status is ProductStatus.NOT_AFFECTED), None
    )
    fixed = [v for r in rows if r.status is ProductStatus.FIXED for v in r.fixed_versions]
    vendor.fixed_versions = list(dict.fromkeys(fixed))
    affected = [v for r in rows if r.status is ProductStatus.AFFECTED for v in r.affected_versions]
    vendor.affected_versions = list(dict.fromkeys(affected))
    vendor.updated_at = utcnow()


__all__ = [
    "add",
    "aggregate",
    "edit",
    "first_of",
    "get",
    "listed",
    "mirror",
    "publishable",
    "reads",
    "set_status",
    "statuses",
]
