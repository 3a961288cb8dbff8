"""Python lock files: ``poetry.lock``, ``uv.lock`` (TOML) and ``Pipfile.lock`` (JSON)."""

from __future__ import annotations

from typing import Any

from accord.check.inputs.base import (
    Collector,
    Format,
    Text,
    expect_dict,
    load_json,
    load_toml,
    text_field,
)
from accord.check.interface import Malformed


def _packages(data: dict[str, Any]) -> list[Any]:
    packages = data.get("package", [])
    if not isinstance(packages, list):
        raise Malformed("[[package]] must be an array of tables", path="package")
    return packages


def read_poetry(text: Text, out: Collector) -> None:
    """Each ``[[package]]``; those from git, a directory, a file or a URL are not checked."""
    for index, raw in enumerate(_packages(load_toml(text))):
        path = f"package[{index}]"
        entry = expect_dict(raw, path)
        name, version = text_field(entry, "name", path), text_field(entry, "version", path)
        if not name or not version:
            out.error("a package needs a name and a version", path=path)
            continue
        source = entry.get("source") or {}
        kind = source.get("type") if isinstance(source, dict) else None
        if kind in ("git", "directory", "file", "url"):
            out.notice(f"{name} comes from a {kind} source, not checked", path=path)
            continue
        out.add("PyPI", name, version, path=path)


def read_uv(text: Text, out: Collector) -> None:
    """Each ``[[package]]`` from a registry; the project itself and local or git ones are not."""
    for index, raw in enumerate(_packages(load_toml(text))):
        path = f"package[{index}]"
        entry = expect_dict(raw, path)
        name, version = text_field(entry, "name", path), text_field(entry, "version", path)
        if not name:
            out.error("a package needs a name", path=path)
            continue
        source = entry.get("source") or {}
        if not isinstance(source, dict):
            out.error("source must be a table", path=f"{path}.source")
            continue
        if "editable" in source or "virtual" in source:
            continue  # the project being locked (or a workspace member): not a dependency
        if "registry" not in source:
            kind = next(iter(source), "unknown")
            out.notice(f"{name} comes from a {kind} source, not checked", path=path)
            continue
        if not version:
            out.error("a package from a registry needs a version", path=path)
            continue
        out.add("PyPI", name, version, path=path)


def read_pipfile(text: Text, out: Collector) -> None:
    """``default`` and ``develop`` packages pinned ``==``; git or editable ones are not."""
    data = expect_dict(load_json(text), "$")
    if "_meta" not in data:
        raise Malformed("no _meta section: not a Pipfile.lock", path="_meta")
    for section in ("default", "develop"):
        packages = expect_dict(data.get(section, {}), section)
        for name, raw in packages.items():
            path = f"{section}.{name}"
            entry = expect_dict(raw, path)
            version = text_field(entry, "version", path)
            if version is None:
                out.notice(
                    f"{name} has no pinned version (git, path or editable), not checked", path=path
                )
            elif not version.startswith("=="):
                out.error(f"version {version!r} is not an exact pin", path=f"{path}.version")
            else:
                out.add("PyPI", name, version.lstrip("="), path=path)


POETRY = Format(
    "poetry.lock",
    ("poetry.lock",),
    lambda head: "[[package]]" in head and "python-versions" in head,
    read_poetry,
)
UV = Format(
    "uv.lock",
    ("uv.lock",),
    lambda head: head.lstrip().startswith("version = ") and "requires-python" in head,
    read_uv,
)
PIPFILE = Format(
    "Pipfile.lock",
    ("Pipfile.lock",),
    lambda head: '"_meta"' in head and '"pipfile-spec"' in head,
    read_pipfile,
)
