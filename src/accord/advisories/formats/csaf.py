"""An OSV record as a CSAF 2.0 document (OASIS CSAF 2.0, csaf_security_advisory or csaf_vex).

The document part (publisher, distribution, notes, tracking) is built here; the product tree
in :mod:`csaf_products` and the vulnerability in :mod:`csaf_vulnerability`. The profile is
``csaf_vex`` when the publication states products not affected, ``csaf_security_advisory``
otherwise, except when no product has a conclusive status: a record that names packages
without saying which versions are affected (the PyPA database has such withdrawn records)
makes a ``csaf_base`` document, as an advisory must state at least one conclusive status.
"""

from __future__ import annotations

import json
import re
from typing import Any

from accord import __version__
from accord.advisories.formats import osv
from accord.advisories.formats.csaf_products import build_products
from accord.advisories.formats.csaf_vulnerability import build_vulnerability
from accord.advisories.formats.meta import PublicationMeta, Publisher, Tlp

# CSAF 2.0 predates TLP 2.0 and takes TLP 1.0 labels (section 3.2.1.5.2). TLP 2.0 renamed
# WHITE to CLEAR, and its AMBER+STRICT is what TLP 1.0 AMBER was read as by most; the 2.0
# label itself is kept in the distribution text.
TLP_V1_LABELS = {
    Tlp.CLEAR: "WHITE",
    Tlp.GREEN: "GREEN",
    Tlp.AMBER: "AMBER",
    Tlp.AMBER_STRICT: "AMBER",
    Tlp.RED: "RED",
}
_TLP_RULES = {
    Tlp.CLEAR: "may be shared without restriction",
    Tlp.GREEN: "may be shared within the recipient's community, not publicly",
    Tlp.AMBER: "may be shared within the recipient's organization and its clients",
    Tlp.AMBER_STRICT: "may be shared only within the recipient's organization",
    Tlp.RED: "is for the named recipients only",
}
_NOT_IN_FILENAME = re.compile(r"[^+\-a-z0-9]+")


def to_csaf(record: osv.Record, meta: PublicationMeta) -> dict[str, Any]:
    """The CSAF 2.0 document for an OSV record and its publication data."""
    products = build_products(record, meta)
    category = "csaf_vex" if meta.is_vex else "csaf_security_advisory"
    return {
        "document": _document(record, meta, category if products.conclusive else "csaf_base"),
        "product_tree": products.tree,
        "vulnerabilities": [build_vulnerability(record, meta, products)],
    }


def csaf_filename(tracking_id: str) -> str:
    """The file name CSAF 2.0 section 5.1 gives a document with this tracking id.

    Lower case, every run of characters other than ``a-z``, ``0-9``, ``+`` and ``-``
    replaced by one ``_`` (the spec keeps ``+``), then ``.json``.
    """
    return _NOT_IN_FILENAME.sub("_", tracking_id.lower()) + ".json"


def csaf_json(document: dict[str, Any]) -> str:
    """The document serialized with sorted keys, as CSAF 2.0 section 5.3 recommends."""
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def _document(record: osv.Record, meta: PublicationMeta, category: str) -> dict[str, Any]:
    withdrawn = record.get("withdrawn")
    document: dict[str, Any] = {
        "category": category,
        "csaf_version": "2.0",
        "distribution": {
            "text": f"TLP:{meta.tlp.value} (TLP 2.0): this document {_TLP_RULES[meta.tlp]}.",
            "tlp": {"label": TLP_V1_LABELS[meta.tlp], "url": "https://www.first.org/tlp/"},
        },
        "lang": "en",
        "notes": [
            {
                "category": "summary",
                "title": "Summary",
                "text": meta.summary.strip() or osv.title(record),
            }
        ],
        "publisher": _publisher(meta.publisher),
        "title": ("Withdrawn: " if withdrawn else "") + osv.title(record),
        "tracking": _tracking(meta),
    }
    if withdrawn:
        when = osv.rfc3339(osv.parse_time(withdrawn))
        text = f"{record['id']} was withdrawn on {when}: what it states no longer holds."
        document["notes"].append({"category": "general", "title": "Withdrawn", "text": text})
    references: list[dict[str, str]] = []
    if meta.document_url:
        # Test 6.2.11: the canonical URL, where the provider serves this very document.
        summary = "This document, where its publisher's CSAF provider serves it"
        references.append({"category": "self", "summary": summary, "url": meta.document_url})
    if meta.record_url:
        # The same vulnerability in focus, from the same publisher: "self" too (3.2.1.11.1).
        summary = f"{record['id']} in the OSV format"
        references.append({"category": "self", "summary": summary, "url": meta.record_url})
    if references:
        document["references"] = references
    severity = meta.cvss_v4 or meta.cvss_v3
    if severity is not None:
        document["aggregate_severity"] = {"text": severity.severity.capitalize()}
    return document


def _publisher(publisher: Publisher) -> dict[str, Any]:
    found = {
        "category": publisher.category.value,
        "name": publisher.name,
        "namespace": publisher.namespace,
    }
    if publisher.contact_details:
        found["contact_details"] = publisher.contact_details
    if publisher.issuing_authority:
        found["issuing_authority"] = publisher.issuing_authority
    return found


def _tracking(meta: PublicationMeta) -> dict[str, Any]:
    return {
        "current_release_date": osv.rfc3339(meta.current_release_date),
        "generator": {"engine": {"name": "Accord", "version": __version__}},
        "id": meta.tracking_id,
        "initial_release_date": osv.rfc3339(meta.initial_release_date),
        "revision_history": [
            {"date": osv.rfc3339(r.date), "number": r.number, "summary": r.summary}
            for r in meta.revisions
        ],
        "status": meta.status.value,
        "version": meta.version,
    }
