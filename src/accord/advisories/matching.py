"""The OSV evaluation algorithm (OSV schema, "Evaluation": IsVulnerable), per ecosystem order.

An ``affected`` entry is compiled once into keys of its ecosystem's ordering (parsing versions
is the costly part), then answers many queries. Compiled entries are cached by the index row
they came from; rows are replaced, never edited, when an advisory changes.

What is not evaluated, by design (see docs/advisories.md):
- GIT ranges against a version: their events are commits, ordered only by a repository's commit
  graph, which the hub does not fetch. A commit query matches a commit the record names as
  introduced or last affected, or lists in ``versions``; a commit in between is not found.
- ECOSYSTEM ranges of ecosystems without an ordering here, and ranges with an event the
  ordering cannot read: the ``versions`` list still matches.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from accord.advisories import versions
from accord.advisories.versions import InvalidVersion, KeyFunction

_EVENT_TYPES = ("introduced", "fixed", "last_affected", "limit")


@dataclass(frozen=True)
class Range:
    """One range, its events sorted in its ordering; ``None`` stands for version ``0``."""

    order: KeyFunction
    events: tuple[tuple[str, Any], ...]
    limits: tuple[Any, ...]
    unlimited: bool


@dataclass(frozen=True)
class CompiledAffected:
    """One ``affected`` entry, ready to answer "is this version affected?"."""

    ecosystem: str
    order: KeyFunction | None
    version_strings: frozenset[str]
    version_keys: frozenset[Hashable]
    ranges: tuple[Range, ...]
    commits: frozenset[str] = field(default_factory=frozenset)


def compile_affected(
    entry: Mapping[str, Any],
    *,
    order_for: Callable[[str], KeyFunction | None] = versions.order_for,
) -> CompiledAffected:
    """Parse an OSV ``affected`` entry (already valid against the schema) for matching.

    ``order_for`` gives the ecosystem's ordering: ``accord check`` passes one that remembers
    each version it parsed, as the records of one package name the same versions again."""
    ecosystem = entry["package"]["ecosystem"]
    order = order_for(ecosystem)
    listed = [str(v) for v in entry.get("versions") or []]
    ranges: list[Range] = []
    commits: set[str] = set()
    for raw in entry.get("ranges") or []:
        if raw["type"] == "GIT":
            commits.update(affecting_commits(raw["events"]))
            continue
        range_order = versions.SEMVER if raw["type"] == "SEMVER" else order
        compiled = _compile_range(range_order, raw["events"]) if range_order else None
        if compiled is not None:
            ranges.append(compiled)
    return CompiledAffected(
        ecosystem=ecosystem,
        order=order,
        version_strings=frozenset(listed),
        version_keys=frozenset(_keys(order, listed)) if order else frozenset(),
        ranges=tuple(ranges),
        commits=frozenset(commits | set(listed)),
    )


def affecting_commits(events: Iterable[Mapping[str, str]]) -> set[str]:
    # The introducing commit and the last affected one are themselves vulnerable.
    found = set()
    for event in events:
        for kind in ("introduced", "last_affected"):
            if event.get(kind) not in (None, "0"):
                found.add(event[kind].lower())
    return found


def _keys(order: KeyFunction, listed: Iterable[str]) -> Iterable[Hashable]:
    for version in listed:
        try:
            yield order(version)
        except InvalidVersion:
            continue


def _compile_range(order: KeyFunction, events: Iterable[Mapping[str, str]]) -> Range | None:
    # A range with an event its ordering cannot read is left out: guessing its bounds could
    # report versions as safe that are not (the record's ``versions`` list still applies).
    parsed: list[tuple[tuple[Any, ...], str, Any]] = []
    limits: list[Any] = []
    unlimited = False
    for index, event in enumerate(events):
        kind = next(k for k in _EVENT_TYPES if k in event)
        value = event[kind]
        try:
            if kind == "limit":
                if "*" in value:
                    unlimited = True
                else:
                    limits.append(order(value))
                continue
            if kind == "introduced" and value == "0":
                parsed.append(((0, index), kind, None))
                continue
            version_key = order(value)
        except InvalidVersion:
            return None
        parsed.append(((1, version_key, index), kind, version_key))
    parsed.sort(key=lambda item: item[0])
    return Range(
        order=order,
        events=tuple((kind, key) for _, kind, key in parsed),
        limits=tuple(limits),
        unlimited=unlimited or not limits,
    )


_MISSING = object()


class Probe:
    """A queried version, parsed at most once per ordering."""

    __slots__ = ("_keys", "version")

    def __init__(self, version: str) -> None:
        self.version = version
        self._keys: dict[KeyFunction, Any] = {}

    def key(self, order: KeyFunction) -> Any:
        """The version's key in ``order``, or None if that ordering cannot read it."""
        found = self._keys.get(order, _MISSING)
        if found is _MISSING:
            try:
                found = order(self.version)
            except InvalidVersion:
                found = None
            self._keys[order] = found
        return found


def is_vulnerable(affected: CompiledAffected, probe: Probe) -> bool:
    """IsVulnerable for one ``affected`` entry whose package matched: versions, then ranges."""
    if probe.version in affected.version_strings:
        return True
    if affected.version_keys:
        own = probe.key(affected.order)  # type: ignore[arg-type]  # keys exist only with an order
        if own is not None and own in affected.version_keys:
            return True
    return any(_in_range(compiled, probe.key(compiled.order)) for compiled in affected.ranges)


def _in_range(compiled: Range, version: Any) -> bool:
    # The loop of the specification's IncludedInRanges, for one range whose events are sorted.
    if version is None:
        return False
    if not compiled.unlimited:
        for limit in compiled.limits:
            if version < limit:
                break
        else:
            return False
    vulnerable = False
    for kind, bound in compiled.events:
        if kind == "introduced":
            if bound is None or version >= bound:
                vulnerable = True
        elif kind == "fixed":
            if version >= bound:
                vulnerable = False
        elif version > bound:  # last_affected
            vulnerable = False
    return vulnerable


def commit_affected(affected: CompiledAffected, commit: str) -> bool:
    """Whether a commit is one the entry names as vulnerable (see the module docstring)."""
    return commit.lower() in affected.commits
