"""JSON: pip-audit's shape (``dependencies[].vulns[]`` with ``id``, ``fix_versions``,
``aliases``, ``description``), with the ecosystem, where each package was read, severity,
plain summary and advice added, and the inputs' errors and notices."""

from __future__ import annotations

import json
from typing import Any

from accord import __version__
from accord.advisories.scoring import severity_label
from accord.check.advice import by_package
from accord.check.findings import Report
from accord.check.interface import Dependency, Finding, Problem


def document(report: Report) -> dict[str, Any]:
    """The report as a JSON-ready dictionary."""
    by_dependency: dict[tuple[str, str, str, str], list[Finding]] = {}
    for dependency in report.dependencies:
        by_dependency.setdefault(_key(dependency), [])
    for finding in report.findings:
        by_dependency[_key(finding.dependency)].append(finding)
    dependencies = []
    seen: set[tuple[str, str, str, str]] = set()
    for dependency in report.dependencies:
        key = _key(dependency)
        if key in seen:
            continue
        seen.add(key)
        dependencies.append(
            {
                "name": dependency.name,
                "version": dependency.version,
                "ecosystem": dependency.ecosystem,
                "location": str(dependency.location),
                "vulns": [_vuln(f) for f in by_dependency[key]],
            }
        )
    return {
        "tool": {"name": "accord check", "version": __version__},
        "source": report.source,
        "dependencies": dependencies,
        "errors": [_problem(p) for r in report.readings for p in r.errors],
        # The inputs not (wholly) checked: an empty "vulns" says nothing about them.
        "unreadable": report.unreadable,
        "notices": [_problem(p) for r in report.readings for p in r.notices],
        "ignored": sorted({f.advisory.id for f in report.left_out}),
        "fixes": [],
        # One advice per affected package, most severe first (accord.check.advice).
        "advice": [
            {
                "name": a.dependency.name,
                "version": a.dependency.version,
                "ecosystem": a.dependency.ecosystem,
                "severity": severity_label(a.rating),
                "upgrade_to": a.upgrade_to,
                "advisories": [x.id for x in a.advisories],
                "advice": a.advice,
            }
            for a in by_package(report.findings)
        ],
    }


def _key(dependency: Dependency) -> tuple[str, str, str, str]:
    return (*dependency.key, str(dependency.location))


def _vuln(finding: Finding) -> dict[str, Any]:
    advisory = finding.advisory
    severity = advisory.severity
    return {
        "id": advisory.id,
        "fix_versions": list(finding.fixed_in),
        "aliases": list(advisory.aliases),
        "description": advisory.details or advisory.summary,
        "summary": advisory.summary,
        "plain_summary": advisory.plain_summary or None,
        "severity": {
            "rating": severity.rating,
            "label": severity_label(severity.rating),
            "score": severity.score,
            "vector": severity.vector,
        },
        "advice": finding.advice,
        "modified": advisory.modified,
    }


def _problem(problem: Problem) -> dict[str, Any]:
    where = problem.location
    return {"file": where.file, "line": where.line, "path": where.path, "message": problem.message}


def render(report: Report) -> str:
    """The JSON text."""
    return json.dumps(document(report), indent=2, ensure_ascii=False) + "\n"
