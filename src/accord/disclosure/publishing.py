"""Publishing a case: advisories built from it, through the advisories domain.

Two kinds of advisory come from a case, each published once:

- each vendor that is affected (or fixed) publishes its own, for its own product: attributed
  to its organization (listed under its advisories, counted in its progress figures), with
  the one ``affected`` entry of its product; its id is ``x_PREFIX-YYYY-NNNN-<vendor slug>``;
- the coordinators publish the case's advisory, with every vendor's answer: one ``affected``
  entry per vendor that is affected or fixed, and the vendors that are not affected, with
  their VEX justifications, in ``database_specific.vex``; its id is ``x_PREFIX-YYYY-NNNN``.

``PREFIX`` is the hub's (``ACCORD_ADVISORY_ID_PREFIX``), ``YYYY-NNNN`` the case's year and
number; the OSV schema admits a prefix that is not registered with OSV only behind ``x_``
(``ids.explain_id`` says this on every page that shows such an id). Both records carry the
CVE id as an alias, the reporter's chosen credit, the CVSS vector and CWE ids. The first
publication, under the embargo rule of :mod:`embargo`, makes the case public; later ones need
no embargo check. ``publication.publish`` stores each version and appends it to the
transparency log; the OSV, CSAF and CVE JSON 5 exports are made like any other advisory's.
"""

from __future__ import annotations

from typing import Any

from packageurl import PackageURL
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.advisories import documents, ecosystems
from accord.advisories.models import Advisory, AdvisoryStatus, AdvisoryVersion, Tlp
from accord.advisories.publication import publish
from accord.clock import utcnow
from accord.config import Settings
from accord.disclosure import embargo, history, notices, parties, vendors
from accord.disclosure.cases import CaseAccess, touch
from accord.disclosure.models import CaseStatus, CaseVendor, DisclosureCase, VendorStatus
from accord.disclosure.schemas import PublishRequest, VendorRead
from accord.errors import Conflict, Forbidden, InvalidInput
from accord.identity import audit
from accord.identity.models import Organization
from accord.identity.policy import Actor, CaseStanding, may_publish_case, may_publish_for


def _package(purl_text: str) -> dict[str, str] | None:
    found = ecosystems.from_purl(purl_text, field="purl")
    if found is None:
        return None
    purl = PackageURL.from_string(purl_text)
    plain = PackageURL(purl.type, purl.namespace, purl.name).to_string()
    return {"ecosystem": found.ecosystem, "name": found.name, "purl": plain}


def _affected(vendor: CaseVendor, org: Organization, case: DisclosureCase) -> dict[str, Any]:
    purl = vendor.purl or case.purl
    entry: dict[str, Any] = {"database_specific": {"vendor": org.slug, "product": case.product}}
    package = _package(purl) if purl else None
    if package is not None:
        entry["package"] = package
    if vendor.affected_versions:
        entry["versions"] = list(vendor.affected_versions)
    if package is not None and (vendor.fixed_versions or not vendor.affected_versions):
        events: list[dict[str, str]] = [{"introduced": "0"}]
        if vendor.fixed_versions:
            events.append({"fixed": vendor.fixed_versions[0]})
        entry["ranges"] = [{"type": "ECOSYSTEM", "events": events}]
    if len(vendor.fixed_versions) > 1:
        entry["database_specific"]["fixed_versions"] = list(vendor.fixed_versions)
    return entry


def advisory_id(case: DisclosureCase, *, prefix: str, vendor: str | None = None) -> str:
    """The id of the case's advisory (or of ``vendor``'s own): OSV reserves ids without a
    registered prefix to ``x_``."""
    assert case.year is not None
    assert case.number is not None
    base = f"x_{prefix}-{case.year}-{case.number:04d}"
    return f"{base}-{vendor}" if vendor else base


def publishers(
    case: DisclosureCase, standing: CaseStanding, answerable: list[VendorRead]
) -> list[tuple[str, str]]:
    """What the viewer may still publish from the case, as (vendor slug or "", label)."""
    if case.status not in (CaseStatus.OPEN, CaseStatus.PUBLISHED) or case.ref is None:
        return []
    found = []
    if may_publish_case(standing) and case.advisory_id is None:
        found.append(("", "the coordinators' advisory of the case (every vendor's answer)"))
    found += [
        (v.organization, f"the advisory of {v.name} for its product")
        for v in answerable
        if v.status in (VendorStatus.AFFECTED, VendorStatus.FIXED) and v.advisory_id is None
    ]
    return found


def build_record(
    case: DisclosureCase,
    data: PublishRequest,
    rows: list[tuple[CaseVendor, Organization]],
    *,
    osv_id: str,
) -> dict[str, Any]:
    """The OSV record of the case, over the vendors of ``rows`` (``modified`` and
    ``published`` set at publication)."""
    assert case.ref is not None
    record: dict[str, Any] = {
        "schema_version": documents.SCHEMA_VERSION,
        "id": osv_id,
        "summary": data.summary or case.title,
        "details": data.details or "\n\n".join(p for p in (case.description, case.impact) if p),
    }
    if data.cve_id:
        record["aliases"] = [data.cve_id]
    affected = [
        _affected(vendor, org, case)
        for vendor, org in rows
        if vendor.status in (VendorStatus.AFFECTED, VendorStatus.FIXED)
    ]
    if affected:
        record["affected"] = affected
    if case.credit:
        record["credits"] = [{"name": case.credit, "type": "FINDER"}]
    if data.cvss_v3:
        record["severity"] = [{"type": "CVSS_V3", "score": data.cvss_v3.strip()}]
    vex = [
        {
            "vendor": org.slug,
            "name": org.name,
            "product": case.product,
            "purl": vendor.purl or case.purl,
            "justification": vendor.justification,
            "statement": vendor.statement,
        }
        for vendor, org in rows
        if vendor.status is VendorStatus.NOT_AFFECTED
    ]
    specific: dict[str, Any] = {"disclosure_case": case.ref}
    if data.cwe_ids:
        specific["cwe_ids"] = list(data.cwe_ids)
    if vex:
        specific["vex"] = vex
    record["database_specific"] = specific
    return record


def publish_case(
    db: Session, *, access: CaseAccess, data: PublishRequest, actor: Actor, settings: Settings
) -> Advisory:
    """Publish an advisory from the case: ``data.vendor``'s own (that vendor's members or a
    coordinator, while it is affected or fixed), else the coordinators' advisory of the case.
    The first publication waits for the embargo unless every vendor that may be affected
    agreed to an earlier release."""
    case = access.case
    slug = data.vendor or _own_vendor(db, access)
    target = vendors.get_vendor(db, case, slug) if slug else None
    if target is None:
        if not may_publish_case(access.standing):
            raise Forbidden("only a coordinator, or an affected vendor for itself, may publish")
        if case.advisory_id is not None:
            raise Conflict(
                f"the case's advisory {case.advisory_id} exists already", field="case_id"
            )
    else:
        vendor, org = target
        if not may_publish_for(access.standing, org.id):
            raise Forbidden(f"only {org.name} or a coordinator may publish its advisory")
        if vendor.status not in (VendorStatus.AFFECTED, VendorStatus.FIXED):
            raise Conflict(
                f"{org.name} publishes an advisory once it states it is affected or fixed",
                field="vendor",
            )
        if vendor.advisory_id is not None:
            raise Conflict(f"{org.name} published {vendor.advisory_id} already", field="vendor")
    if case.status is CaseStatus.OPEN and case.ref is not None:
        embargo.check_publishable(db, case)
    elif case.status is not CaseStatus.PUBLISHED:
        raise Conflict(
            f"only an open case is published; this one is {case.status}", field="case_id"
        )
    advisory, version = _store(
        db, case=case, data=data, target=target, actor=actor, settings=settings
    )
    first = case.status is CaseStatus.OPEN
    now = utcnow()
    if target is None:
        case.advisory_id = advisory.osv_id
    else:
        target[0].advisory_id = advisory.osv_id
    if first:
        case.status = CaseStatus.PUBLISHED
        case.published_at = now
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
            "sha256": version.document_sha256,
        },
    )
    if first:
        history.reveal(db, settings=settings, case=case)
        notices.to_case(
            db, settings=settings, case=case, kind="published", what="The case was published"
        )
    notices.to_reporter(db, settings=settings, case=case, what="The advisory was published")
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
    data: PublishRequest,
    target: tuple[CaseVendor, Organization] | None,
    actor: Actor,
    settings: Settings,
) -> tuple[Advisory, AdvisoryVersion]:
    prefix = settings.advisory_id_prefix
    osv_id = advisory_id(case, prefix=prefix, vendor=target[1].slug if target else None)
    if db.scalar(select(Advisory.id).where(Advisory.osv_id == osv_id)) is not None:
        raise Conflict(f"an advisory {osv_id} exists already", field="case_id")
    rows = [target] if target else vendors.listed(db, case)
    record = build_record(case, data, rows, osv_id=osv_id)
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
            f"the advisory would be invalid: {exc.message}", field=exc.field
        ) from None
    advisory.cwe_ids = list(data.cwe_ids)
    audit.record(
        db,
        actor=actor,
        action="advisory.publish",
        target=osv_id,
        organization_id=advisory.organization_id,
        details={"version": version.number, "case": case.public_id},
    )
    return advisory, version
