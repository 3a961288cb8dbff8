"""Packagist (Composer) order: Composer's normalization, then PHP's ``version_compare``.

Our own, because ``univers``' ComposerVersion is SemVer under another name: it puts ``RC``
before ``beta``, a ``-p1`` patch release before its release and ``dev`` after ``alpha``, and
ignores a fourth number (``1.2.3.4`` == ``1.2.3.5``).

Composer pads the numeric part to four numbers (``1.0`` == ``1.0.0.0``) and drops a leading
``v``. PHP then splits the rest at ``.``, ``-``, ``_``, ``+`` and between digits and letters,
and orders the words: any other word < dev < alpha = a < beta = b < RC = rc < (number) <
pl = p (matched by prefix, as PHP does); when one version runs out, a following number makes
the other one newer, and a following word is compared with "a number".
"""

from __future__ import annotations

import re

from accord.advisories.versions.errors import InvalidVersion

_NUMERIC = re.compile(r"^[vV]?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?(.*)$")
_SPLIT = re.compile(r"\d+|[A-Za-z]+")
# PHP's special forms, checked in this order by prefix; 4 is the rank of a number.
_FORMS = (("dev", 0), ("alpha", 1), ("a", 1), ("beta", 2), ("b", 2), ("rc", 3), ("#", 4))
_FORMS_AFTER = (("pl", 5), ("p", 5))
_NUMBER = 4
_OTHER = -6
# What a version that ran out compares as: after every word below a number, before numbers.
_END = (_NUMBER, -1)


def _word_rank(word: str) -> int:
    lowered = word.lower()
    for prefix, rank in (*_FORMS, *_FORMS_AFTER):
        if lowered.startswith(prefix):
            return rank
    return _OTHER


def key(version: str) -> tuple[tuple[int, int], ...]:
    """The ordering key of a Composer version."""
    text = version.strip()
    found = _NUMERIC.match(text)
    if found is None or not text:
        raise InvalidVersion(f"{version!r} is not a Composer version")
    numbers = [int(part or 0) for part in found.groups()[:4]]
    rest = found.group(5)
    if rest and not re.fullmatch(r"[-_.+]?[A-Za-z0-9]+(?:[-_.+]?[A-Za-z0-9]+)*", rest):
        raise InvalidVersion(f"{version!r} is not a Composer version")
    parts: list[tuple[int, int]] = [(_NUMBER, n) for n in numbers]
    for piece in _SPLIT.findall(rest):
        parts.append((_NUMBER, int(piece)) if piece.isdigit() else (_word_rank(piece), 0))
    parts.append(_END)
    return tuple(parts)
