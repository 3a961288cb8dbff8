"""Installed Python distributions: the running environment, or another one by path.

Another environment is named by its folder (a virtual environment, with ``pyvenv.cfg``) or by
a ``site-packages`` folder; it is read with ``importlib.metadata`` over that path alone, so
nothing of it is imported or run.
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

from accord.check.interface import Dependency, Location, Malformed, Problem, Reading


def site_packages(folder: Path) -> list[Path]:
    """The folders holding a virtual environment's (or a site-packages folder's) packages."""
    if (folder / "pyvenv.cfg").exists():
        found = sorted(folder.glob("lib/python3*/site-packages"))
        found += sorted(folder.glob("Lib/site-packages"))
        if not found:
            raise Malformed("a virtual environment without a site-packages folder")
        return found
    if any(folder.glob("*.dist-info")) or folder.name in ("site-packages", "dist-packages"):
        return [folder]
    raise Malformed("not a virtual environment nor a site-packages folder")


def read(paths: list[str] | None, *, label: str) -> Reading:
    """Every distribution found on ``paths`` (default: this interpreter's ``sys.path``).

    As ``importlib`` does, the first distribution of a name on the path wins.
    """
    reading = Reading(kind="Python environment", file=label)
    seen: set[str] = set()
    for distribution in metadata.distributions(path=sys.path if paths is None else paths):
        metadata_ = distribution.metadata  # parsed once: name and version both come from it
        name = metadata_["Name"]
        if not name:
            where = Location(label, path=str(getattr(distribution, "_path", "?")))
            reading.errors.append(Problem(where, "a distribution without a name"))
            continue
        key = name.lower().replace("_", "-").replace(".", "-")
        if key not in seen:
            seen.add(key)
            where = Location(label, path=name)
            version = metadata_["Version"] or ""
            reading.dependencies.append(Dependency("PyPI", name, version, where))
    return reading
