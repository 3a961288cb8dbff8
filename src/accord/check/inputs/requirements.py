"""requirements files (pip's format): each pinned ``name==version`` line is a dependency.

Lines are parsed with ``packaging.requirements``; options (``--hash``, ``-i``...) are
skipped, ``-r``/``-c`` files are not followed (name them as inputs too). A requirement that
is not pinned to one version cannot be checked and is reported as such.
"""

from __future__ import annotations

import re

from packaging.requirements import InvalidRequirement, Requirement

from accord.check.inputs.base import Collector, Format, Text

_OPTION = re.compile(r"\s+--?[a-zA-Z][\w-]*(?:[= ]\S+)?")
_COMMENT = re.compile(r"(^|\s)#.*$")


def _logical_lines(text: str) -> list[tuple[int, str]]:
    # A trailing backslash continues a line; the line reported is where it starts.
    lines: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        line = _COMMENT.sub("", raw) if not raw.rstrip().endswith("\\") else raw
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        lines.append((start, pending + line))
        pending = ""
    if pending:
        lines.append((start, pending))
    return lines


def read(text: Text, out: Collector) -> None:
    """Collect the pinned requirements; report unpinned and unreadable lines."""
    for number, line in _logical_lines(text.text):
        line = _COMMENT.sub("", line).strip()
        if not line:
            continue
        if line.startswith("-"):
            if line.startswith(("-e", "--editable")):
                out.notice("editable requirement, not checked", line=number)
            elif line.startswith(("-r", "--requirement", "-c", "--constraint")):
                out.notice(f"{line.split()[0]} is not followed: check that file too", line=number)
            continue
        spec = _OPTION.sub("", " " + line).strip()
        try:
            requirement = Requirement(spec)
        except InvalidRequirement as exc:
            out.error(f"not a requirement: {str(exc).splitlines()[0]}", line=number)
            continue
        pinned = _pinned_version(requirement)
        if requirement.url:
            out.notice(f"{requirement.name} comes from a URL, not checked", line=number)
        elif pinned is None:
            shown = str(requirement.specifier) or "any version"
            out.notice(f"{requirement.name} is not pinned ({shown}), not checked", line=number)
        else:
            out.add("PyPI", requirement.name, pinned, line=number)


def _pinned_version(requirement: Requirement) -> str | None:
    specifiers = list(requirement.specifier)
    if len(specifiers) != 1:
        return None
    (only,) = specifiers
    if only.version and (
        only.operator == "===" or (only.operator == "==" and "*" not in only.version)
    ):
        return only.version
    return None


def _sniff(head: str) -> bool:
    lines = head[:8192].splitlines()
    first = [line.strip() for line in lines if line.strip() and line[0] != "#"]
    return bool(first) and all(
        re.match(r"^[A-Za-z0-9][\w.\-\[\], ]*\s*(==|>=|<=|~=|!=|===|-r|-e)", line)
        or line.startswith("-")
        for line in first[:5]
    )


FORMAT = Format(
    "requirements",
    ("requirements*.txt", "constraints*.txt", "*requirements.txt", "requirements/*.txt"),
    _sniff,
    read,
)
