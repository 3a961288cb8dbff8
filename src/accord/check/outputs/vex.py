"""CycloneDX VEX (1.6, JSON), written with cyclonedx-python-lib: each affected package as a
component, each advisory as a vulnerability whose ``affects`` names those components.

The analysis state is ``in_triage``: the installed version lies in the advisory's affected
ranges, and whether the vulnerable code is reachable is for the reader to decide.
"""

from __future__ import annotations

from decimal import Decimal

from cyclonedx.model.bom import Bom
from cyclonedx.model.bom_ref import BomRef
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.impact_analysis import ImpactAnalysisAffectedStatus, ImpactAnalysisState
from cyclonedx.model.vulnerability import (
    BomTarget,
    BomTargetVersionRange,
    Vulnerability,
    VulnerabilityAnalysis,
    VulnerabilityRating,
    VulnerabilityScoreSource,
    VulnerabilitySeverity,
    VulnerabilitySource,
)
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

from accord.check.findings import Report
from accord.check.interface import Dependency, Finding

_PURL_TYPES = {
    "PyPI": "pypi",
    "npm": "npm",
    "crates.io": "cargo",
    "Go": "golang",
    "RubyGems": "gem",
}


def _purl(dependency: Dependency) -> PackageURL | None:
    if dependency.purl:
        return PackageURL.from_string(dependency.purl)
    kind = _PURL_TYPES.get(dependency.ecosystem)
    if kind is None:
        return None
    namespace, _, name = dependency.name.rpartition("/")
    return PackageURL(type=kind, namespace=namespace or None, name=name, version=dependency.version)


def bom(report: Report) -> Bom:
    """The VEX document as a cyclonedx-python-lib ``Bom``."""
    document = Bom()
    components: dict[tuple[str, str, str], Component] = {}
    by_advisory: dict[str, list[Finding]] = {}
    for finding in report.findings:
        key = finding.dependency.key
        if key not in components:
            purl = _purl(finding.dependency)
            ref = str(purl) if purl else "|".join(key)
            components[key] = Component(
                name=finding.dependency.name,
                version=finding.dependency.version,
                type=ComponentType.LIBRARY,
                purl=purl,
                bom_ref=BomRef(ref),
            )
            document.components.add(components[key])
        by_advisory.setdefault(finding.advisory.id, []).append(finding)
    for osv_id, findings in by_advisory.items():
        document.vulnerabilities.add(_vulnerability(osv_id, findings, components))
    return document


def _vulnerability(
    osv_id: str, findings: list[Finding], components: dict[tuple[str, str, str], Component]
) -> Vulnerability:
    advisory = findings[0].advisory
    severity = advisory.severity
    ratings = []
    if severity.rating != "UNKNOWN":
        method = (
            VulnerabilityScoreSource.CVSS_V4
            if (severity.vector or "").startswith("CVSS:4")
            else VulnerabilityScoreSource.CVSS_V3_1
        )
        ratings.append(
            VulnerabilityRating(
                score=Decimal(str(severity.score)) if severity.score is not None else None,
                severity=VulnerabilitySeverity(severity.rating.lower()),
                method=method if severity.vector else None,
                vector=severity.vector,
            )
        )
    targets: list[BomTarget] = []
    for finding in findings:
        component = components[finding.dependency.key]
        if any(t.ref == str(component.bom_ref) for t in targets):
            continue
        targets.append(
            BomTarget(
                ref=str(component.bom_ref),
                versions=[
                    BomTargetVersionRange(
                        version=finding.dependency.version,
                        status=ImpactAnalysisAffectedStatus.AFFECTED,
                    )
                ],
            )
        )
    fixed = sorted({v for f in findings for v in f.fixed_in})
    return Vulnerability(
        id=osv_id,
        source=VulnerabilitySource(name="OSV"),
        description=advisory.summary or None,
        detail=advisory.plain_summary or advisory.details or None,
        recommendation=findings[0].advice,
        ratings=ratings,
        affects=targets,
        analysis=VulnerabilityAnalysis(
            state=ImpactAnalysisState.IN_TRIAGE,
            detail=(
                "The installed version is in the advisory's affected versions"
                + (f"; fixed in {', '.join(fixed)}." if fixed else "; no fixed version yet.")
            ),
        ),
    )


def render(report: Report) -> str:
    """The CycloneDX 1.6 JSON text."""
    return JsonV1Dot6(bom(report)).output_as_string(indent=2) + "\n"
