"""A case's vendors: invitations, candidates (declared products and the hub's advisories), and
their statuses."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, CompoundSelect, Select, func, literal, select, union
from sqlalchemy.orm import Session

from accord.accountability import events
from accord.advisories.models import Advisory, AdvisoryStatus, AffectedPackage
from accord.clock import utcnow
from accord.config import Settings
from accord.disclosure import history, notices, vulnerabilities
from accord.disclosure.cases import CaseAccess, touch
from accord.disclosure.models import CaseStatus, CaseVendor, DisclosureCase, VendorStatus
from accord.disclosure.schemas import VendorStatusUpdate
from accord.errors import Conflict, Forbidden, Message, NotFound
from accord.identity.models import Organization
from accord.identity.policy import Actor, may_answer_for, may_manage_case
from accord.registry import products
from accord.registry.models import DeclaredProduct
from accord.web.i18n import N_

_CLOSED = (
    CaseStatus.INVALID,
    CaseStatus.SPAM,
    CaseStatus.DUPLICATE,
    CaseStatus.PUBLISHED,
    CaseStatus.CLOSED,
)


def listed(db: Session, case: DisclosureCase) -> list[tuple[CaseVendor, Organization]]:
    """The case's vendors with their organizations, in one query, by name."""
    query = (
        select(CaseVendor, Organization)
        .join(Organization, Organization.id == CaseVendor.organization_id)
        .where(CaseVendor.case_id == case.id)
        .order_by(Organization.name)
    )
    return [(vendor, org) for vendor, org in db.execute(query)]


def _open(case: DisclosureCase) -> None:
    if case.status in _CLOSED:
        raise Conflict(Message(N_("the case is %(status)s"), status=case.status), field="case_id")


def _answerable(case: DisclosureCase) -> None:
    # A published case still takes answers: the first advisory (one vendor's own, or the
    # coordinators') makes the case public, and each other vendor may still state that it is
    # affected or fixed and then publish its own.
    if case.status is not CaseStatus.PUBLISHED:
        _open(case)


def organization_named(db: Session, text: str) -> Organization:
    """The organization whose slug is ``text``, else the one so named (any case); NotFound
    naming the field otherwise."""
    text = text.strip()
    org = db.scalar(select(Organization).where(Organization.slug == text))
    if org is None and text:
        named = db.scalars(
            select(Organization).where(func.lower(Organization.name) == text.lower()).limit(2)
        ).all()
        org = named[0] if len(named) == 1 else None
    if org is None:
        raise NotFound(
            Message(N_("no organization named %(text)s"), text=text), field="organization"
        )
    return org


def invitable(db: Session, case: DisclosureCase) -> list[tuple[str, str]]:
    """(slug, name) of every organization not yet taking part in the case, by name: the
    list the invitation form offers."""
    taking_part = select(CaseVendor.organization_id).where(CaseVendor.case_id == case.id)
    query = (
        select(Organization.slug, Organization.name)
        .where(Organization.id.not_in(taking_part))
        .order_by(Organization.name)
    )
    return [(slug, name) for slug, name in db.execute(query)]


def invite(
    db: Session, *, access: CaseAccess, slug: str, actor: Actor, settings: Settings
) -> CaseVendor:
    """Add an organization (``slug``: its slug or its name) to the case as a vendor, and
    tell it."""
    case = access.case
    if not may_manage_case(access.standing):
        raise Forbidden(N_("only a vendor or a coordinator of the case may invite vendors"))
    _open(case)
    org = organization_named(db, slug)
    exists = db.scalar(
        select(CaseVendor.id).where(
            CaseVendor.case_id == case.id, CaseVendor.organization_id == org.id
        )
    )
    if exists is not None:
        raise Conflict(
            Message(N_("%(name)s takes part already"), name=org.name), field="organization"
        )
    vendor = CaseVendor(case_id=case.id, organization_id=org.id)
    db.add(vendor)
    db.flush()
    touch(case)
    history.record(
        db,
        settings=settings,
        case=case,
        kind="vendor_notified",
        actor_label=actor.label,
        summary=f"{org.name} invited",
        organization_id=org.id,
        details={"vendor": org.slug},
    )
    notices.vendor_invited(db, settings=settings, case=case, org_id=org.id)
    return vendor


@dataclass(frozen=True)
class Candidate:
    """An organization that probably ships the report's package, and why the hub thinks so."""

    organization: Organization
    reasons: tuple[str, ...]


def candidates(db: Session, *, case: DisclosureCase, limit: int = 20) -> list[Candidate]:
    """Organizations that declare the report's package as a product or published advisories
    on it, and are not vendors of the case yet: whoever ships that package probably wants to
    hear. One query, whatever the number of organizations."""
    if not case.purl:
        return []
    key = products.key_of(case.purl, field="purl")
    declared = (
        select(func.min(DeclaredProduct.purl))
        .where(
            DeclaredProduct.organization_id == Organization.id,
            DeclaredProduct.ecosystem == key.ecosystem,
            DeclaredProduct.package == key.package,
        )
        .correlate(Organization)
        .scalar_subquery()
    )
    sources: Select[int] | CompoundSelect[int] = select(DeclaredProduct.organization_id).where(
        DeclaredProduct.ecosystem == key.ecosystem, DeclaredProduct.package == key.package
    )
    published: ColumnElement[bool] = literal(False)
    if not key.ecosystem.startswith("purl:"):
        on_package = (
            select(Advisory.organization_id)
            .join(AffectedPackage, AffectedPackage.advisory_id == Advisory.id)
            .where(
                AffectedPackage.ecosystem == key.ecosystem,
                AffectedPackage.name == key.package,
                Advisory.status == AdvisoryStatus.PUBLISHED,
                Advisory.organization_id.is_not(None),
            )
        )
        sources = union(sources, on_package)
        published = Organization.id.in_(on_package)
    already = select(CaseVendor.organization_id).where(CaseVendor.case_id == case.id)
    query = (
        select(Organization, declared.label("declared"), published.label("published"))
        .where(Organization.id.in_(sources), Organization.id.not_in(already))
        .order_by(Organization.name)
        .limit(limit)
    )
    package = f"{key.ecosystem}/{key.package}"
    found = []
    for org, declared_purl, advised in db.execute(query):
        reasons = ([f"declares {declared_purl}"] if declared_purl else []) + (
            [f"published advisories on {package}"] if advised else []
        )
        found.append(Candidate(org, tuple(reasons)))
    return found


def get_vendor(db: Session, case: DisclosureCase, slug: str) -> tuple[CaseVendor, Organization]:
    """One vendor of the case, by its organization's slug."""
    found = db.execute(
        select(CaseVendor, Organization)
        .join(Organization, Organization.id == CaseVendor.organization_id)
        .where(CaseVendor.case_id == case.id, Organization.slug == slug)
    ).first()
    if found is None:
        raise NotFound(
            Message(N_("%(slug)s is not a vendor of this case"), slug=slug), field="slug"
        )
    return found[0], found[1]


def set_status(
    db: Session,
    *,
    access: CaseAccess,
    slug: str,
    data: VendorStatusUpdate,
    actor: Actor,
    settings: Settings,
) -> CaseVendor:
    """A vendor states its status (its members, or a coordinator on its behalf)."""
    case = access.case
    vendor, org = get_vendor(db, case, slug)
    if not may_answer_for(access.standing, org.id):
        raise Forbidden(
            Message(N_("only %(name)s or a coordinator may state its status"), name=org.name)
        )
    _answerable(case)
    vendor.status = data.status
    vendor.justification = data.justification.value if data.justification else None
    vendor.statement = data.statement
    vendor.purl = data.purl
    vendor.affected_versions = list(data.affected_versions)
    vendor.fixed_versions = list(data.fixed_versions)
    vendor.updated_at = utcnow()
    vulnerabilities.mirror(db, case=case, vendor=vendor)
    touch(case)
    details = {
        "vendor": org.slug,
        "status": data.status.value,
        "justification": vendor.justification,
        "fixed": vendor.fixed_versions,
    }
    history.record(
        db,
        settings=settings,
        case=case,
        kind="status_changed",
        actor_label=actor.label,
        organization_id=org.id,
        summary=f"{org.name}: {_STATUS_TEXT[data.status]}",
        details=details,
    )
    notices.to_case(
        db, settings=settings, case=case, kind="status", what=N_("A vendor status changed")
    )
    # A vendor now not affected no longer holds a pending embargo proposal.
    from accord.disclosure.embargo import settle

    settle(db, case=case, actor=actor, settings=settings)
    events.recorded(db, settings=settings)
    return vendor


# English in the stored history; pages show them translated (``{{ _(status_text[s]) }}``).
_STATUS_TEXT = {
    VendorStatus.NO_REPLY: N_("no reply yet"),
    VendorStatus.ACKNOWLEDGED: N_("acknowledged"),
    VendorStatus.AFFECTED: N_("affected"),
    VendorStatus.NOT_AFFECTED: N_("not affected"),
    VendorStatus.FIXED: N_("fixed"),
}


def status_text(status: VendorStatus) -> str:
    """How pages name a status; "no reply yet" never reads as "not affected"."""
    return _STATUS_TEXT[status]
