"""CSV for spreadsheets: one row per finding, with the package's one advice beside it.

A cell that a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@`` first) is
written with a leading apostrophe: advisory summaries come from other people.
"""

from __future__ import annotations

import csv
import io

from accord.advisories.scoring import severity_label
from accord.check.advice import by_package
from accord.check.findings import Report

HEADINGS = (
    "package",
    "installed",
    "ecosystem",
    "advisory",
    "aliases",
    "severity",
    "score",
    "fixed_in",
    "advice",
    "summary",
    "location",
)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA) else text


def render(report: Report) -> str:
    """The CSV text (RFC 4180, CRLF line ends), most severe package first."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADINGS)
    for package in by_package(report.findings):
        for finding in sorted(package.findings, key=lambda f: package.advisories.index(f.advisory)):
            advisory, dependency = finding.advisory, finding.dependency
            severity = advisory.severity
            writer.writerow(
                _cell(v)
                for v in (
                    dependency.name,
                    dependency.version,
                    dependency.ecosystem,
                    advisory.id,
                    " ".join(advisory.aliases),
                    severity_label(severity.rating),
                    "" if severity.score is None else f"{severity.score:.1f}",
                    " ".join(finding.fixed_in),
                    package.advice,
                    advisory.plain_summary or advisory.summary,
                    dependency.location,
                )
            )
    return out.getvalue()
