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
from tests.advisories.formats.support import fixed_releases, listed_releases, make_meta

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


def _entries() -> Iterator[tuple[str, list[VersionRange], dict[str, Any]]]:
    """Each PyPI entry of the real records with the ranges its CSAF document gives it."""
    for record, meta in REAL.values():
        document = to_csaf(record, meta)
        for entry in record.get("affected") or ():
            ranges = _ranges(document, entry["package"]["name"])
            if ranges:
                yield record["id"], ranges, entry


def test_every_listed_affected_release_is_in_a_range() -> None:
    checked = 0
    for advisory, ranges, entry in _entries():
        for version in listed_releases(entry):
            assert any(version in r for r in ranges), (advisory, str(version))
            checked += 1
    assert checked > 500


def test_no_fixed_version_is_in_the_range_it_closes() -> None:
    checked = 0
    for advisory, ranges, entry in _entries():
        for version in fixed_releases(entry):
            assert not any(version in r for r in ranges), (advisory, str(version))
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


@pytest.mark.parametrize(
    ("events", "inside", "outside"),
    [
        # The OSV spec's IsVulnerable: a second "introduced" inside an interval changes nothing.
        ([{"introduced": "1.0"}, {"introduced": "2.0"}, {"fixed": "2.1"}], ["1.5"], ["3.0"]),
        ([{"introduced": "0"}, {"fixed": "1.0"}, {"introduced": "2.0"}], ["0.5", "2.5"], ["1.5"]),
        ([{"introduced": "1.0"}, {"last_affected": "1.4"}], ["1.4"], ["1.4.1", "0.9"]),
        ([{"introduced": "1.0"}, {"limit": "2.0"}], ["1.9"], ["2.0"]),
    ],
)
def test_events_become_the_ranges_the_osv_algorithm_means(
    events: list[dict[str, str]], inside: list[str], outside: list[str]
) -> None:
    affected = [
        {
            "package": {"ecosystem": "PyPI", "name": "demo"},
            "ranges": [{"type": "ECOSYSTEM", "events": events}],
        }
    ]
    record = {"id": "OSV-2024-0009", "modified": "2024-01-01T00:00:00Z", "affected": affected}
    ranges = _ranges(to_csaf(record, make_meta(record)), "demo")
    assert all(any(PypiVersion(v) in r for r in ranges) for v in inside)
    assert not any(PypiVersion(v) in r for r in ranges for v in outside)
