"""Fixtures for the check tests: a hub loaded with part of the PyPA advisory database, and an
OSV evaluation written apart from the hub's, to say what a check must find."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version
from sqlalchemy.orm import Session, sessionmaker

from accord.advisories import importer
from accord.config import Settings
from tests.advisories.conftest import KNOWN_BAD, VULNS, import_path

DATA = Path(__file__).parent / "data"
# Packages of the PyPA database the fixtures' lock files and SBOMs name.
PACKAGES = (
    "jinja2",
    "urllib3",
    "requests",
    "pyyaml",
    "werkzeug",
    "certifi",
    "idna",
    "cryptography",
)


@pytest.fixture
def pypa_hub(session_factory: sessionmaker[Session], settings: Settings) -> importer.Report:
    """The hub's database with every PyPA record of ``PACKAGES``."""
    report = importer.Report()
    for package in PACKAGES:
        report = import_path(session_factory, VULNS / package, settings)
        assert not report.rejections, report.rejections
    return report


def pypa_records(packages: Iterable[str] = PACKAGES) -> list[dict[str, Any]]:
    """The PyPA records of ``packages``, read from the YAML files themselves."""
    records = []
    for package in packages:
        for path in sorted((VULNS / package).glob("*.yaml")):
            record = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
            if record["id"] not in KNOWN_BAD and not record.get("withdrawn"):
                records.append(record)
    return records


def osv_affected(record: dict[str, Any], name: str, version: str) -> bool:
    """The OSV specification's evaluation (IsVulnerable), for PyPI, as the spec's pseudo-code
    reads: the version listed, or in an ECOSYSTEM range walked in PEP 440 order.

    Written with ``packaging`` alone, apart from the hub's matcher, to derive expectations.
    """
    wanted = canonicalize_name(name)
    installed = Version(version)
    for affected in record.get("affected", []):
        package = affected.get("package", {})
        if package.get("ecosystem") != "PyPI" or canonicalize_name(package["name"]) != wanted:
            continue
        listed = affected.get("versions", [])
        if version in listed or any(_equal(v, installed) for v in listed):
            return True
        for range_ in affected.get("ranges", []):
            if range_["type"] == "ECOSYSTEM" and _in_range(range_["events"], installed):
                return True
    return False


def _equal(listed: str, installed: Version) -> bool:
    try:
        return Version(listed) == installed
    except InvalidVersion:
        return False


def _in_range(events: list[dict[str, str]], installed: Version) -> bool:
    def order(event: dict[str, str]) -> tuple[int, Version]:
        value = next(iter(event.values()))
        return (0, Version("0")) if value == "0" else (1, Version(value))

    try:
        ordered = sorted(events, key=order)
    except InvalidVersion:
        return False  # a bound PEP 440 cannot read: the range is left out
    vulnerable = False
    for event in ordered:
        ((kind, value),) = event.items()
        bound = Version("0") if value == "0" else Version(value)
        if kind == "introduced" and installed >= bound:
            vulnerable = True
        elif (kind == "fixed" and installed >= bound) or (
            kind == "last_affected" and installed > bound
        ):
            vulnerable = False
    limits = [Version(e["limit"]) for e in events if "limit" in e and e["limit"] != "*"]
    return vulnerable and (not limits or any(installed < limit for limit in limits))


def expected_findings(pinned: Iterable[tuple[str, str]]) -> set[tuple[str, str, str]]:
    """(normalized name, version, advisory id) for every pinned package the records affect."""
    records = pypa_records()
    found = set()
    for name, version in pinned:
        for record in records:
            if osv_affected(record, name, version):
                found.add((str(canonicalize_name(name)), version, record["id"]))
    return found
