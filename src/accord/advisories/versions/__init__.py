"""Version orderings, one module or adapter per ecosystem.

Each ordering turns a version string into a *key*: a hashable value whose ``<`` and ``==``
follow the ecosystem's own rules, so that ranges compare keys and ``versions`` lists become
sets of keys. A string the ecosystem cannot read raises :class:`InvalidVersion`.

Where ``univers`` (or ``packaging``) is right we use it; where our tests found it wrong we
keep a small comparator of our own (see each module's docstring for the reason).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from accord.advisories.versions import adapters, alpine, maven, packagist, semver
from accord.advisories.versions.errors import InvalidVersion

Key = Any  # hashable and totally ordered within one ecosystem
KeyFunction = Callable[[str], Hashable]

# The ordering of ranges of type SEMVER, whatever the ecosystem (OSV schema: SemVer 2.0).
SEMVER: KeyFunction = semver.key

# Ecosystem (without any ":suffix") -> the ordering of its ECOSYSTEM ranges.
ORDERS: dict[str, KeyFunction] = {
    "PyPI": adapters.pypi_key,
    "npm": semver.key,
    "crates.io": semver.key,
    "Go": semver.key,
    "RubyGems": adapters.rubygems_key,
    "Maven": maven.key,
    "NuGet": adapters.nuget_key,
    "Packagist": packagist.key,
    "Debian": adapters.debian_key,
    "Alpine": alpine.key,
}


def order_for(ecosystem: str) -> KeyFunction | None:
    """The ordering of an ecosystem (suffix such as ``Debian:12`` ignored), if the hub has one."""
    return ORDERS.get(ecosystem.partition(":")[0])


__all__ = ["ORDERS", "SEMVER", "InvalidVersion", "Key", "KeyFunction", "order_for"]
