"""Outputs: the findings for people (a table) and for tools (JSON, SARIF 2.1.0, CycloneDX VEX).

Each format is a function from a :class:`~accord.check.findings.Report` to text.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from accord.check.findings import Report
from accord.check.outputs import json_report, sarif, table, vex


class OutputFormat(enum.StrEnum):
    """The formats ``--format`` offers."""

    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    VEX = "cyclonedx-vex"


WRITERS: dict[OutputFormat, Callable[[Report], str]] = {
    OutputFormat.TABLE: table.render,
    OutputFormat.JSON: json_report.render,
    OutputFormat.SARIF: sarif.render,
    OutputFormat.VEX: vex.render,
}
