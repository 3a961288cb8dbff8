"""The vers ranges of CSAF product trees, read back by ``univers`` (a vers implementation).

The PyPA records list every affected release in ``versions``, computed by PyPA's own tools
from PyPI's releases: each of those must fall in one of the ranges we wrote for its package,
and no fixed version may fall in the range it closes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from univers.version_range import VersionRange
from univers.versions import InvalidVersion, PypiVersion

from accord.advisories.formats import to_csaf
from tests.advisories.formats.cases import real_cases
from tests.advisories.formats.records import MULTI_ECOSYSTEM
from tests.advisories.formats.support import make_meta

REAL = real_cases()


def _leaves(branches: list[dict[str, Any]], path: tuple[str, ...] = ()) -> Iterator[Any]:
    for branch in branches:
        here = (*path, branch["name"])
        if "product" in branch:
            yield path, branch["category"], branch["name"], branch["product"]["product_id"]
        yield from _leaves(branch.get("branches", []), here)


def _ranges(document: dict[str, Any], package: str) -> list[VersionRange]:
    """The known_affected vers ranges of ``package`` that univers can read."""
    affected = set(document["vulnerabilities"][0]["product_status"].get("known_affected", ()))
    found = []
    for path, category, name, pid in _leaves(document["product_tree"].get("branches", [])):
        if path[-1:] == (package,) and category == "product_version_range" and pid in affected:
            try:
                found.append(VersionRange.from_string(name))
            except InvalidVersion:
                continue  # a release name PEP 440 rejects, such as 0.2.0-n653
    return found


def _pep440(version: str) -> PypiVersion | None:
    try:
        return PypiVersion(version)
    except InvalidVersion:
        return None


def test_every_listed_affected_release_is_in_a_range() -> None:
    checked = 0
    for record, meta in REAL.values():
        document = to_csaf(record, meta)
        for entry in record.get("affected") or ():
            ranges = _ranges(document, entry["package"]["name"])
            for version in filter(None, map(_pep440, entry.get("versions") or ())):
                if ranges:
                    assert any(version in r for r in ranges), (record["id"], str(version))
                    checked += 1
    assert checked > 500


def test_no_fixed_version_is_in_the_range_it_closes() -> None:
    checked = 0
    for record, meta in REAL.values():
        document = to_csaf(record, meta)
        for entry in record.get("affected") or ():
            ranges = _ranges(document, entry["package"]["name"])
            for range_ in entry.get("ranges") or ():
                fixed = [e["fixed"] for e in range_["events"] if "fixed" in e]
                for version in filter(None, map(_pep440, fixed)):
                    if range_["type"] == "ECOSYSTEM" and ranges:
                        assert not any(version in r for r in ranges), record["id"]
                        checked += 1
    assert checked > 40


@pytest.mark.parametrize("scheme", ["npm", "maven", "golang", "deb", "cargo", "pypi", "apk"])
def test_each_ecosystems_ranges_are_canonical_vers(scheme: str) -> None:
    document = to_csaf(MULTI_ECOSYSTEM, make_meta(MULTI_ECOSYSTEM))
    names = [
        name
        for _, category, name, _ in _leaves(document["product_tree"]["branches"])
        if category == "product_version_range" and name.startswith(f"vers:{scheme}/")
    ]
    assert names
    for name in names:
        assert str(VersionRange.from_string(name)) == name
