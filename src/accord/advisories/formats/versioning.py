"""Document versioning as CSAF 2.0 rules it (section 3.1.11, tests 6.1.14 to 6.1.22 and 6.1.30).

A publication's version and revision history are checked here once, so that every converter
can trust them: a CSAF document built from an accepted :class:`PublicationMeta` never fails
these mandatory tests. Versions are either integers (``1``, ``2``) or semantic versions
(``1.0.0``); one document uses one scheme.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from accord.errors import N_, InvalidInput, Message

# The two patterns of CSAF 2.0 section 3.1.11 (version_t).
_INTEGER = re.compile(r"^(0|[1-9][0-9]*)$")
_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


@dataclass(frozen=True)
class DocumentVersion:
    """A parsed ``version_t``: its scheme, its major number, its release part and pre-release."""

    text: str
    semantic: bool
    major: int
    release: tuple[int, ...]
    prerelease: str | None

    @property
    def is_initial_development(self) -> bool:
        """``0`` or ``0.y.z``: a version only a draft may carry (6.1.17, 6.1.18)."""
        return self.major == 0


def parse_version(text: str, *, field: str) -> DocumentVersion:
    """Parse a document version, or raise :class:`InvalidInput` naming ``field``."""
    if _INTEGER.match(text):
        return DocumentVersion(text, False, int(text), (int(text),), None)
    match = _SEMVER.match(text)
    if match is None:
        raise InvalidInput(
            Message(
                N_("%(text)r is neither an integer nor a semantic version (CSAF 2.0 version_t)"),
                text=text,
            ),
            field=field,
        )
    release = (int(match[1]), int(match[2]), int(match[3]))
    return DocumentVersion(text, True, release[0], release, match[4])


def check_versioning(*, version: str, draft: bool, history: Sequence[str]) -> None:
    """Raise :class:`InvalidInput` unless the version and history obey CSAF 2.0.

    ``history`` holds the revision numbers sorted by their dates; ``draft`` says whether the
    document's status is ``draft``.
    """
    current = parse_version(version, field="meta.version")
    if not draft and (current.is_initial_development or current.prerelease):
        raise InvalidInput(
            Message(
                N_("version %(version)s is a draft version; the status must be 'draft'"),
                version=version,
            ),
            field="meta.status",
        )
    if not history:
        raise InvalidInput(N_("at least one revision is required"), field="meta.revisions")
    parsed = [
        parse_version(number, field=f"meta.revisions[{i}].number")
        for i, number in enumerate(history)
    ]
    _check_history(parsed, draft=draft)
    if any(h.semantic != current.semantic for h in parsed):
        raise InvalidInput(
            N_("the version and the revision numbers mix integer and semantic versioning"),
            field="meta.revisions",
        )
    latest = history[-1]
    if _without_build(latest) != _comparable(current, draft=draft):
        raise InvalidInput(
            Message(
                N_("version %(version)s is not the number of the latest revision (%(latest)s)"),
                version=version,
                latest=latest,
            ),
            field="meta.version",
        )


def _check_history(history: list[DocumentVersion], *, draft: bool) -> None:
    field = "meta.revisions"
    if any(h.prerelease for h in history):
        raise InvalidInput(N_("a revision number carries a pre-release part"), field=field)
    if not draft and any(h.is_initial_development for h in history):
        raise InvalidInput(N_("a released document lists a 0 or 0.y.z revision"), field=field)
    texts = [_without_build(h.text) for h in history]
    if len(set(texts)) != len(texts):
        raise InvalidInput(N_("two revisions carry the same number"), field=field)
    if any(b.release <= a.release for a, b in pairwise(history)):
        raise InvalidInput(N_("revision numbers do not increase with their dates"), field=field)
    majors = sorted({h.major for h in history})
    if majors[0] > 1 or majors != list(range(majors[0], majors[-1] + 1)):
        raise InvalidInput(
            N_("revision history skips a (major) version or does not start at 0 or 1"),
            field=field,
        )


def _without_build(text: str) -> str:
    return text.split("+", 1)[0]


def _comparable(version: DocumentVersion, *, draft: bool) -> str:
    # 6.1.16 ignores build metadata, and the pre-release part of a draft.
    text = _without_build(version.text)
    return text.split("-", 1)[0] if draft else text
