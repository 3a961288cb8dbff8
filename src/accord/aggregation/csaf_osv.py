"""A CSAF 2.0 document read as an OSV record: what a purl allows, the rest kept aside.

One OSV record per document. Its id is the document's ``tracking.id`` when that already
starts with a prefix OSV knows (``RHSA-2019:1862``), else ``x_CSAF-<tracking id>``; its
``modified`` and ``published`` are the tracking's current and initial release dates, its
summary the title, its details the document's summary and description notes, its aliases the
vulnerabilities' CVE ids, its references the document's and the vulnerabilities' URLs.

Products become ``affected`` entries only where their ``product_identification_helper``
carries a purl of a type OSV has an ecosystem for (``advisories.ecosystems.from_purl``):

- a ``product_version_range`` written as vers (``vers:pypi/>=1.0|<2.0``) becomes one
  ``ECOSYSTEM`` range: ``>=`` introduced, ``<`` fixed, ``<=`` last_affected, ``*`` all;
- an affected product with a version (the purl's, or its ``product_version`` branch) is
  listed in ``versions``;
- a fixed product with a version closes a range of its package that has none yet.

Everything else (products named only by CPE or by name, statuses per product, remediations)
stays in the CSAF document, which the hub keeps whole beside the record, and is summed up in
the record's ``database_specific.csaf``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from accord.advisories import documents, ecosystems
from accord.errors import InvalidInput

AFFECTED = ("first_affected", "known_affected", "last_affected")
FIXED = ("first_fixed", "fixed")
NOT_AFFECTED = ("known_not_affected",)
_OSV_PREFIX = re.compile(
    r"^(ASB-A|PUB-A|ALPINE|ALSA|ALBA|ALEA|AZL|BELL|BIT|CGA|CLEANSTART|CLSA|CURL|CVE|DEBIAN|DHI|"
    r"DRUPAL|DSA|DLA|ELA|DTSA|ECHO|EEF|FreeBSD|GHSA|GO|GSD|HSEC|JLSEC|KUBE|LBSEC|LSN|MAL|MINI|"
    r"MGASA|OESA|OSEC|OSV|openSUSE-SU|PHSA|PSF|PYSEC|RHBA|RHEA|RHSA|RLSA|RXSA|RSEC|ROOT|RUSTSEC|"
    r"SUSE-[SRFO]U|UBUNTU|USN|V8)-"
)
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._:+-]")
MAX_ID = 128


@dataclass(frozen=True)
class Product:
    """A product of the tree: its id, name, purl, and the branch that named its version."""

    product_id: str
    name: str
    purl: str | None
    version_category: str | None
    version_name: str | None


@dataclass
class _Package:
    ecosystem: str
    name: str
    purl: str
    events: list[dict[str, str]] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)


def osv_id(tracking_id: str) -> str:
    """The OSV id a CSAF document is stored under."""
    safe = _ID_UNSAFE.sub("-", tracking_id.strip())
    found = safe if _OSV_PREFIX.match(safe) else f"x_CSAF-{safe}"
    return found[:MAX_ID]


def products(document: dict[str, Any]) -> dict[str, Product]:
    """Every product the tree defines (branches, full product names, relationships)."""
    tree = document.get("product_tree") or {}
    found: dict[str, Product] = {}

    def add(full: dict[str, Any], category: str | None, name: str | None) -> None:
        helper = full.get("product_identification_helper") or {}
        purl = helper.get("purl") if isinstance(helper.get("purl"), str) else None
        pid = str(full.get("product_id", ""))
        found[pid] = Product(pid, str(full.get("name", pid)), purl, category, name)

    def walk(branches: list[dict[str, Any]]) -> None:
        for branch in branches:
            if isinstance(branch.get("product"), dict):
                add(branch["product"], branch.get("category"), branch.get("name"))
            walk(branch.get("branches") or [])

    walk(tree.get("branches") or [])
    for full in tree.get("full_product_names") or []:
        add(full, None, None)
    for relation in tree.get("relationships") or []:
        if isinstance(relation.get("full_product_name"), dict):
            add(relation["full_product_name"], None, None)
    return found


def to_osv(document: dict[str, Any]) -> dict[str, Any]:
    """The OSV record of a CSAF 2.0 document that passed the mandatory tests."""
    meta = document["document"]
    tracking = meta["tracking"]
    vulnerabilities = document.get("vulnerabilities") or []
    record: dict[str, Any] = {
        "schema_version": documents.SCHEMA_VERSION,
        "id": osv_id(str(tracking["id"])),
        "modified": _utc(tracking["current_release_date"]),
        "published": _utc(tracking["initial_release_date"]),
        "summary": str(meta.get("title", ""))[:500],
    }
    details = _details(meta, vulnerabilities)
    if details:
        record["details"] = details
    aliases = sorted({str(v["cve"]) for v in vulnerabilities if v.get("cve")} - {record["id"]})
    if aliases:
        record["aliases"] = aliases
    references = list(_references(meta, vulnerabilities))
    if references:
        record["references"] = references
    severity = _severity(vulnerabilities)
    if severity:
        record["severity"] = severity
    affected = _affected(products(document), vulnerabilities)
    if affected:
        record["affected"] = affected
    record["database_specific"] = {
        "csaf": {
            "tracking_id": str(tracking["id"]),
            "version": str(tracking.get("version", "")),
            "publisher": str(meta["publisher"].get("name", "")),
            "namespace": str(meta["publisher"].get("namespace", "")),
            "category": str(meta.get("category", "")),
        }
    }
    return record


def _utc(text: str) -> str:
    moment = documents.parse_timestamp(text, field="tracking")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _details(meta: dict[str, Any], vulnerabilities: list[dict[str, Any]]) -> str:
    parts = [
        str(note.get("text", ""))
        for note in meta.get("notes") or []
        if note.get("category") in ("summary", "description", "general")
    ]
    for vulnerability in vulnerabilities:
        for note in vulnerability.get("notes") or []:
            if note.get("category") in ("summary", "description"):
                heading = vulnerability.get("cve") or vulnerability.get("title") or ""
                text = str(note.get("text", ""))
                parts.append(f"{heading}: {text}" if heading else text)
    return "\n\n".join(p for p in parts if p)[:20000]


def _references(
    meta: dict[str, Any], vulnerabilities: list[dict[str, Any]]
) -> Iterator[dict[str, str]]:
    seen: set[str] = set()
    lists = [meta.get("references") or []] + [v.get("references") or [] for v in vulnerabilities]
    for references in lists:
        for reference in references:
            url = reference.get("url")
            if not isinstance(url, str) or url in seen or not url.startswith(("http:", "https:")):
                continue
            seen.add(url)
            kind = "ADVISORY" if reference.get("category") == "self" else "WEB"
            yield {"type": kind, "url": url}


def _severity(vulnerabilities: list[dict[str, Any]]) -> list[dict[str, str]]:
    for vulnerability in vulnerabilities:
        for score in vulnerability.get("scores") or []:
            v3 = score.get("cvss_v3") or {}
            vector = v3.get("vectorString")
            if isinstance(vector, str) and vector.startswith("CVSS:3"):
                return [{"type": "CVSS_V3", "score": vector}]
    return []


def _affected(
    catalog: dict[str, Product], vulnerabilities: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    statuses: dict[str, set[str]] = {}
    for vulnerability in vulnerabilities:
        for status, ids in (vulnerability.get("product_status") or {}).items():
            for pid in ids:
                statuses.setdefault(pid, set()).add(status)
    packages: dict[tuple[str, str], _Package] = {}
    for pid, found in statuses.items():
        product = catalog.get(pid)
        if product is None or product.purl is None:
            continue
        try:
            named = ecosystems.from_purl(product.purl, field="purl")
        except InvalidInput:
            continue
        if named is None:
            continue
        key = (named.ecosystem, named.name)
        if key not in packages:
            packages[key] = _Package(named.ecosystem, named.name, product.purl.split("@")[0])
        package = packages[key]
        version = named.version or (
            product.version_name if product.version_category == "product_version" else None
        )
        if found & set(AFFECTED):
            vers = (
                product.version_name
                if product.version_category == "product_version_range"
                else None
            )
            if vers and vers.startswith("vers:"):
                package.events += _events(vers)
            elif version:
                package.versions.append(version)
        elif found & set(FIXED) and version:
            package.fixed.append(version)
    return [_entry(p) for p in packages.values() if p.events or p.versions]


def _events(vers: str) -> list[dict[str, str]]:
    """OSV events of a vers range (``vers:pypi/>=1.0|<2.0``); empty when it has none we read."""
    _, _, constraints = vers.partition("/")
    events: list[dict[str, str]] = []
    opened = False
    for constraint in constraints.split("|"):
        constraint = constraint.strip()
        if constraint == "*":
            return [{"introduced": "0"}]
        if constraint.startswith(">="):
            events.append({"introduced": constraint[2:]})
            opened = True
        elif constraint.startswith("<="):
            events += [] if opened else [{"introduced": "0"}]
            events.append({"last_affected": constraint[2:]})
            opened = False
        elif constraint.startswith("<"):
            events += [] if opened else [{"introduced": "0"}]
            events.append({"fixed": constraint[1:]})
            opened = False
    return events


def _entry(package: _Package) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "package": {"ecosystem": package.ecosystem, "name": package.name, "purl": package.purl}
    }
    events = package.events
    if not events and len(set(package.fixed)) == 1:
        # Affected releases and one fixed release: everything before the fix.
        events = [{"introduced": "0"}, {"fixed": package.fixed[0]}]
    if events:
        entry["ranges"] = [{"type": "ECOSYSTEM", "events": events}]
    if package.versions:
        entry["versions"] = sorted(set(package.versions))
    return entry
