"""The report for people: what was checked, a table of findings, what each one means."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from accord.check.findings import Report


def render(report: Report, *, width: int | None = None) -> str:
    """The table and its explanations, as plain text (colours only on a terminal)."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width or 120, highlight=False, soft_wrap=True)
    _write(console, report)
    return buffer.getvalue()


def _write(console: Console, report: Report) -> None:
    files = len(report.readings)
    console.print(
        f"Checked {len(report.dependencies)} packages from {files} input"
        f"{'s' if files != 1 else ''} against {report.source}.",
        markup=False,
    )
    for reading in report.readings:
        for problem in reading.errors:
            console.print(f"error: {problem}", markup=False)
        for problem in reading.notices:
            console.print(f"not checked: {problem}", markup=False)
    if not report.findings:
        console.print("No known vulnerabilities found.", markup=False)
        _left_out(console, report)
        return
    table = Table("Package", "Installed", "Advisory", "Severity", "Fixed in", "What to do")
    for finding in report.findings:
        severity = finding.advisory.severity
        rating = severity.rating.lower() + (f" {severity.score:.1f}" if severity.score else "")
        table.add_row(
            finding.dependency.name,
            finding.dependency.version,
            finding.advisory.id,
            rating,
            ", ".join(finding.fixed_in) or "-",
            finding.advice,
        )
    console.print(table)
    shown: set[str] = set()
    for finding in report.findings:
        advisory = finding.advisory
        if advisory.id in shown:
            continue
        shown.add(advisory.id)
        text = advisory.plain_summary or advisory.summary or _first_line(advisory.details)
        aliases = f" ({', '.join(advisory.aliases)})" if advisory.aliases else ""
        console.print(f"{advisory.id}{aliases}: {text}", markup=False)
    vulnerable = len({f.dependency.key for f in report.findings})
    console.print(
        f"Found {len(shown)} known vulnerabilit{'y' if len(shown) == 1 else 'ies'} "
        f"in {vulnerable} package{'s' if vulnerable != 1 else ''}.",
        markup=False,
    )
    _left_out(console, report)


def _left_out(console: Console, report: Report) -> None:
    if report.left_out:
        ids = sorted({f.advisory.id for f in report.left_out})
        console.print(f"Left out as asked: {', '.join(ids)}.", markup=False)


def _first_line(text: str) -> str:
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= 200 else line[:197] + "..."
