"""The report for people: what was checked, a table of findings, what each one means.

Plain text with aligned columns (rich's tables measure every cell: over a second for a
thousand rows, more than the rest of a check).
"""

from __future__ import annotations

from collections.abc import Sequence

from accord.advisories.scoring import severity_label
from accord.check.advice import by_package
from accord.check.findings import Report
from accord.check.interface import Finding

HEADINGS = ("Package", "Installed", "Advisory", "Severity", "Fixed in", "What to do")
_WIDEST = 40  # a column is cut to this many characters, except the last


def render(report: Report) -> str:
    """The table and its explanations."""
    lines = [_checked(report)]
    for reading in report.readings:
        lines += [f"error: {problem}" for problem in reading.errors]
        lines += [f"not checked: {problem}" for problem in reading.notices]
    unreadable = report.unreadable
    if not report.findings and not unreadable:
        lines.append("No known vulnerabilities found.")
    elif not report.findings:
        # Nothing found in what was read is not "nothing found": say what was not checked.
        lines.append(
            f"No known vulnerabilities found in the {len(report.dependencies)} packages read; "
            "the check is incomplete."
        )
    else:
        lines += _table([_row(f) for f in report.findings])
        shown: dict[str, str] = {}
        for finding in report.findings:
            advisory = finding.advisory
            if advisory.id not in shown:
                text = advisory.plain_summary or advisory.summary or _first_line(advisory.details)
                aliases = f" ({', '.join(advisory.aliases)})" if advisory.aliases else ""
                shown[advisory.id] = f"{advisory.id}{aliases}: {text}"
        lines += ["", *shown.values(), "", "What to do, most severe first:"]
        lines += [f"  {a.advice} ({severity_label(a.rating)})" for a in by_package(report.findings)]
        lines.append("")
        packages = len({f.dependency.key for f in report.findings})
        lines.append(
            f"Found {len(shown)} known vulnerabilit{'y' if len(shown) == 1 else 'ies'} "
            f"in {packages} package{'s' if packages != 1 else ''}."
        )
    if unreadable:
        files = ", ".join(unreadable)
        lines.append(f"Not checked (could not be read, wholly or in part): {files}.")
    if report.left_out:
        lines.append(
            f"Left out as asked: {', '.join(sorted({f.advisory.id for f in report.left_out}))}."
        )
    return "\n".join(lines) + "\n"


def _checked(report: Report) -> str:
    inputs = len(report.readings)
    return (
        f"Checked {len(report.dependencies)} packages from {inputs} input"
        f"{'s' if inputs != 1 else ''} against {report.source}."
    )


def _row(finding: Finding) -> tuple[str, ...]:
    severity = finding.advisory.severity
    rating = severity_label(severity.rating) + (f" {severity.score:.1f}" if severity.score else "")
    return (
        finding.dependency.name,
        finding.dependency.version,
        finding.advisory.id,
        rating,
        ", ".join(finding.fixed_in) or "-",
        finding.advice,
    )


def _table(rows: Sequence[tuple[str, ...]]) -> list[str]:
    cells = [HEADINGS, *[tuple(_cut(c) for c in row[:-1]) + row[-1:] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(HEADINGS) - 1)]
    lines = []
    for number, row in enumerate(cells):
        lines.append(
            "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1]
        )
        if number == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * len(HEADINGS[-1]))
    return [line.rstrip() for line in lines]


def _cut(text: str) -> str:
    return text if len(text) <= _WIDEST else text[: _WIDEST - 1] + "…"


def _first_line(text: str) -> str:
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= 200 else line[:197] + "..."
