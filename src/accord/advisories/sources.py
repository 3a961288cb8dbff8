"""Where an imported advisory came from, named as a person would: "PyPA advisory database".

An import stores its origin in ``Advisory.source``: the name an operator gave
(``accord advisories import --source-name``), else the URL it was fetched from, else (a local
file or folder) the name of the database its records' ids belong to. Pages show
:func:`public_name`, which never shows a local path: hubs that stored one before it existed
are read the same way.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# OSV id prefixes and the databases that assign them (https://ossf.github.io/osv-schema/,
# "id" field, and the data sources OSV.dev lists).
DATABASES: dict[str, str] = {
    "PYSEC": "PyPA advisory database",
    "GHSA": "GitHub Advisory Database",
    "GO": "Go vulnerability database",
    "RUSTSEC": "RustSec advisory database",
    "OSV": "OSS-Fuzz",
    "MAL": "OpenSSF malicious packages",
    "PSF": "Python Software Foundation",
    "HSEC": "Haskell security advisories",
    "RSEC": "R Consortium advisory database",
    "BIT": "Bitnami vulnerability database",
    "CURL": "curl security advisories",
    "DSA": "Debian security tracker",
    "DLA": "Debian security tracker",
    "DTSA": "Debian security tracker",
    "USN": "Ubuntu security notices",
    "ALSA": "AlmaLinux errata",
    "RLSA": "Rocky Linux errata",
    "CGA": "Chainguard security advisories",
    "MGASA": "Mageia advisories",
    "CVE": "CVE records",
}
# Repositories and hosts whose name a person knows better than their address.
KNOWN_URLS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"github\.com/pypa/advisory-database"), "PyPA advisory database"),
    (re.compile(r"github\.com/github/advisory-database"), "GitHub Advisory Database"),
    (re.compile(r"github\.com/rustsec/advisory-db"), "RustSec advisory database"),
    (re.compile(r"github\.com/golang/vulndb|vuln\.go\.dev"), "Go vulnerability database"),
    (re.compile(r"osv-vulnerabilities\.storage\.googleapis\.com/(?P<eco>[^/]+)/"), "OSV.dev"),
    (re.compile(r"api\.osv\.dev|osv\.dev"), "OSV.dev"),
)
# Stored origins that are not imports (see services.create_draft and disclosure.publishing).
NOT_IMPORTED = frozenset({"hub", "disclosure"})
_PREFIX = re.compile(r"^([A-Za-z]+)-")


def is_url(origin: str) -> bool:
    """Whether ``origin`` is an http(s) address."""
    return origin.startswith(("http://", "https://"))


def is_local_path(origin: str) -> bool:
    """Whether ``origin`` names a file or folder on the importing machine."""
    return not is_url(origin) and (
        "/" in origin
        or "\\" in origin
        or origin.startswith(".")
        or origin.endswith((".json", ".yaml", ".yml", ".zip"))
    )


def database_of(osv_id: str) -> str | None:
    """The database that assigns ids like ``osv_id`` (``PYSEC-2024-1``), if it is known."""
    found = _PREFIX.match(osv_id)
    return DATABASES.get(found.group(1).upper()) if found else None


def from_url(url: str) -> str:
    """A URL's source as a person would name it: a known database, else its host."""
    for pattern, name in KNOWN_URLS:
        match = pattern.search(url)
        if match:
            eco = match.groupdict().get("eco")
            return f"{name} ({eco})" if eco else name
    return urlsplit(url).hostname or url


LOCAL = "local"  # stored for local files of no known database


def stored_origin(origin: str, osv_id: str) -> str:
    """What an import stores as a record's origin: a name (the operator's) or a URL as given;
    for local files, the database its id belongs to (never the path)."""
    if is_local_path(origin):
        return database_of(osv_id) or LOCAL
    return origin[:300]


def public_name(origin: str, osv_id: str) -> str | None:
    """The source of an imported advisory as pages show it; None where nothing better than
    "imported by this hub's operators" can be said."""
    if is_url(origin):
        return from_url(origin)
    if is_local_path(origin):
        return database_of(osv_id)
    return None if origin == LOCAL else origin
