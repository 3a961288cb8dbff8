"""An OSV record as a CVE record in the CVE Record Format 5.1 (CVE JSON 5, ``CVE_RECORD``).

A published record carries the CNA container: affected packages with their version ranges
(``version``/``lessThan``/``lessThanOrEqual`` as the schema's range algorithm reads them, and
``defaultStatus: unaffected`` because OSV lists every affected range), descriptions,
problem types (CWE), CVSS metrics (3.0, 3.1 and 4.0 all have slots), references, credits and
solutions. The CVE Services user registry names every organization by a version 4 UUID, which
the publisher must supply.

A withdrawn OSV record whose id is the CVE id (the CVE's own record) becomes a ``REJECTED``
CVE record: the schema's rejected container is for "a rejected CVE ID". Any other withdrawn
advisory is refused (:class:`Conflict`): its withdrawal does not void the CVE it names as an
alias, so ``REJECTED`` would be false, and a ``PUBLISHED`` record must state affected
products (``affected``, at least one), which is what the withdrawal retracted.
"""

from __future__ import annotations

import re
from typing import Any

from accord import __version__
from accord.advisories.formats import osv
from accord.advisories.formats.ecosystems import ecosystem
from accord.advisories.formats.meta import CvssScore, PublicationMeta
from accord.errors import N_, Conflict, InvalidInput, Message

DATA_VERSION = "5.1"
_CVE_ID = re.compile(r"^CVE-[0-9]{4}-[0-9]{4,19}$")
# Schema limits (maxLength / maxItems) of the fields filled from free text.
_TEXT_LIMIT = 4096
_MEDIA_LIMIT = 16384
_TITLE_LIMIT = 256
_REFERENCE_LIMIT = 512
_TAGS = {
    "FIX": "patch",
    "REPORT": "issue-tracking",
    "ARTICLE": "technical-description",
    "EVIDENCE": "exploit",
    "PACKAGE": "product",
    "DETECTION": "signature",
}
_METRIC_KEYS = {"3.0": "cvssV3_0", "3.1": "cvssV3_1", "4.0": "cvssV4_0"}


def to_cve_json5(record: osv.Record, meta: PublicationMeta, *, cve_id: str) -> dict[str, Any]:
    """The CVE JSON 5 record of ``record`` as ``cve_id``: published, or rejected if withdrawn.

    Only the CVE's own record (``record["id"] == cve_id``) may be withdrawn; another withdrawn
    advisory is a :class:`Conflict` (see the module's docstring).
    """
    if not _CVE_ID.match(cve_id):
        raise InvalidInput(Message(N_("%(cve_id)r is not a CVE id"), cve_id=cve_id), field="cve_id")
    org = meta.publisher.cve_org_id
    if org is None:
        raise InvalidInput(
            N_("a CVE record names the CNA by its CVE Services organization UUID"),
            field="meta.publisher.cve_org_id",
        )
    updated = _when(record, "modified")
    provider = _present(orgId=str(org), dateUpdated=updated)
    metadata = _present(cveId=cve_id, assignerOrgId=str(org), dateUpdated=updated)
    if record.get("withdrawn") and record["id"] != cve_id:
        raise Conflict(
            Message(
                N_(
                    "%(record)s was withdrawn, which does not reject %(cve_id)s: a CVE record "
                    "can neither void %(cve_id)s nor state what the advisory retracted; the CNA "
                    "of %(cve_id)s updates or rejects it on its own record"
                ),
                record=record["id"],
                cve_id=cve_id,
            ),
            field="withdrawn",
        )
    if record.get("withdrawn"):
        when = _when(record, "withdrawn")
        metadata |= _present(state="REJECTED", dateRejected=when)
        reason = f"{record['id']} was withdrawn by its publisher on {when or 'an unknown date'}."
        cna: dict[str, Any] = {
            "providerMetadata": provider,
            "rejectedReasons": [{"lang": "en", "value": reason}],
        }
    else:
        metadata |= _present(state="PUBLISHED", datePublished=_when(record, "published"))
        cna = {"providerMetadata": provider, **_published(record, meta)}
    return {
        "dataType": "CVE_RECORD",
        "dataVersion": DATA_VERSION,
        "cveMetadata": metadata,
        "containers": {"cna": cna},
    }


def _published(record: osv.Record, meta: PublicationMeta) -> dict[str, Any]:
    container: dict[str, Any] = {
        "title": _clip(osv.title(record), _TITLE_LIMIT),
        "descriptions": [_description(record)],
        "affected": _affected(record),
        "references": _references(record, meta),
        "x_generator": {"engine": f"Accord {__version__}"},
    }
    optional = {
        "datePublic": _when(record, "published"),
        "problemTypes": _problem_types(meta),
        "metrics": [_metric(s) for s in (meta.cvss_v3, meta.cvss_v4) if s is not None],
        "credits": _credits(record),
        "solutions": _solutions(record),
    }
    container.update((key, value) for key, value in optional.items() if value)
    return container


def _description(record: osv.Record) -> dict[str, Any]:
    text = osv.description(record)
    found: dict[str, Any] = {"lang": "en", "value": _clip(text, _TEXT_LIMIT)}
    if record.get("details") and len(text) <= _MEDIA_LIMIT:
        # OSV details are CommonMark: keep the formatted original beside the plain text.
        found["supportingMedia"] = [{"type": "text/markdown", "base64": False, "value": text}]
    return found


def _affected(record: osv.Record) -> list[dict[str, Any]]:
    found = [item for item in map(_product, osv.affected(record)) if item]
    if not found:
        raise InvalidInput(N_("a CVE record needs an affected product"), field="affected")
    return found


def _product(entry: osv.Affected) -> dict[str, Any]:
    repos = [r.repo for r in entry.git_ranges if r.repo]
    item: dict[str, Any] = {}
    if entry.package is not None:
        collection = ecosystem(entry.package.ecosystem).collection_url
        if collection is not None:
            item |= {"collectionURL": collection, "packageName": entry.package.name}
        else:
            item["vendor"] = entry.package.ecosystem
        item["product"] = entry.package.name
    elif repos:
        owner, project = osv.repo_owner_and_name(repos[0])
        item |= {"vendor": owner, "product": project}
    else:
        return {}
    if repos:
        item["repo"] = osv.as_uri(repos[0])
    versions = _versions(entry)
    item["defaultStatus"] = "unaffected" if versions else "unknown"
    if versions:
        item["versions"] = versions
    return item


def _versions(entry: osv.Affected) -> list[dict[str, Any]]:
    """Ordered ranges alone when there are any (as in CSAF); else versions and commits."""
    found: list[dict[str, Any]] = []
    if entry.package is not None and entry.ordered_ranges:
        native = ecosystem(entry.package.ecosystem).cve_version_type
        for range_ in entry.ordered_ranges:
            kind = "semver" if range_.kind == "SEMVER" else native
            found += [_range(interval, kind) for interval in range_.intervals]
    else:
        found += [{"version": v, "status": "affected"} for v in entry.versions]
        for range_ in entry.git_ranges:
            found += [_range(interval, "git") for interval in range_.intervals]
    unique = {repr(sorted(v.items())): v for v in found}
    return list(unique.values())


def _range(interval: osv.Interval, version_type: str) -> dict[str, Any]:
    # "0" is the schema's convention for "from the first version on".
    found = {"version": interval.introduced or "0", "status": "affected"}
    found["versionType"] = version_type
    if interval.fixed is not None:
        found["lessThan"] = interval.fixed
    elif interval.last_affected is not None:
        found["lessThanOrEqual"] = interval.last_affected
    else:
        found["lessThan"] = interval.limit or "*"  # "*": no upper bound, as the schema says
    return found


def _problem_types(meta: PublicationMeta) -> list[dict[str, Any]]:
    if not meta.cwes:
        return []
    descriptions = [
        {"lang": "en", "cweId": cwe.id, "description": f"{cwe.id} {cwe.name}", "type": "CWE"}
        for cwe in meta.cwes
    ]
    return [{"descriptions": descriptions}]


def _metric(score: CvssScore) -> dict[str, Any]:
    cvss = {
        "version": score.version,
        "vectorString": score.vector,
        "baseScore": score.base_score,
        "baseSeverity": score.severity,
    }
    scenario = [{"lang": "en", "value": "GENERAL"}]
    return {"format": "CVSS", "scenarios": scenario, _METRIC_KEYS[score.version]: cvss}


def _references(record: osv.Record, meta: PublicationMeta) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for reference in record.get("references") or ():
        url = osv.as_uri(str(reference["url"]))
        entry = found.setdefault(url, {"url": url})
        tag = _TAGS.get(str(reference.get("type")))
        if tag is not None and tag not in entry.setdefault("tags", []):
            entry["tags"].append(tag)
    for entry in found.values():
        if not entry.get("tags"):
            entry.pop("tags", None)
    if meta.record_url:
        found.setdefault(meta.record_url, {"url": meta.record_url})
    if not found:
        raise InvalidInput(N_("a CVE record needs at least one reference"), field="references")
    return list(found.values())[:_REFERENCE_LIMIT]


def _credits(record: osv.Record) -> list[dict[str, Any]]:
    known = {"finder", "reporter", "analyst", "coordinator", "tool", "sponsor", "other"}
    known |= {"remediation developer", "remediation reviewer", "remediation verifier"}
    found = []
    for credit in record.get("credits") or ():
        kind = str(credit.get("type", "OTHER")).lower().replace("_", " ")
        value = _clip(str(credit["name"]), _TEXT_LIMIT)
        found.append({"lang": "en", "value": value, "type": kind if kind in known else "other"})
    return list({repr(c): c for c in found}.values())


def _solutions(record: osv.Record) -> list[dict[str, Any]]:
    found = []
    for entry in osv.affected(record):
        fixed = [i.fixed for r in entry.ordered_ranges for i in r.intervals if i.fixed]
        if entry.package is not None and fixed:
            versions = ", ".join(dict.fromkeys(fixed))
            package = f"{entry.package.name} ({entry.package.ecosystem})"
            text = f"Upgrade {package} to a fixed version: {versions}."
            found.append({"lang": "en", "value": _clip(text, _TEXT_LIMIT)})
    return list({c["value"]: c for c in found}.values())


def _when(record: osv.Record, key: str) -> str | None:
    """A timestamp of the record, or None if absent or a zero placeholder (year 1).

    The CVE schema takes years 1900 to 2999 only; OSV feeds write 0001-01-01 for "unknown".
    """
    if not record.get(key):
        return None
    moment = osv.parse_time(record[key])
    return osv.rfc3339(moment) if moment.year >= 1900 else None


def _present(**values: str | None) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
