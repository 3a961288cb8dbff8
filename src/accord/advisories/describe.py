"""Plain-language reading of an OSV record, for the advisory page's first part."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class Span:
    """One stretch of affected versions; the page puts it in words in the viewer's language.

    ``before``: from ``start`` (every version when None) up to ``end``, excluded;
    ``through``: the same with ``end`` included; ``onwards``: ``start`` and every later one.
    """

    start: str | None
    relation: Literal["before", "through", "onwards"]
    end: str | None = None

    @property
    def from_first(self) -> bool:
        """Whether the stretch starts at the first version ever released."""
        return self.start in (None, "0")


@dataclass
class PackageStory:
    """What one affected package's ranges say, in words."""

    ecosystem: str
    name: str
    spans: list[Span] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)
    listed: int = 0
    commits_only: bool = False


def affected(record: dict[str, Any]) -> list[PackageStory]:
    """One story per affected package, in the record's order."""
    stories = []
    for entry in record.get("affected") or []:
        package = entry.get("package") or {}
        story = PackageStory(
            ecosystem=package.get("ecosystem", "?"),
            name=package.get("name", "?"),
            listed=len(entry.get("versions") or []),
        )
        version_ranges = [r for r in entry.get("ranges") or [] if r.get("type") != "GIT"]
        story.commits_only = bool(entry.get("ranges")) and not version_ranges
        for raw in version_ranges:
            spans, fixed = _spans(raw.get("events") or [])
            story.spans += spans
            story.fixed += [f for f in fixed if f not in story.fixed]
        stories.append(story)
    return stories


def _spans(events: list[dict[str, str]]) -> tuple[list[Span], list[str]]:
    # Events are read in the order given, which is how publishers write them in practice;
    # the matcher itself sorts them, so this text never decides what matches.
    spans: list[Span] = []
    fixed: list[str] = []
    start: str | None = None
    for event in events:
        if "introduced" in event:
            start = event["introduced"]
        elif "fixed" in event:
            fixed.append(event["fixed"])
            spans.append(Span(start, "before", event["fixed"]))
            start = None
        elif "last_affected" in event:
            spans.append(Span(start, "through", event["last_affected"]))
            start = None
        elif "limit" in event and start is not None and event["limit"] != "*":
            spans.append(Span(start, "before", event["limit"]))
            start = None
    if start is not None:
        spans.append(Span(start, "onwards"))
    return spans, fixed
