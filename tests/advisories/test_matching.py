"""IsVulnerable (OSV schema, "Evaluation") on the spec's own examples and on real records.

The real-record check compares our range evaluation with the ``versions`` lists OSV.dev
enumerated into the PyPA records from PyPI's release history: an independent answer to
"which versions does this range cover".
"""

from __future__ import annotations

import collections
from typing import Any

import pytest
import yaml

from accord.advisories import matching
from accord.advisories.importer import _YamlLoader
from tests.advisories.conftest import VULNS


def affected(ecosystem: str, *ranges: dict[str, Any], versions: tuple[str, ...] = ()) -> Any:
    entry = {"package": {"ecosystem": ecosystem, "name": "pkg"}, "ranges": list(ranges)}
    if versions:
        entry["versions"] = list(versions)
    return matching.compile_affected(entry)


def hit(compiled: matching.CompiledAffected, version: str) -> bool:
    return matching.is_vulnerable(compiled, matching.Probe(version))


def rng(kind: str, *events: tuple[str, str], repo: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"type": kind, "events": [{k: v} for k, v in events]}
    if repo:
        found["repo"] = repo
    return found


def test_unfixed_vulnerability_affects_every_version() -> None:
    every = affected("npm", rng("SEMVER", ("introduced", "0")))
    assert all(hit(every, v) for v in ("0.0.1", "1.0.0-alpha", "99.0.0"))


def test_fixed_vulnerability_example() -> None:
    fixed = affected("npm", rng("SEMVER", ("introduced", "0"), ("fixed", "1.0.2")))
    assert hit(fixed, "1.0.1")
    assert hit(fixed, "1.0.2-rc.1")
    assert not hit(fixed, "1.0.2")
    assert not hit(fixed, "1.0.3")


def test_multiple_range_example_with_unsorted_events() -> None:
    # [1.0.0, 1.0.2) and [3.0.0, 3.2.5), events given out of order: the spec sorts them.
    two = affected(
        "crates.io",
        rng(
            "SEMVER",
            ("introduced", "3.0.0"),
            ("fixed", "1.0.2"),
            ("fixed", "3.2.5"),
            ("introduced", "1.0.0"),
        ),
    )
    assert [hit(two, v) for v in ("0.9.0", "1.0.0", "1.0.1", "1.0.2", "2.0.0")] == [
        False,
        True,
        True,
        False,
        False,
    ]
    assert [hit(two, v) for v in ("3.0.0", "3.2.4", "3.2.5", "4.0.0")] == [True, True, False, False]


def test_last_affected_includes_that_version_only() -> None:
    last = affected("PyPI", rng("ECOSYSTEM", ("introduced", "0"), ("last_affected", "2.1.214")))
    assert hit(last, "2.1.214")
    assert hit(last, "2.1.214rc1")
    assert not hit(last, "2.1.214.post1")
    assert not hit(last, "2.1.215")


def test_limit_bounds_the_range() -> None:
    limited = affected("npm", rng("SEMVER", ("introduced", "1.0.0"), ("limit", "2.0.0")))
    assert hit(limited, "1.5.0")
    assert not hit(limited, "2.0.0")
    assert not hit(limited, "3.0.0")
    star = affected("npm", rng("SEMVER", ("introduced", "1.0.0"), ("limit", "*")))
    assert hit(star, "9.0.0")


def test_versions_list_matches_exactly_or_by_ecosystem_equality() -> None:
    listed = affected("PyPI", versions=("2.0", "not-a-version"))
    assert hit(listed, "2.0")
    assert hit(listed, "2.0.0")
    assert hit(listed, "not-a-version")
    assert not hit(listed, "2.1")


def test_ecosystem_ranges_use_the_ecosystem_order() -> None:
    debian = affected("Debian:12", rng("ECOSYSTEM", ("introduced", "0"), ("fixed", "1.2.1-2")))
    assert hit(debian, "1.2.1-1")
    assert hit(debian, "1.2.1~rc1-5")
    assert not hit(debian, "1:0.9-1")
    maven = affected("Maven", rng("ECOSYSTEM", ("introduced", "0"), ("fixed", "2.15.0")))
    assert hit(maven, "2.15.0-rc2")
    assert not hit(maven, "2.15.0.RELEASE")
    pypi = affected("PyPI", rng("ECOSYSTEM", ("introduced", "1.0"), ("fixed", "1.0.post1")))
    assert hit(pypi, "1.0")
    assert hit(pypi, "1.0+local")
    assert not hit(pypi, "1!0.5")


def test_semver_ranges_use_semver_whatever_the_ecosystem() -> None:
    go = affected("Go", rng("SEMVER", ("introduced", "0"), ("fixed", "1.20.3")))
    assert hit(go, "v1.20.2")
    assert hit(go, "1.20.3-rc.1")
    assert not hit(go, "v1.20.3+incompatible")


def test_unreadable_bounds_leave_the_range_out_and_the_list_in() -> None:
    odd = affected(
        "PyPI", rng("ECOSYSTEM", ("introduced", "0"), ("fixed", "0.2.0-n653")), versions=("0.1",)
    )
    assert hit(odd, "0.1")
    assert not hit(odd, "0.1.5")
    no_order = affected("Hex", rng("ECOSYSTEM", ("introduced", "0"), ("fixed", "1.0.0")))
    assert not hit(no_order, "0.5.0")


def test_git_ranges_match_named_commits_only() -> None:
    introduced, fixed, between = "a" * 40, "b" * 40, "c" * 40
    git = affected(
        "PyPI",
        rng("GIT", ("introduced", introduced), ("fixed", fixed), repo="https://example.org/r"),
    )
    assert matching.commit_affected(git, introduced.upper())
    assert not matching.commit_affected(git, fixed)
    assert not matching.commit_affected(git, between)  # needs the commit graph: unsupported
    assert not hit(git, "1.0")  # a version never matches a GIT range


def _pypa_records() -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for path in sorted(VULNS.rglob("*.yaml")):
        found[path.parent.name].append(yaml.load(path.read_text(), Loader=_YamlLoader))  # noqa: S506
    return found


@pytest.mark.slow
def test_ranges_agree_with_the_versions_osv_dev_enumerated() -> None:
    checked = disagreed = 0
    for records in _pypa_records().values():
        releases = {
            v for r in records for a in r.get("affected", []) for v in a.get("versions", [])
        }
        for rec in records:
            for entry in rec.get("affected", []):
                listed = set(entry.get("versions", []))
                ranges_only = matching.compile_affected({**entry, "versions": []})
                if not listed or not ranges_only.ranges:
                    continue
                for version in releases:
                    checked += 1
                    disagreed += hit(ranges_only, version) != (version in listed)
    # OSV.dev's lists were enumerated at different times and, for some records, from GIT
    # ranges too; the residue (about 0.7%) is those records, not the order (checked above).
    assert checked > 250_000
    assert disagreed / checked < 0.01, (disagreed, checked)
