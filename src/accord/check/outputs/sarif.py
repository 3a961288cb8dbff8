"""SARIF 2.1.0 for code-scanning tools: one rule per advisory, one result per finding,
located in the input file (and line) that named the package.

``security-severity`` (the CVSS score) and ``level`` follow what code-scanning services read:
critical and high are errors, medium warnings, the rest notes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import quote

from accord import __version__
from accord.check.findings import Report
from accord.check.interface import Finding, Location

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
_LEVELS = {"CRITICAL": "error", "HIGH": "error", "MEDIUM": "warning"}
_SCORES = {"CRITICAL": 9.0, "HIGH": 7.0, "MEDIUM": 4.0, "LOW": 0.1}


def document(report: Report) -> dict[str, Any]:
    """The SARIF log as a JSON-ready dictionary."""
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results = []
    for finding in report.findings:
        advisory = finding.advisory
        if advisory.id not in index:
            index[advisory.id] = len(rules)
            rules.append(_rule(finding))
        results.append(_result(finding, index[advisory.id]))
    errors = [
        {
            "level": "error",
            "message": {"text": problem.message},
            "locations": [_location(problem.location)],
        }
        for reading in report.readings
        for problem in reading.errors
    ]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "accord check",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "invocations": [
                    {"executionSuccessful": not errors, "toolExecutionNotifications": errors}
                ],
                "results": results,
            }
        ],
    }


def _rule(finding: Finding) -> dict[str, Any]:
    advisory = finding.advisory
    text = advisory.summary or advisory.id
    rule: dict[str, Any] = {
        "id": advisory.id,
        "name": advisory.id.replace("-", ""),
        "shortDescription": {"text": text},
        "fullDescription": {"text": advisory.plain_summary or advisory.details or text},
        "help": {"text": advisory.details or text},
        "properties": {"tags": ["security", "vulnerability"], "aliases": list(advisory.aliases)},
    }
    severity = advisory.severity
    score = severity.score if severity.score is not None else _SCORES.get(severity.rating)
    if score is not None:
        rule["properties"]["security-severity"] = f"{score:.1f}"
    if advisory.references:
        rule["helpUri"] = advisory.references[0]
    return rule


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    dependency, advisory = finding.dependency, finding.advisory
    message = (
        f"{dependency.name} {dependency.version} is affected by {advisory.id}"
        f"{': ' + advisory.summary if advisory.summary else ''}. {finding.advice.capitalize()}."
    )
    identity = f"{advisory.id}|{dependency.ecosystem}|{dependency.name}|{dependency.version}"
    return {
        "ruleId": advisory.id,
        "ruleIndex": rule_index,
        "level": _LEVELS.get(advisory.severity.rating, "note"),
        "message": {"text": message},
        "locations": [_location(dependency.location)],
        "partialFingerprints": {
            "accordFinding/v1": hashlib.sha256(identity.encode()).hexdigest()[:32]
        },
    }


def _location(where: Location) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": quote(where.file)}}
    if where.line is not None and where.line > 0:
        physical["region"] = {"startLine": where.line}
    location: dict[str, Any] = {"physicalLocation": physical}
    if where.path:
        location["logicalLocations"] = [{"fullyQualifiedName": where.path, "kind": "element"}]
    return location


def render(report: Report) -> str:
    """The SARIF text."""
    return json.dumps(document(report), indent=2, ensure_ascii=False) + "\n"
