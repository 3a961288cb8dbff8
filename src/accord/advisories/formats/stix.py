"""An OSV record as a STIX 2.1 ``vulnerability`` object, marked with its TLP 2.0 label.

The id is deterministic: a UUIDv5 of the advisory id in a namespace fixed for the hub's
advisories, so every export of one advisory, from any hub running this code, is the same
STIX object (a newer version of it only moves ``modified``). TLP 2.0 labels are the
marking-definition objects OASIS published with the TLP 2.0 extension (cti-stix-common-objects,
extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d); STIX 2.1 itself predefines only
TLP 1.0 markings.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from accord.advisories.formats import osv
from accord.advisories.formats.csaf_vulnerability import REFERENCE_SUMMARIES
from accord.advisories.formats.meta import PublicationMeta, Tlp

# Fixed once and for all: changing it would give every advisory a new STIX identity.
VULNERABILITY_NAMESPACE = uuid.UUID("dc8b5a12-f8db-491f-81e9-9495191c2b5c")

TLP_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP_MARKING_IDS = {
    Tlp.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Tlp.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Tlp.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Tlp.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
_TLP_CREATED = "2022-10-01T00:00:00.000Z"


def vulnerability_id(advisory_id: str) -> str:
    """The STIX id of the vulnerability object for an advisory id."""
    return f"vulnerability--{uuid.uuid5(VULNERABILITY_NAMESPACE, advisory_id)}"


def to_stix_vulnerability(record: osv.Record, meta: PublicationMeta) -> dict[str, Any]:
    """The STIX 2.1 vulnerability object of an OSV record.

    Its name is the first CVE id when there is one (the name STIX tools match
    vulnerabilities by), else the advisory id; a withdrawn record is ``revoked``.
    """
    modified = osv.parse_time(record["modified"])
    created = min(osv.parse_time(record.get("published") or record["modified"]), modified)
    cves = osv.cve_ids(record)
    vulnerability: dict[str, Any] = {
        "type": "vulnerability",
        "spec_version": "2.1",
        "id": vulnerability_id(str(record["id"])),
        "created": _timestamp(created),
        "modified": _timestamp(modified),
        "name": cves[0] if cves else str(record["id"]),
        "description": osv.description(record),
        "external_references": _external_references(record, meta, cves),
        "object_marking_refs": [TLP_MARKING_IDS[meta.tlp]],
        "lang": "en",
    }
    if record.get("withdrawn"):
        vulnerability["revoked"] = True
    return vulnerability


def tlp_marking_definition(tlp: Tlp) -> dict[str, Any]:
    """The marking-definition object OASIS published for a TLP 2.0 label, for bundles."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP_MARKING_IDS[tlp],
        "created": _TLP_CREATED,
        "name": f"TLP:{tlp.value}",
        "extensions": {
            TLP_EXTENSION_ID: {
                "extension_type": "property-extension",
                "tlp_2_0": tlp.value.lower(),
            }
        },
    }


def _external_references(
    record: osv.Record, meta: PublicationMeta, cves: list[str]
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = [{"source_name": "cve", "external_id": cve} for cve in cves]
    for identifier in osv.other_ids(record):
        reference = {"source_name": osv.id_system(identifier).lower(), "external_id": identifier}
        if identifier == record["id"] and meta.record_url:
            reference["url"] = meta.record_url
        found.append(reference)
    found += [{"source_name": "cwe", "external_id": cwe.id} for cwe in meta.cwes]
    seen: set[str] = set()
    for reference in record.get("references") or ():
        url = osv.as_uri(str(reference["url"]))
        kind = str(reference.get("type", "WEB"))
        if url not in seen:
            seen.add(url)
            summary = REFERENCE_SUMMARIES.get(kind, kind.capitalize())
            found.append({"source_name": kind.lower(), "url": url, "description": summary})
    return found


def _timestamp(moment: datetime) -> str:
    # STIX timestamps are UTC with a "Z"; created and modified are precise to the millisecond.
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.removesuffix("+00:00") + "Z"
