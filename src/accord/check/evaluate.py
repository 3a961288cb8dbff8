"""The OSV evaluation of records against dependencies, on this machine.

The same code the hub answers ``/v1/query`` with (``accord.advisories.matching``): an
``affected`` entry applies when its ecosystem (without ``:suffix``) and normalized name are
the dependency's, and then ``IsVulnerable`` decides. Used by the offline source, and to find
the versions that fix a finding.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from functools import cache, lru_cache
from typing import Any

from accord.advisories import ecosystems, matching, versions
from accord.advisories.versions import InvalidVersion
from accord.check.interface import Dependency, normalized


def _wanted(dependency: Dependency) -> tuple[str, str]:
    return (dependency.ecosystem, normalized(dependency.ecosystem, dependency.name))


def entries_for(record: Mapping[str, Any], dependency: Dependency) -> Iterable[Mapping[str, Any]]:
    """The record's ``affected`` entries that name the dependency's package."""
    return [entry for _, entry in _entries(record, _wanted(dependency))]


def _entries(
    record: Mapping[str, Any], wanted: tuple[str, str]
) -> list[tuple[int, Mapping[str, Any]]]:
    found = []
    for index, entry in enumerate(record.get("affected") or []):
        package = entry.get("package")
        if not package:
            continue
        ecosystem = ecosystems.base(package.get("ecosystem", ""))
        if (ecosystem, normalized(ecosystem, package.get("name", ""))) == wanted:
            found.append((index, entry))
    return found


class Evaluator:
    """Answers "does this record affect this dependency?", compiling each entry once.

    ``IsVulnerable`` is "listed in ``versions``, or in a range". Ranges are compiled by
    ``matching.compile_affected`` (given the entry without its list); the list is compared
    here, the same way (the string, or a version equal in the ecosystem's order), with each
    version string parsed once per run: records of one package list the same versions again
    and again, and parsing them is most of a cold check's time.
    """

    def __init__(self) -> None:
        self._ranges: dict[tuple[str, str, int], matching.CompiledAffected] = {}
        self._probes: dict[str, matching.Probe] = {}

    def affects(self, record: Mapping[str, Any], dependency: Dependency) -> bool:
        """IsVulnerable for any entry of the record that names the dependency's package."""
        probe = self._probes.get(dependency.version)
        if probe is None:
            probe = self._probes[dependency.version] = matching.Probe(dependency.version)
        for index, entry in _entries(record, _wanted(dependency)):
            cache_key = (str(record.get("id")), str(record.get("modified")), index)
            compiled = self._ranges.get(cache_key)
            if compiled is None:
                ranges_only = {k: v for k, v in entry.items() if k != "versions"}
                compiled = self._ranges[cache_key] = matching.compile_affected(
                    ranges_only, order_for=_remembering_order
                )
            if matching.is_vulnerable(compiled, probe) or self._listed(entry, compiled, probe):
                return True
        return False

    def _listed(
        self, entry: Mapping[str, Any], compiled: matching.CompiledAffected, probe: matching.Probe
    ) -> bool:
        listed = entry.get("versions") or ()
        if probe.version in listed:
            return True
        order = compiled.order
        if order is None or not listed:
            return False
        own = probe.key(order)
        if own is None:
            return False
        return any(self._key(order, str(v)) == own for v in listed)

    def _key(self, order: versions.KeyFunction, version: str) -> Hashable | None:
        return _key(order, version)


def fixed_versions(record: Mapping[str, Any], dependency: Dependency) -> tuple[str, ...]:
    """The ``fixed`` versions of the record's ranges for this package that are above the
    installed version, lowest first in the ecosystem's order (all of them if it has none)."""
    order = versions.order_for(dependency.ecosystem)
    fixed: set[str] = set()
    for entry in entries_for(record, dependency):
        for range_ in entry.get("ranges") or []:
            if range_.get("type") == "GIT":
                continue
            fixed.update(e["fixed"] for e in range_.get("events", []) if "fixed" in e)
    if order is None:
        return tuple(sorted(fixed))
    installed = _key(order, dependency.version)
    keyed = [(k, v) for v in fixed if (k := _key(order, v)) is not None]
    above = [(k, v) for k, v in keyed if installed is None or k > installed]  # type: ignore[operator]
    return tuple(v for _, v in sorted(above, key=lambda item: item[0]))  # type: ignore[arg-type,return-value]


@cache
def _remembering_order(ecosystem: str) -> versions.KeyFunction | None:
    # The ecosystem's ordering, remembering each version it parsed (for the whole run).
    order = versions.order_for(ecosystem)
    return None if order is None else lru_cache(maxsize=200_000)(order)


@lru_cache(maxsize=200_000)
def _key(order: versions.KeyFunction, version: str) -> Hashable | None:
    # Each version string is parsed once per run, whichever record lists it.
    try:
        return order(version)
    except InvalidVersion:
        return None
