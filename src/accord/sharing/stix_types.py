"""The STIX 2.1 object types the hub tells apart, and the properties each requires.

Apart from :mod:`.stix_validation`, which checks objects by them and gives these names as it
always did.
"""

from __future__ import annotations

from collections.abc import Mapping

SCO_TYPES = frozenset(
    {
        "artifact", "autonomous-system", "directory", "domain-name", "email-addr",
        "email-message", "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex",
        "network-traffic", "process", "software", "url", "user-account",
        "windows-registry-key", "x509-certificate",
    }
)  # fmt: skip
SRO_TYPES = frozenset({"relationship", "sighting"})
META_TYPES = frozenset({"marking-definition", "language-content", "extension-definition"})

# Properties each SDO and SRO requires beyond the common ones (STIX 2.1, sections 4 and 5).
REQUIRED: Mapping[str, tuple[str, ...]] = {
    "attack-pattern": ("name",),
    "campaign": ("name",),
    "course-of-action": ("name",),
    "grouping": ("context", "object_refs"),
    "identity": ("name",),
    "incident": ("name",),
    "indicator": ("pattern", "pattern_type", "valid_from"),
    "infrastructure": ("name",),
    "intrusion-set": ("name",),
    "location": (),
    "malware": ("is_family",),
    "malware-analysis": ("product",),
    "note": ("content", "object_refs"),
    "observed-data": ("first_observed", "last_observed", "number_observed"),
    "opinion": ("opinion", "object_refs"),
    "report": ("name", "published", "object_refs"),
    "threat-actor": ("name",),
    "tool": ("name",),
    "vulnerability": ("name",),
    "relationship": ("relationship_type", "source_ref", "target_ref"),
    "sighting": ("sighting_of_ref",),
    "marking-definition": (),
    "language-content": ("object_ref", "contents"),
    "extension-definition": ("name", "schema", "version", "extension_types"),
}
TIMESTAMP_PROPERTIES = (
    "valid_from", "valid_until", "first_seen", "last_seen", "first_observed",
    "last_observed", "published", "object_modified",
)  # fmt: skip
