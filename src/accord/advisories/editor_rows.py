"""The editor's rows of affected versions, and the OSV ``affected`` entries they stand for.

A row is one range of one package: its ecosystem, name, range type and the versions that
introduced, fixed or last had the flaw. Rows of the same package make one entry, one range
per type; what an entry holds beside its ranges (a purl, ``ecosystem_specific``...) is kept
in a hidden field and given back to the same package, so a record read into the rows and
saved says what it said. Anything rows cannot say (``versions`` lists, GIT ranges) leaves the
record to the editor's JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

EVENT_KINDS = ("introduced", "fixed", "last_affected")
# How a range's versions are ordered (OSV ``ranges[].type``): the ecosystem's own order, or
# Semantic Versioning 2.0 (Go modules and crates.io records use it). GIT ranges go as JSON.
RANGE_TYPES = ("ECOSYSTEM", "SEMVER")
# What an affected entry may hold beside its rows and is kept through the editor as it was.
ENTRY_EXTRAS = ("ecosystem_specific", "database_specific", "severity")


def empty_range(
    ecosystem: str = "PyPI", package: str = "", kind: str = "ECOSYSTEM"
) -> dict[str, str]:
    """An empty row (of the package given, for a row added below it)."""
    return {
        "ecosystem": ecosystem,
        "package": package,
        "type": kind,
        **dict.fromkeys(EVENT_KINDS, ""),
    }


def _extras_of(entry: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """An affected entry's package, and what it holds beyond the rows (the package's purl
    included), to be given back as it was."""
    package = dict(entry.get("package") or {})
    kept = {key: entry[key] for key in ENTRY_EXTRAS if entry.get(key)}
    if package.get("purl"):
        kept["purl"] = package["purl"]
    return package, kept


def extras_text(affected: list[dict[str, Any]]) -> str:
    """The hidden field's text: what each entry holds beside its ranges, by package."""
    extras = [
        [package.get("ecosystem", ""), package.get("name", ""), kept]
        for package, kept in (_extras_of(entry) for entry in affected)
        if kept
    ]
    return json.dumps(extras) if extras else ""


def rows_of(affected: list[dict[str, Any]]) -> list[dict[str, str]] | None:
    """The rows of a record's affected entries; None when rows cannot say all of it."""
    rows: list[dict[str, str]] = []
    for entry in affected:
        package = entry.get("package") or {}
        if {key for key, value in entry.items() if value} - {"package", "ranges", *ENTRY_EXTRAS}:
            return None
        if set(package) - {"ecosystem", "name", "purl"}:
            return None
        ecosystem, name = package.get("ecosystem", ""), package.get("name", "")
        for r in entry.get("ranges", []):
            extra = {key for key, value in r.items() if value} - {"type", "events"}
            if r.get("type") not in RANGE_TYPES or extra:
                return None
            row = empty_range(ecosystem, name, r["type"])
            for event in r.get("events", []):
                ((kind, version),) = event.items()
                if kind not in EVENT_KINDS:
                    return None
                if kind == "introduced" and (row["fixed"] or row["last_affected"]):
                    rows.append(row)
                    row = empty_range(ecosystem, name, r["type"])
                row[kind] = version
            rows.append(row)
    return rows


def kept_extras(text: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The hidden field's extras by (ecosystem, package); anything else in it is ignored
    (what it held is checked against the OSV schema with the record anyway)."""
    try:
        found = json.loads(text) if text.strip() else []
    except ValueError:
        return {}
    if not isinstance(found, list):
        return {}
    return {
        (item[0], item[1]): item[2]
        for item in found
        if isinstance(item, list)
        and len(item) == 3
        and all(isinstance(part, str) for part in item[:2])
        and isinstance(item[2], dict)
    }


def affected(
    rows: list[dict[str, str]],
    kept: Mapping[tuple[str, str], Mapping[str, Any]],
    errors: dict[str, str],
) -> list[dict[str, Any]]:
    """One OSV ``affected`` entry per package, one range of each type its rows name (the
    type each row says, in the order first named), and what the entry held beyond its rows
    while its package is the same."""
    entries: dict[tuple[str, str], dict[str, list[dict[str, str]]]] = {}
    for i, row in enumerate(rows):
        given = [kind for kind in EVENT_KINDS if row[kind]]
        if not row["package"] and not given:
            continue  # an empty row
        if not row["package"]:
            errors[f"range-{i}-package"] = f"range-{i}-package: name the package"
            continue
        if row["fixed"] and row["last_affected"]:
            errors[f"range-{i}-fixed"] = (
                f"range-{i}-fixed: give the fixed version or the last affected one, not both"
            )
            continue
        ranges = entries.setdefault((row["ecosystem"], row["package"]), {})
        events = ranges.setdefault(row.get("type") or RANGE_TYPES[0], [])
        events.append({"introduced": row["introduced"] or "0"})
        for kind in ("fixed", "last_affected"):
            if row[kind]:
                events.append({kind: row[kind]})
    return [
        _entry(ecosystem, name, ranges, kept.get((ecosystem, name), {}))
        for (ecosystem, name), ranges in entries.items()
    ]


def _entry(
    ecosystem: str,
    name: str,
    ranges: Mapping[str, list[dict[str, str]]],
    kept: Mapping[str, Any],
) -> dict[str, Any]:
    package = {"ecosystem": ecosystem, "name": name}
    if isinstance(kept.get("purl"), str):
        package["purl"] = kept["purl"]
    entry: dict[str, Any] = {
        "package": package,
        "ranges": [{"type": kind, "events": events} for kind, events in ranges.items()],
    }
    entry.update({key: kept[key] for key in ENTRY_EXTRAS if key in kept})
    return entry
