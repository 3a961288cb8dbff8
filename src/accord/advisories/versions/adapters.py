"""Orderings taken from libraries that our tests found correct for these ecosystems.

PyPI: ``packaging`` (PEP 440: epochs, pre, post, dev and local versions). RubyGems, NuGet and
Debian: ``univers``, whose comparators port ``Gem::Version``, NuGet's SemVer 2.0 rules and
dpkg's algorithm; their keys are hashable and equal keys hash alike.
"""

from __future__ import annotations

from typing import TypeVar

from packaging.version import InvalidVersion as PackagingInvalid
from packaging.version import Version as Pep440Version
from univers.versions import DebianVersion, NugetVersion, RubygemsVersion
from univers.versions import InvalidVersion as UniversInvalid

from accord.advisories.versions.errors import InvalidVersion

_T = TypeVar("_T")


def pypi_key(version: str) -> Pep440Version:
    """PEP 440 order through ``packaging``."""
    try:
        return Pep440Version(version)
    except PackagingInvalid:
        raise InvalidVersion(f"{version!r} is not a PEP 440 version") from None


def rubygems_key(version: str) -> RubygemsVersion:
    """``Gem::Version`` order (``1.0.a`` < ``1.0``; ``-`` reads as ``.pre.``)."""
    return _univers(RubygemsVersion, version, "RubyGems")


def nuget_key(version: str) -> NugetVersion:
    """NuGet order: up to four numbers, case-insensitive pre-release labels, metadata ignored."""
    # univers compares without the metadata but hashes with it; drop it before, as NuGet does.
    return _univers(NugetVersion, version.split("+", 1)[0], "NuGet")


def debian_key(version: str) -> DebianVersion:
    """dpkg order: epoch, upstream version (``~`` sorts first), Debian revision."""
    return _univers(DebianVersion, version, "Debian")


def _univers(cls: type[_T], version: str, ecosystem: str) -> _T:
    try:
        return cls(version)  # type: ignore[call-arg]
    except (UniversInvalid, ValueError, TypeError):
        raise InvalidVersion(f"{version!r} is not a {ecosystem} version") from None
