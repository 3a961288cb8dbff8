"""Outputs: the findings for people (a table) and for tools (JSON, SARIF 2.1.0, CycloneDX VEX, CSV).

Each format is a function from a :class:`~accord.check.findings.Report` to text.
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Callable

from accord.check.findings import Report


class OutputFormat(enum.StrEnum):
    """The formats ``--format`` offers."""

    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    VEX = "cyclonedx-vex"
    CSV = "csv"


# Each writer's module is imported when it is used (VEX's, cyclonedx-python-lib's model, is
# a tenth of a second the other formats need not pay).
_MODULES = {
    OutputFormat.TABLE: "table",
    OutputFormat.JSON: "json_report",
    OutputFormat.SARIF: "sarif",
    OutputFormat.VEX: "vex",
    OutputFormat.CSV: "csv_report",
}


def writer(output_format: OutputFormat) -> Callable[[Report], str]:
    """The function that writes a report in ``output_format``."""
    module = importlib.import_module(f"accord.check.outputs.{_MODULES[output_format]}")
    render: Callable[[Report], str] = module.render
    return render
