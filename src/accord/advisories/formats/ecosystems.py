"""What each OSV ecosystem is called in the other formats: purl type, vers scheme, CVE fields.

purl types follow the purl-spec type list; the vers versioning scheme of an ecosystem is its
purl type, as the vers specification recommends. CVE JSON 5 names a package by a
``collectionURL`` (the values are the schema's own examples) and a ``versionType`` (free text;
the schema's examples ``python``, ``semver``, ``maven``, ``rpm`` and ``git`` are used where
they fit, the purl type otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from packageurl import PackageURL

from accord.advisories.formats.osv import Interval, Package, Range


@dataclass(frozen=True)
class Ecosystem:
    """How one OSV ecosystem is named elsewhere."""

    purl_type: str | None
    collection_url: str | None = None
    cve_version_type: str = "custom"


_RPM = Ecosystem("rpm", None, "rpm")
ECOSYSTEMS: dict[str, Ecosystem] = {
    "PyPI": Ecosystem("pypi", "https://pypi.python.org", "python"),
    "npm": Ecosystem("npm", "https://registry.npmjs.org", "semver"),
    "crates.io": Ecosystem("cargo", "https://crates.io", "semver"),
    "Go": Ecosystem("golang", "https://golang.org/pkg", "semver"),
    "Maven": Ecosystem("maven", "https://repo.maven.apache.org/maven2", "maven"),
    "NuGet": Ecosystem("nuget", "https://nuget.org/packages", "nuget"),
    "RubyGems": Ecosystem("gem", "https://rubygems.org", "gem"),
    "Packagist": Ecosystem("composer", "https://packagist.org", "composer"),
    "Hex": Ecosystem("hex", "https://repo.hex.pm", "semver"),
    "Pub": Ecosystem("pub", "https://pub.dev", "semver"),
    "Hackage": Ecosystem("hackage", "https://hackage.haskell.org", "hackage"),
    "CRAN": Ecosystem("cran", "https://cran.r-project.org", "cran"),
    "ConanCenter": Ecosystem("conan", "https://conan.io/center", "conan"),
    "GitHub Actions": Ecosystem("github", "https://github.com", "semver"),
    "SwiftURL": Ecosystem("swift", None, "semver"),
    "Debian": Ecosystem("deb", "https://packages.debian.org", "deb"),
    "Ubuntu": Ecosystem("deb", None, "deb"),
    "Alpine": Ecosystem("apk", None, "apk"),
    "Bitnami": Ecosystem("bitnami", None, "semver"),
    "Red Hat": _RPM,
    "Rocky Linux": _RPM,
    "AlmaLinux": _RPM,
    "SUSE": _RPM,
    "openSUSE": _RPM,
}
# The purl namespace of distribution packages names the distribution.
_DISTRO_NAMESPACE = {"Debian": "debian", "Ubuntu": "ubuntu", "Alpine": "alpine"}
# Characters vers reserves as separators or comparators, which a version must quote.
_VERS_RESERVED = set("><=!*|%")


def ecosystem(name: str) -> Ecosystem:
    """The ecosystem behind an OSV ecosystem string (``Debian:11`` is ``Debian``)."""
    return ECOSYSTEMS.get(name.split(":", 1)[0], Ecosystem(None))


def package_purl(package: Package, version: str | None = None) -> str | None:
    """The package's purl (from the record, else built), with ``version`` if given."""
    if package.purl:
        try:
            base = PackageURL.from_string(package.purl)
        except ValueError:
            base = None
        if base is not None:
            return _with_version(base, version)
    base = _built_purl(package)
    return None if base is None else _with_version(base, version)


def _built_purl(package: Package) -> PackageURL | None:
    kind = ecosystem(package.ecosystem).purl_type
    if kind is None or kind in ("rpm", "swift", "bitnami"):
        return None  # their purls need a namespace the OSV record does not give
    family = package.ecosystem.split(":", 1)[0]
    namespace: str | None = _DISTRO_NAMESPACE.get(family)
    name = package.name
    if kind == "maven" and ":" in name:
        namespace, name = name.split(":", 1)
    elif kind in ("npm", "golang", "composer", "github") and "/" in name:
        namespace, name = name.rsplit("/", 1)
    try:
        return PackageURL(type=kind, namespace=namespace, name=name)
    except ValueError:
        return None


def _with_version(base: PackageURL, version: str | None) -> str:
    return PackageURL(
        type=base.type, namespace=base.namespace, name=base.name, version=version
    ).to_string()


def vers_scheme(package: Package | None, kind: str) -> str | None:
    """The vers versioning scheme for a range, or ``None`` when none names its order."""
    if package is not None:
        purl_type = ecosystem(package.ecosystem).purl_type
        if purl_type is not None:
            return purl_type
    return "semver" if kind == "SEMVER" else None


def constraints(interval: Interval) -> list[str]:
    """The vers constraints of one interval, lower bound first (its canonical order)."""
    found = [] if interval.introduced is None else [">=" + vers_version(interval.introduced)]
    if interval.fixed is not None:
        found.append("<" + vers_version(interval.fixed))
    elif interval.last_affected is not None:
        found.append("<=" + vers_version(interval.last_affected))
    elif interval.limit is not None:
        found.append("<" + vers_version(interval.limit))
    return found


def range_specifier(package: Package | None, range_: Range, interval: Interval) -> str:
    """An interval as CSAF 2.0 wants a version range: vers, or a vers-like specifier (vls).

    vls (the constraints without ``vers:`` and scheme) is CSAF's fallback for versions whose
    ordering no vers scheme names, such as an ``ECOSYSTEM`` range of an unknown ecosystem.
    """
    found = constraints(interval)
    if not found:
        return "vers:all/*"  # CSAF 2.0 section 3.1.2.3.2: "all versions" is exactly this.
    scheme = vers_scheme(package, range_.kind)
    joined = "|".join(found)
    return joined if scheme is None else f"vers:{scheme}/{joined}"


def vers_version(version: str) -> str:
    """``version`` as a vers constraint carries it: URL-quoted if vers would misread it."""
    # vers removes spaces and splits on its own operators: quote those (URL quoting, per vers).
    plain = version.isascii() and version.isprintable() and " " not in version
    if _VERS_RESERVED.intersection(version) or not plain:
        return quote(version, safe="")
    return version
