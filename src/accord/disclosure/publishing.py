"""Publishing a case: an advisory built from it, through the advisories domain.

The record is an OSV record whose id is the case's, ``x_ACCORD-YYYY-NNNN`` (the OSV schema
admits unregistered prefixes only behind ``x_``), with the CVE id as an alias; credits from
the reporter's chosen credit; one ``affected`` entry per vendor that is affected or fixed (its
purl, affected and fixed versions); the CVSS vector and CWE ids. The vendors that are not
affected, with their VEX justifications, go in ``database_specific.vex``. ``publication.publish``
then stores the version and appends it to the transparency log; the OSV, CSAF and CVE JSON 5
exports are made from it like any other advisory's.
"""

from __future__ import annotations

from typing import Any

from packageurl import PackageURL
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.advisories import documents, ecosystems
from accord.advisories.models import Advisory, AdvisoryStatus, Tlp
from accord.advisories.publication import publish
from accord.clock import utcnow
from accord.config import Settings
from accord.disclosure import embargo, history, notices, parties, vendors
from accord.disclosure.cases import CaseAccess, touch
from accord.disclosure.models import CaseStatus, CaseVendor, DisclosureCase, VendorStatus
from accord.disclosure.schemas import PublishRequest
from accord.errors import Conflict, Forbidden, InvalidInput
from accord.identity import audit
from accord.identity.models import Organization
from accord.identity.policy import Actor, may_publish_case


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


def advisory_id(ref: str) -> str:
    """The advisory id of a case: OSV reserves ids without a registered prefix to ``x_``."""
    return f"x_{ref}"


def build_record(
    case: DisclosureCase, data: PublishRequest, rows: list[tuple[CaseVendor, Organization]]
) -> dict[str, Any]:
    """The OSV record of the case (``modified`` and ``published`` set at publication)."""
    assert case.ref is not None
    record: dict[str, Any] = {
        "schema_version": documents.SCHEMA_VERSION,
        "id": advisory_id(case.ref),
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
    """Publish the case's advisory (coordinators; not before the embargo unless agreed)."""
    case = access.case
    if not may_publish_case(access.standing):
        raise Forbidden("only a coordinator may publish a case")
    if case.status is not CaseStatus.OPEN or case.ref is None:
        raise Conflict(
            f"only an open case is published; this one is {case.status}", field="case_id"
        )
    embargo.check_publishable(db, case)
    osv_id = advisory_id(case.ref)
    if db.scalar(select(Advisory.id).where(Advisory.osv_id == osv_id)) is not None:
        raise Conflict(f"an advisory {osv_id} exists already", field="case_id")
    rows = vendors.listed(db, case)
    record = build_record(case, data, rows)
    now = utcnow()
    record["modified"] = record["published"] = documents.timestamp(now)
    advisory = Advisory(
        osv_id=osv_id,
        organization_id=parties.coordinator_org_id(db, settings),
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
    case.status = CaseStatus.PUBLISHED
    case.advisory_id = advisory.osv_id
    case.published_at = now
    touch(case)
    history.record(
        db,
        settings=settings,
        case=case,
        kind="published",
        actor_label=actor.label,
        summary=f"Published as advisory {advisory.osv_id}",
        details={"advisory": advisory.osv_id, "sha256": version.document_sha256},
    )
    notices.to_case(
        db, settings=settings, case=case, kind="published", what="The case was published"
    )
    notices.to_reporter(db, settings=settings, case=case, what="The advisory was published")
    return advisory
