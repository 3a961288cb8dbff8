"""Package URLs (purl) to OSV ecosystems, names and versions, with packageurl-python."""

from __future__ import annotations

from accord.advisories import ecosystems
from accord.check.inputs.base import Collector
from accord.errors import InvalidInput


def add_purl(out: Collector, purl: str, *, path: str, version: str | None = None) -> None:
    """Add the package a purl names; a purl of no OSV ecosystem, or without version, is a
    notice; a malformed purl is an error at ``path``."""
    try:
        found = ecosystems.from_purl(purl, field="purl")
    except InvalidInput as exc:
        out.error(exc.message.removeprefix("purl: "), path=path)
        return
    if found is None:
        out.notice(f"{purl}: no OSV ecosystem for this package type, not checked", path=path)
        return
    resolved = found.version or version
    if not resolved:
        out.notice(f"{purl} has no version, not checked", path=path)
        return
    out.add(found.ecosystem, found.name, resolved, path=path, purl=purl)
