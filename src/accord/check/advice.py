"""What to do, per package: one upgrade for all of a package's findings, most severe first.

A package with many advisories (Django at an old version has dozens) gets one sentence, the
smallest version that none of its advisories affects. The candidates are the versions the
records name as ``fixed``; each is tried in the ecosystem's order (``advisories.versions``),
lowest first, with the same OSV evaluation that found the advisories, so a version that fixes
one branch's advisory but falls in another's range is passed over.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

from accord.advisories import versions
from accord.advisories.scoring import severity_rank
from accord.advisories.versions import InvalidVersion
from accord.check.evaluate import Evaluator
from accord.check.interface import Advisory, Dependency, Finding


@dataclass(frozen=True)
class PackageAdvice:
    """One installed package, every advisory affecting it, and the one thing to do."""

    dependency: Dependency
    findings: tuple[Finding, ...]
    upgrade_to: str | None  # the smallest version no advisory of these affects, if known

    @property
    def advisories(self) -> list[Advisory]:
        """The advisories, most severe first (each once)."""
        unique = {f.advisory.id: f.advisory for f in self.findings}
        return sorted(unique.values(), key=lambda a: -severity_rank(a.severity.rating))

    @property
    def rating(self) -> str:
        """The most severe rating among the package's advisories."""
        return max((a.severity.rating for a in self.advisories), key=severity_rank)

    @property
    def advice(self) -> str:
        """What to do, in plain words (English; pages translate their own sentence)."""
        if self.upgrade_to is not None:
            return f"upgrade {self.dependency.name} to {self.upgrade_to}"
        return "no single fixed version: remove or replace it, or read the advisories"


def by_package(findings: Iterable[Finding]) -> list[PackageAdvice]:
    """The findings grouped per installed package, most severe package first (then by name)."""
    groups: dict[tuple[str, str, str], list[Finding]] = {}
    first: dict[tuple[str, str, str], Dependency] = {}
    for finding in findings:
        key = finding.dependency.key
        groups.setdefault(key, []).append(finding)
        first.setdefault(key, finding.dependency)
    evaluator = Evaluator()
    advice = [
        PackageAdvice(first[key], tuple(group), smallest_fix(first[key], group, evaluator))
        for key, group in groups.items()
    ]
    return sorted(advice, key=lambda a: (-severity_rank(a.rating), a.dependency.name.lower()))


def smallest_fix(
    dependency: Dependency, findings: Sequence[Finding], evaluator: Evaluator | None = None
) -> str | None:
    """The lowest version, among those the findings name as fixed, that none of them affects.

    None when no named version fixes them all (or the ecosystem has no order to try them in).
    """
    order = versions.order_for(dependency.ecosystem)
    candidates = {v for f in findings for v in f.fixed_in}
    if order is None or not candidates:
        return None
    evaluator = evaluator or Evaluator()
    records = [f.advisory.record for f in findings]
    for version in sorted(candidates, key=lambda v: _sort_key(order, v)):
        if _key(order, version) is None:
            continue
        probe = Dependency(dependency.ecosystem, dependency.name, version, dependency.location)
        if records and all(r is not None for r in records):
            if not any(evaluator.affects(r, probe) for r in records if r is not None):
                return version
        elif all(_fixes(order, version, f) for f in findings):
            # Without the records, a version at or above one of each finding's fixes.
            return version
    return None


def _fixes(order: versions.KeyFunction, version: str, finding: Finding) -> bool:
    own = _key(order, version)
    return any(
        (fixed := _key(order, v)) is not None and own is not None and own >= fixed  # type: ignore[operator]
        for v in finding.fixed_in
    )


def _key(order: versions.KeyFunction, version: str) -> Hashable | None:
    try:
        return order(version)
    except InvalidVersion:
        return None


def _sort_key(order: versions.KeyFunction, version: str) -> tuple[int, Hashable]:
    key = _key(order, version)
    return (1, version) if key is None else (0, key)
