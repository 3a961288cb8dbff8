"""Ecosystems: the names OSV defines, package-name normalization, and package URLs.

The list of ecosystems comes from the official OSV schema shipped with the hub, so the hub
accepts exactly what the schema does; orderings exist for a subset (see ``versions``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from packageurl import PackageURL

from accord.advisories.validation import schema
from accord.errors import N_, InvalidInput, Message


@cache
def known() -> tuple[str, ...]:
    """Every ecosystem name the OSV schema defines (without ``:suffix`` variants)."""
    names: list[str] = schema()["$defs"]["ecosystemName"]["enum"]
    return tuple(names)


def base(ecosystem: str) -> str:
    """``Debian:12`` -> ``Debian``; ``Maven:https://...`` -> ``Maven``."""
    return ecosystem.partition(":")[0]


@cache
def _known_set() -> frozenset[str]:
    return frozenset(known())


def check(ecosystem: str, *, field: str) -> str:
    """The ecosystem if OSV defines it (``:suffix`` allowed); else a 400 listing known ones."""
    name, colon, suffix = ecosystem.partition(":")
    if name not in _known_set() or (colon and not suffix):
        raise UnknownEcosystem(ecosystem, field=field)
    return ecosystem


class UnknownEcosystem(InvalidInput):
    """The ecosystem is not one OSV defines; the message lists those it does."""

    status_code = 400

    def __init__(self, ecosystem: str, *, field: str) -> None:
        super().__init__(
            f"{field}: unknown ecosystem {ecosystem!r}; known ecosystems: {', '.join(known())}",
            field=field,
        )
        self.ecosystem = ecosystem


_PEP503 = re.compile(r"[-_.]+")


def normalize_name(ecosystem: str, name: str) -> str:
    """The form under which a package is indexed and looked up in its ecosystem."""
    eco = base(ecosystem)
    if eco == "PyPI":
        return _PEP503.sub("-", name).lower()  # PEP 503
    if eco == "crates.io":
        return name.lower().replace("_", "-")  # crates.io treats - and _ as one
    if eco in ("NuGet", "Packagist", "Pub", "Hex", "Hackage"):
        return name.lower()  # case-insensitive registries
    return name


@dataclass(frozen=True)
class PurlPackage:
    """A package named by a purl, in OSV's terms."""

    ecosystem: str
    name: str
    version: str | None


# purl type -> OSV ecosystem, for the types whose mapping is unambiguous.
_PURL_TYPES = {
    "pypi": "PyPI",
    "npm": "npm",
    "golang": "Go",
    "cargo": "crates.io",
    "gem": "RubyGems",
    "maven": "Maven",
    "nuget": "NuGet",
    "composer": "Packagist",
    "hex": "Hex",
    "pub": "Pub",
    "hackage": "Hackage",
    "cran": "CRAN",
    "swift": "SwiftURL",
    "conan": "ConanCenter",
    "bitnami": "Bitnami",
}
_DISTROS = {("deb", "debian"): "Debian", ("apk", "alpine"): "Alpine", ("deb", "ubuntu"): "Ubuntu"}
_SEPARATOR = {"maven": ":", "npm": "/", "golang": "/", "composer": "/", "swift": "/"}


def from_purl(purl: str, *, field: str) -> PurlPackage | None:
    """The ecosystem, name and version a purl names; None if its type maps to no ecosystem.

    A malformed purl is a 400 naming ``field``.
    """
    try:
        parsed = PackageURL.from_string(purl)
    except ValueError as exc:
        raise InvalidInput(
            Message(N_("%(field)s: invalid package URL: %(exc)s"), field=field, exc=exc),
            field=field,
        ) from None
    ecosystem = _PURL_TYPES.get(parsed.type) or _DISTROS.get((parsed.type, parsed.namespace or ""))
    if ecosystem is None:
        return None
    name = parsed.name
    if parsed.namespace and parsed.type in _SEPARATOR:
        name = f"{parsed.namespace}{_SEPARATOR[parsed.type]}{parsed.name}"
    return PurlPackage(ecosystem=ecosystem, name=name, version=parsed.version)
