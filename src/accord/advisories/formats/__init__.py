"""Converters from an OSV record (a plain dict) and its publication data to other formats.

Pure functions, no database: CSAF 2.0 (security advisory or VEX), CVE JSON 5 and a STIX 2.1
vulnerability. The caller builds a :class:`PublicationMeta` from what the hub stores.
"""

from accord.advisories.formats.csaf import csaf_filename, csaf_json, to_csaf
from accord.advisories.formats.cve import to_cve_json5
from accord.advisories.formats.meta import (
    CvssScore,
    ProductStatement,
    PublicationMeta,
    Publisher,
    PublisherCategory,
    Revision,
    StatementStatus,
    Tlp,
    TrackingStatus,
    VexJustification,
    Weakness,
)
from accord.advisories.formats.stix import (
    tlp_marking_definition,
    to_stix_vulnerability,
    vulnerability_id,
)

__all__ = [
    "CvssScore",
    "ProductStatement",
    "PublicationMeta",
    "Publisher",
    "PublisherCategory",
    "Revision",
    "StatementStatus",
    "Tlp",
    "TrackingStatus",
    "VexJustification",
    "Weakness",
    "csaf_filename",
    "csaf_json",
    "tlp_marking_definition",
    "to_csaf",
    "to_cve_json5",
    "to_stix_vulnerability",
    "vulnerability_id",
]
