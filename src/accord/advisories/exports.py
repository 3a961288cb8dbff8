"""A stored advisory in the other formats: CSAF 2.0, CVE JSON 5 and a STIX 2.1 bundle.

The converters in :mod:`accord.advisories.formats` are pure; this module fills their
:class:`PublicationMeta` from what the hub stores (the publishing organization, TLP, the
published versions as the revision history, CVSS scores, CWE names, the plain summary) and
returns the text of each format for one published version. The same version always gives
the same bytes, so hashes published beside a document stay true.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from accord.advisories import documents
from accord.advisories.formats import (
    CvssScore,
    ProductStatement,
    PublicationMeta,
    Publisher,
    PublisherCategory,
    Revision,
    StatementStatus,
    Tlp,
    VexJustification,
    Weakness,
    csaf_filename,
    csaf_json,
    tlp_marking_definition,
    to_csaf,
    to_cve_json5,
    to_stix_vulnerability,
    vulnerability_id,
)
from accord.advisories.formats.csaf import TLP_V1_LABELS
from accord.advisories.models import Advisory, AdvisoryStatus, AdvisoryVersion
from accord.config import Settings
from accord.errors import N_, InvalidInput, Message, NotFound
from accord.identity.models import OrgType

FORMATS = ("osv", "csaf", "cve", "stix")
CSAF_BASE = "/.well-known/csaf"
_CVE_ALIAS = re.compile(r"^CVE-[0-9]{4}-[0-9]{4,}$")
# Fixed once and for all: a bundle's id names one version of one advisory.
_BUNDLE_NAMESPACE = uuid.UUID("5f0b8e0c-3c1e-4f5e-9a51-6a7c3f1d2b90")
_CATEGORIES = {
    OrgType.VENDOR: PublisherCategory.VENDOR,
    OrgType.CSIRT: PublisherCategory.COORDINATOR,
}


@dataclass(frozen=True)
class Export:
    """One advisory version in one format: the exact bytes served and how to name them."""

    text: str
    media_type: str
    filename: str


@cache
def cwe_names() -> dict[str, str]:
    """CWE id to its current name in MITRE's list (the CSAF validator checks the names)."""
    path = resources.files("accord.advisories") / "data" / "cwe-names.json"
    return dict(json.loads(path.read_text("utf-8")))


def published_versions(advisory: Advisory, number: int | None = None) -> list[AdvisoryVersion]:
    """The advisory's versions up to ``number`` (all of them by default), oldest first.

    A draft that was never published, or a version that does not exist, is "not found".
    """
    versions = sorted(advisory.versions, key=lambda v: v.number)
    if number is not None:
        versions = [v for v in versions if v.number <= number]
        if not versions or versions[-1].number != number:
            raise NotFound(
                Message(
                    N_("%(osv_id)s has no version %(number)s"),
                    osv_id=advisory.osv_id,
                    number=number,
                ),
                field="version",
            )
    if not versions:
        raise NotFound(
            Message(N_("%(osv_id)s has not been published"), osv_id=advisory.osv_id), field="id"
        )
    return versions


def csaf_path(advisory: Advisory, initial: datetime) -> str:
    """Where the hub's CSAF provider serves the advisory's document, first published at ``initial``.

    ``<label>/<year>/<file>.json`` under :data:`CSAF_BASE`: the CSAF (TLP 1.0) label of its
    TLP, the year of its first publication, its file name (section 5.1). The provider serves
    it there and the document names it as its canonical URL (test 6.2.11).
    """
    label = TLP_V1_LABELS[Tlp(advisory.tlp.value)].lower()
    return f"{CSAF_BASE}/{label}/{initial.year}/{csaf_filename(advisory.osv_id)}"


def hub_publisher(settings: Settings) -> Publisher:
    """The hub itself as a CSAF publisher (for imported records and the provider metadata)."""
    return Publisher(settings.hub_name, settings.public_url, category=PublisherCategory.OTHER)


def publisher_of(advisory: Advisory, settings: Settings) -> Publisher:
    """The publishing organization, or the hub for records imported without one."""
    org = advisory.organization
    if org is None:
        return hub_publisher(settings)
    return Publisher(
        org.name,
        org.website,
        category=_CATEGORIES.get(org.org_type, PublisherCategory.OTHER),
        contact_details=org.security_contact,
        cve_org_id=uuid.UUID(org.cve_org_id) if org.cve_org_id else None,
    )


def meta_for(
    advisory: Advisory, versions: list[AdvisoryVersion], settings: Settings
) -> PublicationMeta:
    """The publication data of the last of ``versions`` (see :func:`published_versions`)."""
    revisions = tuple(
        Revision(str(v.number), v.published_at, _revision_summary(v)) for v in versions
    )
    names = cwe_names()
    return PublicationMeta(
        publisher=publisher_of(advisory, settings),
        tracking_id=advisory.osv_id,
        version=str(versions[-1].number),
        initial_release_date=versions[0].published_at,
        current_release_date=versions[-1].published_at,
        revisions=revisions,
        tlp=Tlp(advisory.tlp.value),
        summary=advisory.plain_summary,
        # A CWE id missing from MITRE's list cannot be named, and CSAF wants the name.
        cwes=tuple(Weakness(c, names[c]) for c in advisory.cwe_ids if c in names),
        cvss_v3=_score(advisory.cvss_v3_vector, advisory.cvss_v3_score),
        cvss_v4=_score(advisory.cvss_v4_vector, advisory.cvss_v4_score),
        record_url=f"{settings.public_url}/v1/vulns/{advisory.osv_id}",
        document_url=settings.public_url + csaf_path(advisory, versions[0].published_at),
        statements=statements_of(documents.loads(versions[-1].document)),
    )


def statements_of(record: dict[str, Any]) -> tuple[ProductStatement, ...]:
    """The product statuses kept in ``database_specific.vex`` of the record.

    A disclosure case writes one entry per vendor's product that it stated not affected
    (with the VEX justification it gave) or under investigation, and per affected or fixed
    product that no package names (``status``: the CSAF status; absent, not affected, as
    older records wrote); the CSAF document then states each.
    """
    specific = record.get("database_specific")
    entries = specific.get("vex") if isinstance(specific, dict) else None
    if not isinstance(entries, list):
        return ()
    statements = []
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("product"):
            continue
        justification = entry.get("justification")
        name = f"{entry.get('name') or entry.get('vendor') or ''} {entry['product']}".strip()
        status = entry.get("status") or StatementStatus.NOT_AFFECTED.value
        if status not in set(StatementStatus):
            continue  # a status this hub never writes (an imported record's own key)
        fixed = entry.get("fixed_versions")
        statements.append(
            ProductStatement(
                name=name,
                purl=entry.get("purl") or None,
                status=StatementStatus(status),
                justification=VexJustification(justification) if justification else None,
                impact_statement=entry.get("statement") or None,
                fixed_versions=tuple(str(v) for v in fixed) if isinstance(fixed, list) else (),
            )
        )
    return tuple(statements)


def _revision_summary(version: AdvisoryVersion) -> str:
    if version.number == 1:
        return "Initial publication."
    if documents.loads(version.document).get("withdrawn"):
        return "Withdrawn."
    return f"Version {version.number}: the record was updated."


def _score(vector: str | None, score: float | None) -> CvssScore | None:
    return CvssScore(vector, score) if vector and score is not None else None


def csaf_export(advisory: Advisory, settings: Settings, number: int | None = None) -> Export:
    """The CSAF 2.0 document of a published version (the latest by default)."""
    versions = published_versions(advisory, number)
    record = documents.loads(versions[-1].document)
    document = to_csaf(record, meta_for(advisory, versions, settings))
    return Export(csaf_json(document), "application/json", csaf_filename(advisory.osv_id))


def export(
    advisory: Advisory,
    fmt: str,
    settings: Settings,
    *,
    number: int | None = None,
    cna_org_id: uuid.UUID | None = None,
) -> Export:
    """Version ``number`` (the latest by default) of ``advisory`` in ``fmt`` (see FORMATS).

    A CVE record needs a CVE alias (else "not found", with the reason) and the CVE Services
    organization UUID of the CNA that will submit it: the publishing organization's stored
    ``cve_org_id``, unless ``cna_org_id`` overrides it.
    """
    if fmt == "csaf":
        return csaf_export(advisory, settings, number)
    versions = published_versions(advisory, number)
    text = versions[-1].document
    stem = re.sub(r"[^A-Za-z0-9_.+-]+", "_", advisory.osv_id)
    if fmt == "osv":
        return Export(text, "application/json", f"{stem}.osv.json")
    record = documents.loads(text)
    meta = meta_for(advisory, versions, settings)
    if fmt == "stix":
        bundle = _stix_bundle(record, meta, versions[-1].number)
        return Export(_json(bundle), "application/json", f"{stem}.stix.json")
    if fmt == "cve":
        return _cve_export(advisory, record, meta, stem, cna_org_id)
    raise NotFound(
        Message(
            N_("unknown format %(fmt)r: one of %(values)s"), fmt=fmt, values=", ".join(FORMATS)
        ),
        field="format",
    )


def _cve_export(
    advisory: Advisory,
    record: dict[str, Any],
    meta: PublicationMeta,
    stem: str,
    cna_org_id: uuid.UUID | None,
) -> Export:
    cves = [a for a in [record["id"], *(record.get("aliases") or [])] if _CVE_ALIAS.match(a)]
    if not cves:
        raise NotFound(
            Message(N_("%(record)s has no CVE id: no CVE record to give"), record=record["id"]),
            field="format",
        )
    if cna_org_id is not None:
        publisher = replace(meta.publisher, cve_org_id=cna_org_id)
        meta = replace(meta, publisher=publisher)
    elif meta.publisher.cve_org_id is None:
        raise InvalidInput(_no_cna_message(advisory), field="cve_org_id")
    cve = to_cve_json5(record, meta, cve_id=cves[0])
    return Export(_json(cve), "application/json", f"{stem}.cve.json")


def _no_cna_message(advisory: Advisory) -> str:
    org = advisory.organization
    if org is None:
        where = "the advisory has no publishing organization"
    else:
        where = (
            f"organization {org.slug!r} has no cve_org_id: its admins set it "
            f"(PATCH /api/v1/orgs/{org.slug})"
        )
    return (
        "a CVE record names its CNA by its CVE Services organization UUID, and "
        f"{where}; or give ?cna_org_id="
    )


def _stix_bundle(record: dict[str, Any], meta: PublicationMeta, number: int) -> dict[str, Any]:
    vulnerability = to_stix_vulnerability(record, meta)
    name = f"{vulnerability_id(str(record['id']))}@{number}"
    return {
        "type": "bundle",
        "id": f"bundle--{uuid.uuid5(_BUNDLE_NAMESPACE, name)}",
        "objects": [tlp_marking_definition(meta.tlp), vulnerability],
    }


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def exportable(advisory: Advisory) -> bool:
    """Whether the advisory has a published version to export."""
    return advisory.status is not AdvisoryStatus.DRAFT and advisory.document is not None
