"""npm's ``package-lock.json`` (lockfile versions 1 to 3, and ``npm-shrinkwrap.json``).

Versions 2 and 3 list every installed package under ``packages``, keyed by its path in
``node_modules``; version 1 nests ``dependencies``. Links (workspaces) and packages installed
from git, files or URLs are not checked.
"""

from __future__ import annotations

from typing import Any

from accord.check.inputs.base import Collector, Format, Text, expect_dict, load_json, text_field
from accord.check.interface import Malformed

_MODULES = "node_modules/"


def read(text: Text, out: Collector) -> None:
    """Every package the lock file installs, once per name and version."""
    data = expect_dict(load_json(text), "$")
    version = data.get("lockfileVersion")
    if version not in (1, 2, 3):
        raise Malformed(f"lockfileVersion {version!r} is not 1, 2 or 3", path="lockfileVersion")
    if version >= 2 and "packages" in data:
        _read_packages(expect_dict(data["packages"], "packages"), out)
    else:
        _read_dependencies(
            expect_dict(data.get("dependencies", {}), "dependencies"), "dependencies", out
        )


def _read_packages(packages: dict[str, Any], out: Collector) -> None:
    for key, raw in packages.items():
        if key == "":
            continue  # the root project
        path = f"packages[{key!r}]"
        entry = expect_dict(raw, path)
        if entry.get("link"):
            continue
        if _MODULES not in key and not key.startswith("node_modules"):
            continue  # a workspace folder, described again under node_modules as a link
        name = text_field(entry, "name", path) or key.rpartition(_MODULES)[2]
        version = text_field(entry, "version", path)
        _add(out, name, version, path)


def _read_dependencies(dependencies: dict[str, Any], at: str, out: Collector) -> None:
    for name, raw in dependencies.items():
        path = f"{at}[{name!r}]"
        entry = expect_dict(raw, path)
        _add(out, name, text_field(entry, "version", path), path)
        nested = entry.get("dependencies")
        if nested is not None:
            _read_dependencies(
                expect_dict(nested, f"{path}.dependencies"), f"{path}.dependencies", out
            )


def _add(out: Collector, name: str, version: str | None, path: str) -> None:
    if not name:
        out.error("a package without a name", path=path)
        return
    if version is None:
        out.error(f"{name} has no version", path=path)
        return
    if version.startswith("npm:"):  # an alias: "npm:real-name@1.2.3"
        name, _, version = version[4:].rpartition("@")
    if not version[:1].isdigit():
        out.notice(f"{name} comes from {version}, not checked", path=path)
        return
    out.add("npm", name, version, path=path)


FORMAT = Format(
    "package-lock.json",
    ("package-lock.json", "npm-shrinkwrap.json"),
    lambda head: '"lockfileVersion"' in head and ('"requires"' in head or '"packages"' in head),
    read,
)
