"""The OSV record of one vulnerability of a case, over the product statuses it is built from.

Kept apart from :mod:`publishing` (who may publish what, and when): this is only the shape
of the record, and the id scheme that ``ids.explain_id`` explains.
"""

from __future__ import annotations

from typing import Any

from packageurl import PackageURL

from accord.advisories import documents, ecosystems
from accord.disclosure.models import (
    CaseVulnerability,
    DisclosureCase,
    ProductStatus,
    VulnerabilityStatus,
)
from accord.identity.models import Organization

# How a stated status reads in CSAF (``product_status``): "vex" entries of the record carry it.
CSAF_STATUS = {
    ProductStatus.AFFECTED: "known_affected",
    ProductStatus.NOT_AFFECTED: "known_not_affected",
    ProductStatus.FIXED: "fixed",
    ProductStatus.UNDER_INVESTIGATION: "under_investigation",
}
PUBLISHABLE = (ProductStatus.AFFECTED, ProductStatus.FIXED)

Stated = tuple[VulnerabilityStatus, Organization]


def advisory_id(
    case: DisclosureCase, *, prefix: str, vendor: str | None = None, ordinal: int = 1
) -> str:
    """The id of a vulnerability's advisory (or of ``vendor``'s own): OSV reserves ids
    without a registered prefix to ``x_``; vulnerability 1 keeps the scheme of cases that
    held one, others add ``.<number>`` after the case's."""
    assert case.year is not None
    assert case.number is not None
    base = f"x_{prefix}-{case.year}-{case.number:04d}"
    if ordinal != 1:
        base = f"{base}.{ordinal}"
    return f"{base}-{vendor}" if vendor else base


def _package(purl_text: str) -> dict[str, str] | None:
    found = ecosystems.from_purl(purl_text, field="purl")
    if found is None:
        return None
    purl = PackageURL.from_string(purl_text)
    plain = PackageURL(purl.type, purl.namespace, purl.name).to_string()
    return {"ecosystem": found.ecosystem, "name": found.name, "purl": plain}


def _affected(
    row: VulnerabilityStatus, org: Organization, package: dict[str, str] | None
) -> dict[str, Any]:
    entry: dict[str, Any] = {"database_specific": {"vendor": org.slug, "product": row.product}}
    if package is not None:
        entry["package"] = package
    if row.affected_versions:
        entry["versions"] = list(row.affected_versions)
    if package is not None and (row.fixed_versions or not row.affected_versions):
        events: list[dict[str, str]] = [{"introduced": "0"}]
        if row.fixed_versions:
            events.append({"fixed": row.fixed_versions[0]})
        entry["ranges"] = [{"type": "ECOSYSTEM", "events": events}]
    if len(row.fixed_versions) > 1:
        entry["database_specific"]["fixed_versions"] = list(row.fixed_versions)
    return entry


def _statement(row: VulnerabilityStatus, org: Organization, purl: str | None) -> dict[str, Any]:
    return {
        "vendor": org.slug,
        "name": org.name,
        "product": row.product,
        "purl": purl,
        "status": CSAF_STATUS[row.status],
        "justification": row.justification,
        "statement": row.statement,
        "fixed_versions": list(row.fixed_versions),
    }


def build_record(
    case: DisclosureCase,
    vulnerability: CaseVulnerability,
    rows: list[Stated],
    *,
    osv_id: str,
) -> dict[str, Any]:
    """The OSV record of ``vulnerability`` over the statuses of ``rows`` (``modified`` and
    ``published`` set at publication).

    Affected and fixed products named by a package are ``affected`` entries; every stated
    status (those, when no package names the product, and every not affected or under
    investigation) is an entry of ``database_specific.vex`` for the CSAF export. A product
    without an answer is left out: no reply is not "not affected".
    """
    assert case.ref is not None
    default = "\n\n".join(p for p in (case.description, case.impact) if p)
    record: dict[str, Any] = {
        "schema_version": documents.SCHEMA_VERSION,
        "id": osv_id,
        "summary": vulnerability.summary,
        "details": vulnerability.details or default,
    }
    if vulnerability.cve_id:
        record["aliases"] = [vulnerability.cve_id]
    affected, vex = [], []
    for row, org in rows:
        if row.status is ProductStatus.NO_REPLY:
            continue
        purl = row.purl or (case.purl if row.product == case.product else None)
        package = _package(purl) if purl and row.status in PUBLISHABLE else None
        if package is not None:
            affected.append(_affected(row, org, package))
        else:
            vex.append(_statement(row, org, purl))
    if affected:
        record["affected"] = affected
    if case.credit:
        record["credits"] = [{"name": case.credit, "type": "FINDER"}]
    if vulnerability.cvss_vector:
        kind = "CVSS_V4" if vulnerability.cvss_vector.startswith("CVSS:4") else "CVSS_V3"
        record["severity"] = [{"type": kind, "score": vulnerability.cvss_vector}]
    specific: dict[str, Any] = {
        "disclosure_case": case.ref,
        "vulnerability": vulnerability.ordinal,
    }
    if vulnerability.cwe_ids:
        specific["cwe_ids"] = list(vulnerability.cwe_ids)
    if vex:
        specific["vex"] = vex
    record["database_specific"] = specific
    return record
