"""Hand-built OSV records for what the PyPA database lacks: other ecosystems, SEMVER and GIT
ranges, last_affected and limit events, GIT-only entries, awkward version strings.

Each is a valid OSV 1.7 record (checked against the OSV schema in test_records.py).
"""

from __future__ import annotations

from typing import Any

# Real feeds carry URLs that are not URIs (the OSV schema refuses them, importers may not).
ODD_URL = "https://example.org/a page|with odd chars?q=ü"
ODD_URL_AS_URI = "https://example.org/a%20page%7Cwith%20odd%20chars?q=%C3%BC"


MULTI_ECOSYSTEM: dict[str, Any] = {
    "schema_version": "1.7.0",
    "id": "OSV-2024-0001",
    "modified": "2024-03-02T10:00:00Z",
    "published": "2024-03-01T09:30:00.123456Z",
    "aliases": ["CVE-2024-0001", "CVE-2024-0002", "GHSA-aaaa-bbbb-cccc"],
    "summary": "Path traversal in the example toolkit's archive extraction",
    "details": "Archive members named `../x` are written **outside** the target folder.",
    "affected": [
        {
            "package": {"ecosystem": "npm", "name": "@example/toolkit"},
            "ranges": [
                {
                    "type": "SEMVER",
                    "events": [
                        {"introduced": "1.0.0"},
                        {"fixed": "1.2.3"},
                        {"introduced": "2.0.0-beta.1"},
                        {"fixed": "2.0.1"},
                    ],
                }
            ],
        },
        {
            "package": {"ecosystem": "Maven", "name": "org.example:toolkit-core"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"last_affected": "3.4"}]}
            ],
        },
        {
            "package": {"ecosystem": "Go", "name": "github.com/example/toolkit"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.5.0"}]}],
        },
        {
            "package": {"ecosystem": "Debian:11", "name": "toolkit"},
            "ranges": [
                {
                    "type": "ECOSYSTEM",
                    "events": [{"introduced": "0"}, {"fixed": "1.1.1n-0+deb11u4"}],
                }
            ],
        },
        {
            "package": {"ecosystem": "crates.io", "name": "toolkit"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0.3.0"}]}],
        },
        {
            "package": {"ecosystem": "PyPI", "name": "example-toolkit"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"limit": "2.0"}]},
                {
                    "type": "GIT",
                    "repo": "https://github.com/example/toolkit",
                    "events": [
                        {"introduced": "0"},
                        {"fixed": "8f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c"},
                    ],
                },
            ],
            "versions": ["1.0", "1.1", "1.2+local.1"],
        },
        {
            "package": {"ecosystem": "Alpine:v3.18", "name": "toolkit"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.4-r1"}]}],
        },
    ],
    "references": [
        {"type": kind, "url": f"https://example.org/{kind.lower()}"}
        for kind in (
            "ADVISORY",
            "ARTICLE",
            "DETECTION",
            "DISCUSSION",
            "REPORT",
            "FIX",
            "INTRODUCED",
            "GIT",
            "PACKAGE",
            "EVIDENCE",
            "WEB",
        )
    ],
    "credits": [
        {"name": "Ada Finder", "contact": ["mailto:ada@example.org"], "type": "FINDER"},
        {"name": "Example CERT", "contact": ["https://cert.example"], "type": "COORDINATOR"},
        {"name": "Bob Patch", "type": "REMEDIATION_DEVELOPER"},
        {"name": "No Type"},
    ],
}

GIT_ONLY: dict[str, Any] = {
    "schema_version": "1.7.0",
    "id": "OSV-2024-0002",
    "modified": "2024-03-02T10:00:00Z",
    "published": "2024-03-01T09:30:00Z",
    "details": "Heap overflow in libfoo's parser, found by fuzzing.",
    "affected": [
        {
            "ranges": [
                {
                    "type": "GIT",
                    "repo": "https://github.com/example/libfoo.git",
                    "events": [
                        {"introduced": "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"},
                        {"fixed": "0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e"},
                        {"introduced": "aaaabbbbccccddddeeeeffff0000111122223333"},
                    ],
                }
            ],
            "versions": ["v1.0", "v1.1"],
        },
        {
            "ranges": [
                {
                    "type": "GIT",
                    "repo": "https://gitlab.example/group/libbar",
                    "events": [
                        {"introduced": "0"},
                        {"fixed": "4444555566667777888899990000aaaabbbbcccc"},
                    ],
                }
            ],
        },
    ],
    "references": [{"type": "REPORT", "url": "https://bugs.example/123"}],
}

AWKWARD_VERSIONS: dict[str, Any] = {
    "schema_version": "1.7.0",
    "id": "OSV-2024-0003",
    "modified": "2024-03-02T10:00:00Z",
    "summary": "Versions whose names read like ranges, and ecosystems without a vers scheme",
    "affected": [
        {
            "package": {"ecosystem": "Maven", "name": "org.example:installer"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.4.0-installer"}]}
            ],
        },
        {
            "package": {"ecosystem": "Linux", "name": "Kernel"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "5.10"}, {"fixed": "5.15"}]}
            ],
        },
        {
            "package": {"ecosystem": "Packagist", "name": "example/all-versions"},
            "versions": ["1.0.0", "1.0.1"],
        },
    ],
    "references": [{"type": "WEB", "url": "https://example.org/awkward"}],
}

HAND_BUILT = {
    "multi-ecosystem": MULTI_ECOSYSTEM,
    "git-only": GIT_ONLY,
    "awkward-versions": AWKWARD_VERSIONS,
}
