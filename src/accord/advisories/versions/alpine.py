"""Alpine (apk) order: ``1.2.3[letter][_suffix[N]...][-rN]``.

Our own, because ``univers``' AlpineLinuxVersion borrows Gentoo's rules and refuses Alpine's
post-release suffixes ``_cvs``, ``_svn``, ``_git`` and ``_hg`` (``1.2.3_git20200101-r0`` is
"not a valid version"), which real Alpine packages use.

Rules (apk-tools' version comparison): the first number compares numerically; a later number
with a leading zero compares as a decimal fraction (``1.02`` < ``1.1``); more numbers win; a
letter after the numbers wins (``1.2a`` > ``1.2``); suffixes order
alpha < beta < pre < rc < (none) < cvs < svn < git < hg < p; then the ``-rN`` revision.
"""

from __future__ import annotations

import re

from accord.advisories.versions.errors import InvalidVersion

_VERSION = re.compile(
    r"^(\d+(?:\.\d+)*)([a-z]?)((?:_(?:alpha|beta|pre|rc|cvs|svn|git|hg|p)\d*)*)"
    r"(?:~[0-9a-f]+)?(?:-r(\d+))?$"
)
_SUFFIXES = {
    "alpha": 0,
    "beta": 1,
    "pre": 2,
    "rc": 3,
    "cvs": 5,
    "svn": 6,
    "git": 7,
    "hg": 8,
    "p": 9,
}
_NO_SUFFIX = (4, 0)
_SUFFIX = re.compile(r"_([a-z]+)(\d*)")

Key = tuple[tuple[tuple[int, int | str], ...], str, tuple[tuple[int, int], ...], int]


def key(version: str) -> Key:
    """The ordering key of an Alpine package version."""
    found = _VERSION.match(version.strip())
    if found is None:
        raise InvalidVersion(f"{version!r} is not an Alpine version")
    numbers, letter, suffixes, revision = found.groups()
    first, *rest = numbers.split(".")
    parts: list[tuple[int, int | str]] = [(1, int(first))]
    # A later number with a leading zero reads as a fraction: compared as text, below the rest.
    parts += [(0, n.rstrip("0")) if n.startswith("0") else (1, int(n)) for n in rest]
    ranked = [(_SUFFIXES[name], int(n or 0)) for name, n in _SUFFIX.findall(suffixes)]
    return (tuple(parts), letter, (*ranked, _NO_SUFFIX), int(revision or 0))
