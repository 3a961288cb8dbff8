"""Inputs: recognize each file by its name, else by its content, and read it.

Every file is read on its own: one that cannot be read is reported (file, line or path,
problem) and the others are still checked.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from pathlib import Path

from accord import limits
from accord.check.inputs import (
    cyclonedx,
    environment,
    npm,
    others,
    pnpm,
    python_locks,
    requirements,
    spdx,
    yarn,
)
from accord.check.inputs.base import Collector, Format, Text
from accord.check.interface import Location, Malformed, Problem, Reading

MAX_INPUT_BYTES = limits.MAX_JSON_BYTES

# Most specific first: content sniffing tries them in this order.
FORMATS: tuple[Format, ...] = (
    cyclonedx.JSON,
    cyclonedx.XML,
    spdx.FORMAT,
    npm.FORMAT,
    python_locks.PIPFILE,
    python_locks.POETRY,
    python_locks.UV,
    others.CARGO,
    yarn.FORMAT,
    pnpm.FORMAT,
    others.GEMFILE,
    others.GO_SUM,
    requirements.FORMAT,
)


def detect(path: Path, text: str) -> Format | None:
    """The format of a file: by its name first, then by what it starts with."""
    name = path.name
    parent_and_name = f"{path.parent.name}/{name}"
    for candidate in FORMATS:
        if any(
            fnmatch.fnmatch(name, p) or fnmatch.fnmatch(parent_and_name, p) for p in candidate.names
        ):
            return candidate
    # Sniffers get the whole text: a JSON document may name its format in its last line.
    for candidate in FORMATS:
        if candidate.sniff(text):
            return candidate
    return None


def read_file(path: Path, *, shown: str | None = None) -> Reading:
    """Read one input file; every failure is a Problem in the reading, never an exception."""
    label = shown or str(path)
    if path.is_dir():
        return read_environment(path, shown=label)
    try:
        if path.stat().st_size > MAX_INPUT_BYTES:
            return _failed(label, "?", f"larger than {MAX_INPUT_BYTES // 2**20} MiB")
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        return _failed(label, "?", f"not UTF-8 text ({exc.reason} at byte {exc.start})")
    except OSError as exc:
        return _failed(label, "?", exc.strerror or str(exc))
    return read_text(text, name=path, shown=label)


def read_text(text: str, *, name: Path, shown: str, refuse: bool = False) -> Reading:
    """Read an input already in memory (a file sent to the hub's page); ``name`` is the file
    name it came with, used to recognize it before its content is.

    An input past a bound of :mod:`accord.limits` is reported like a malformed one, or with
    ``refuse`` raises :class:`~accord.limits.LimitExceeded` (the page refuses it whole).
    """
    label = shown
    found = detect(name, text)
    if found is None:
        return _failed(label, "?", "not a format accord check reads (see `accord check --help`)")
    out = Collector(found.kind, label, text=text)
    try:
        found.read(Text(label, text), out)
    except limits.LimitExceeded as exc:
        if refuse:
            raise
        out.error(exc.reason)
    except Malformed as exc:
        out.error(exc.message, line=exc.line, path=exc.path)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        # A reader met a shape it did not expect: the file, not the program, is at fault.
        out.error(f"{found.kind}: unexpected content ({type(exc).__name__}: {exc})")
    return out.reading


def read_environment(folder: Path | None, *, shown: str | None = None) -> Reading:
    """The running environment (``folder`` None) or the one in ``folder``."""
    if folder is None:
        return environment.read(None, label=shown or "the running Python environment")
    label = shown or str(folder)
    try:
        paths = [str(p) for p in environment.site_packages(folder)]
    except Malformed as exc:
        return _failed(label, "Python environment", exc.message)
    return environment.read(paths, label=label)


def read_all(paths: Sequence[Path]) -> list[Reading]:
    """Every input, in order."""
    return [read_file(p) for p in paths]


def _failed(label: str, kind: str, message: str) -> Reading:
    return Reading(kind=kind, file=label, errors=[Problem(Location(label), message)])
