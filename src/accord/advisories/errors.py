"""Errors of the advisories domain."""

from __future__ import annotations

from accord.errors import InvalidInput


class BadRecord(InvalidInput):
    """An OSV record, or a value in it (such as a CVSS vector), is malformed: 400 with the field."""

    status_code = 400
