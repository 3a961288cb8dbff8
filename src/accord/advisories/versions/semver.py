"""SemVer 2.0 precedence (https://semver.org, section 11), for SEMVER ranges, npm, crates.io, Go.

Our own, because ``univers``' SemverVersion keeps build metadata in equality and hashing
(``1.0.0+a != 1.0.0+b``), which section 10 of the specification forbids, and coerces strings
such as ``1.2.3.4`` that are not versions at all.

Accepted beyond the strict grammar, as OSV.dev and the package managers do: a leading ``v``
(Go requires it) and missing minor or patch numbers (``1.2`` reads as ``1.2.0``).
"""

from __future__ import annotations

import re

from accord.advisories.versions.errors import InvalidVersion

_SEMVER = re.compile(
    r"^v?(?P<major>0|[1-9]\d*)(?:\.(?P<minor>0|[1-9]\d*)(?:\.(?P<patch>0|[1-9]\d*))?)?"
    r"(?:-(?P<pre>(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)"
    r"(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+(?P<build>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)

# A release sorts after every pre-release of the same version (11.3): flag 1 beats flag 0.
_RELEASE = (1,)


def key(version: str) -> tuple[int, int, int, tuple[object, ...]]:
    """The precedence key of a SemVer version; build metadata does not take part."""
    found = _SEMVER.match(version.strip())
    if found is None:
        raise InvalidVersion(f"{version!r} is not a semantic version")
    pre = found["pre"]
    return (
        int(found["major"]),
        int(found["minor"] or 0),
        int(found["patch"] or 0),
        _RELEASE if pre is None else (0, *(_identifier(part) for part in pre.split("."))),
    )


def _identifier(part: str) -> tuple[int, int | str]:
    # 11.4: numeric identifiers compare numerically and sort before alphanumeric ones,
    # which compare in ASCII order.
    return (0, int(part)) if part.isdigit() else (1, part)
