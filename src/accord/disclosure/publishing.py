"""Publishing a case: one advisory per vulnerability, built from it, through the advisories
domain.

Two kinds of advisory come from each vulnerability of a case, each published once:

- each vendor that is affected (or fixed) publishes its own, for its own products: attributed
  to its organization (listed under its advisories, counted in its progress figures), with an
  ``affected`` entry per product of its that is affected or fixed;
- the coordinators publish the vulnerability's advisory, with every vendor's answer: one
  ``affected`` entry per product that is affected or fixed.

Both carry every product status they hold in ``database_specific.vex`` (not affected with its
VEX justification, under investigation, and affected or fixed where no package names the
product), which the CSAF export turns into ``product_status`` and ``flags``; a product no
vendor answered for is never stated (no reply is not "not affected").

Ids (``ids.explain_id`` says this on every page that shows one): for vulnerability 1,
``x_PREFIX-YYYY-NNNN`` and ``x_PREFIX-YYYY-NNNN-<vendor slug>`` as before several
vulnerabilities per case existed; for vulnerability *k* > 1, ``x_PREFIX-YYYY-NNNN.k`` and
``x_PREFIX-YYYY-NNNN.k-<vendor slug>``. ``PREFIX`` is the hub's
(``ACCORD_ADVISORY_ID_PREFIX``), ``YYYY-NNNN`` the case's year and number; the OSV schema
admits a prefix that is not registered with OSV only behind ``x_``. Each record carries the
vulnerability's CVE id as an alias, the reporter's chosen credit, its CVSS vector and CWE ids.
The first publication, under the embargo rule of :mod:`embargo`, makes the case public; later
ones need no embargo check. ``publication.publish`` stores each version and appends it to the
transparency log; the OSV, CSAF and CVE JSON 5 exports are made like any other advisory's.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.advisories import documents
from accord.advisories.models import Advisory, AdvisoryStatus, AdvisoryVersion, Tlp
from accord.advisories.publication import publish
from accord.clock import utcnow
from accord.config import Settings
from accord.disclosure import embargo, history, notices, parties, vendors, vulnerabilities
from accord.disclosure.cases import CaseAccess, touch
from accord.disclosure.models import (
    CaseStatus,
    CaseVendor,
    CaseVulnerability,
    DisclosureCase,
    VulnerabilityStatus,
)
from accord.disclosure.records import PUBLISHABLE, Stated, advisory_id, build_record
from accord.disclosure.schemas import PublishRequest, VendorRead
from accord.errors import Conflict, Forbidden, InvalidInput, Message
from accord.identity import audit
from accord.identity.models import Organization
from accord.identity.policy import Actor, CaseStanding, may_publish_case, may_publish_for
from accord.web.i18n import N_

__all__ = ["advisory_id", "build_record", "publish_case", "publish_vulnerabilities", "publishers"]


def publishers(
    db: Session,
    case: DisclosureCase,
    standing: CaseStanding,
    answerable: list[VendorRead],
    *,
    prefix: str,
) -> list[tuple[str, str]]:
    """What the viewer may still publish from the case, as (vendor slug or "", label): the
    coordinators' advisories while a vulnerability has none, and each answerable vendor's
    while one of its affected or fixed vulnerabilities has none of its own."""
    if case.status not in (CaseStatus.OPEN, CaseStatus.PUBLISHED) or case.ref is None:
        return []
    listed = vulnerabilities.listed(db, case)
    found = []
    several = len(listed) > 1
    if may_publish_case(standing) and any(v.advisory_id is None for v in listed):
        found.append(
            (
                "",
                "the coordinators' advisories of the case, one per vulnerability (every "
                "vendor's answer)"
                if several
                else "the coordinators' advisory of the case (every vendor's answer)",
            )
        )
    own: dict[str, set[int]] = {}
    for slug, vulnerability_id in vulnerabilities.publishable(db, case):
        own.setdefault(slug, set()).add(vulnerability_id)
    wanted = {
        v.organization: [
            advisory_id(case, prefix=prefix, vendor=v.organization, ordinal=vul.ordinal)
            for vul in listed
            if vul.id in own.get(v.organization, ())
        ]
        for v in answerable
    }
    existing = _existing(db, [i for ids in wanted.values() for i in ids])  # one query
    for v in answerable:
        if set(wanted[v.organization]) - existing:
            label = (
                f"the advisories of {v.name} for its products, one per vulnerability"
                if several
                else f"the advisory of {v.name} for its product"
            )
            found.append((v.organization, label))
    return found


def _existing(db: Session, ids: list[str]) -> set[str]:
    """Which of ``ids`` are advisories already."""
    if not ids:
        return set()
    return set(db.scalars(select(Advisory.osv_id).where(Advisory.osv_id.in_(ids))))


def publish_case(
    db: Session, *, access: CaseAccess, data: PublishRequest, actor: Actor, settings: Settings
) -> Advisory:
    """:func:`publish_vulnerabilities`, answering the first advisory it published (that of
    the lowest-numbered vulnerability)."""
    return publish_vulnerabilities(db, access=access, data=data, actor=actor, settings=settings)[0]


def publish_vulnerabilities(
    db: Session, *, access: CaseAccess, data: PublishRequest, actor: Actor, settings: Settings
) -> list[Advisory]:
    """Publish advisories from the case, one per vulnerability (``data.vulnerability``
    alone, if named): ``data.vendor``'s own (that vendor's members or a coordinator, for
    the vulnerabilities it is affected by or fixed), else the coordinators'. The first
    publication waits for the embargo unless every vendor that may be affected agreed to an
    earlier release. What ``data`` says of the advisory (summary, details, CVSS, CWE, CVE)
    is kept on the vulnerability it names (vulnerability 1 if none)."""
    case = access.case
    slug = data.vendor or _own_vendor(db, access)
    target = vendors.get_vendor(db, case, slug) if slug else None
    if target is None and not may_publish_case(access.standing):
        raise Forbidden(N_("only a coordinator, or an affected vendor for itself, may publish"))
    if target is not None and not may_publish_for(access.standing, target[1].id):
        raise Forbidden(
            Message(
                N_("only %(name)s or a coordinator may publish its advisory"), name=target[1].name
            )
        )
    if case.status not in (CaseStatus.OPEN, CaseStatus.PUBLISHED) or case.ref is None:
        raise Conflict(
            Message(
                N_("only an open case is published; this one is %(status)s"), status=case.status
            ),
            field="case_id",
        )
    vulnerabilities.first_of(db, case)
    chosen = (
        [vulnerabilities.get(db, case, data.vulnerability)]
        if data.vulnerability is not None
        else vulnerabilities.listed(db, case)
    )
    stated = vulnerabilities.statuses(db, case)
    todo = _pending(db, case, chosen, stated, target, prefix=settings.advisory_id_prefix)
    if case.status is CaseStatus.OPEN:
        embargo.check_publishable(db, case)
    described = _describe(db, case, data, store=target is None)
    published = []
    for vulnerability in todo:
        if described is not None and described.id == vulnerability.id:
            vulnerability = described
        rows: list[Stated] = [
            (row, org)
            for row, vendor, org in stated
            if row.vulnerability_id == vulnerability.id
            and (target is None or vendor.id == target[0].id)
        ]
        published.append(
            _publish_one(
                db,
                case=case,
                vulnerability=vulnerability,
                rows=rows,
                target=target,
                actor=actor,
                settings=settings,
            )
        )
    return published


def _pending(
    db: Session,
    case: DisclosureCase,
    chosen: list[CaseVulnerability],
    stated: list[tuple[VulnerabilityStatus, CaseVendor, Organization]],
    target: tuple[CaseVendor, Organization] | None,
    *,
    prefix: str,
) -> list[CaseVulnerability]:
    """The vulnerabilities of ``chosen`` still to publish for ``target``; Conflict when none."""
    if target is None:
        todo = [v for v in chosen if v.advisory_id is None]
        if not todo:
            done = ", ".join(str(v.advisory_id) for v in chosen)
            raise Conflict(
                Message(N_("the case's advisory %(done)s exists already"), done=done),
                field="case_id",
            )
        return todo
    vendor, org = target
    own = {
        row.vulnerability_id
        for row, v, _ in stated
        if v.id == vendor.id and row.status in PUBLISHABLE
    }
    mine = [v for v in chosen if v.id in own]
    if not mine:
        raise Conflict(
            Message(
                N_("%(name)s publishes an advisory once it states it is affected or fixed"),
                name=org.name,
            ),
            field="vendor",
        )
    ids = {v.id: advisory_id(case, prefix=prefix, vendor=org.slug, ordinal=v.ordinal) for v in mine}
    taken = _existing(db, list(ids.values()))
    todo = [v for v in mine if ids[v.id] not in taken]
    if not todo:
        raise Conflict(
            Message(N_("%(name)s published its advisories already"), name=org.name), field="vendor"
        )
    return todo


def _describe(
    db: Session, case: DisclosureCase, data: PublishRequest, *, store: bool
) -> CaseVulnerability | None:
    """The vulnerability ``data`` names (1 if none), as the publication request describes it.

    Coordinators (``store``) keep the description on the vulnerability, as they may edit it;
    a vendor's request describes its own advisory alone (a copy, never added to the session).
    Once the coordinators' advisory of the vulnerability exists, its description is fixed: a
    change goes through a new version of that advisory, and later advisories follow it."""
    fields = data.model_fields_set & {"summary", "details", "cvss_v3", "cwe_ids", "cve_id"}
    if not fields:
        return None
    found = vulnerabilities.get(db, case, data.vulnerability or 1)
    if found.advisory_id is not None:
        return None
    target = (
        found
        if store
        else CaseVulnerability(
            id=found.id,
            case_id=found.case_id,
            ordinal=found.ordinal,
            summary=found.summary,
            details=found.details,
            cvss_vector=found.cvss_vector,
            cwe_ids=list(found.cwe_ids),
            cve_id=found.cve_id,
        )
    )
    if data.summary:
        target.summary = data.summary
    if data.details:
        target.details = data.details
    if data.cvss_v3:
        target.cvss_vector = data.cvss_v3
    if "cwe_ids" in fields:
        target.cwe_ids = list(data.cwe_ids)
    if data.cve_id:
        target.cve_id = data.cve_id
    target.updated_at = utcnow()
    return target


def _publish_one(
    db: Session,
    *,
    case: DisclosureCase,
    vulnerability: CaseVulnerability,
    rows: list[Stated],
    target: tuple[CaseVendor, Organization] | None,
    actor: Actor,
    settings: Settings,
) -> Advisory:
    advisory, version = _store(
        db,
        case=case,
        vulnerability=vulnerability,
        rows=rows,
        target=target,
        actor=actor,
        settings=settings,
    )
    first = case.status is CaseStatus.OPEN
    if target is None:
        vulnerability.advisory_id = advisory.osv_id
        if vulnerability.ordinal == 1:
            case.advisory_id = advisory.osv_id
    elif vulnerability.ordinal == 1:
        target[0].advisory_id = advisory.osv_id
    if first:
        case.status = CaseStatus.PUBLISHED
        case.published_at = utcnow()
    touch(case)
    by = f" by {target[1].name}" if target else ""
    history.record(
        db,
        settings=settings,
        case=case,
        kind="published",
        actor_label=actor.label,
        organization_id=target[1].id if target else None,
        summary=f"Published as advisory {advisory.osv_id}{by}",
        details={
            "advisory": advisory.osv_id,
            "vendor": target[1].slug if target else None,
            "vulnerability": vulnerability.ordinal,
            "sha256": version.document_sha256,
        },
    )
    if first:
        history.reveal(db, settings=settings, case=case)
        notices.to_case(
            db, settings=settings, case=case, kind="published", what=N_("The case was published")
        )
    notices.to_reporter(db, settings=settings, case=case, what=N_("The advisory was published"))
    return advisory


def _own_vendor(db: Session, access: CaseAccess) -> str | None:
    """The slug of the one vendor a non-coordinator publishing without naming one acts for."""
    if access.standing.coordinator or len(access.standing.vendor_org_ids) != 1:
        return None
    (org_id,) = access.standing.vendor_org_ids
    return db.scalar(select(Organization.slug).where(Organization.id == org_id))


def _store(
    db: Session,
    *,
    case: DisclosureCase,
    vulnerability: CaseVulnerability,
    rows: list[Stated],
    target: tuple[CaseVendor, Organization] | None,
    actor: Actor,
    settings: Settings,
) -> tuple[Advisory, AdvisoryVersion]:
    prefix = settings.advisory_id_prefix
    osv_id = advisory_id(
        case,
        prefix=prefix,
        vendor=target[1].slug if target else None,
        ordinal=vulnerability.ordinal,
    )
    if db.scalar(select(Advisory.id).where(Advisory.osv_id == osv_id)) is not None:
        raise Conflict(
            Message(N_("an advisory %(osv_id)s exists already"), osv_id=osv_id), field="case_id"
        )
    record = build_record(case, vulnerability, rows, osv_id=osv_id)
    now = utcnow()
    record["modified"] = record["published"] = documents.timestamp(now)
    advisory = Advisory(
        osv_id=osv_id,
        organization_id=target[1].id if target else parties.coordinator_org_id(db, settings),
        status=AdvisoryStatus.DRAFT,
        tlp=Tlp.CLEAR,
        source="disclosure",
        plain_summary="",
    )
    db.add(advisory)
    db.flush()
    try:
        version = publish(db, advisory=advisory, record=record, actor=actor, settings=settings)
    except InvalidInput as exc:
        raise InvalidInput(
            Message(N_("the advisory would be invalid: %(message)s"), message=exc.message),
            field=exc.field,
        ) from None
    advisory.cwe_ids = list(vulnerability.cwe_ids)
    audit.record(
        db,
        actor=actor,
        action="advisory.publish",
        target=osv_id,
        organization_id=advisory.organization_id,
        details={
            "version": version.number,
            "case": case.public_id,
            "vulnerability": vulnerability.ordinal,
        },
    )
    return advisory, version
