"""Plain-language reading of an OSV record, for the advisory page's first part."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class PackageStory:
    """What one affected package's ranges say, in words."""

    ecosystem: str
    name: str
    spans: list[str] = field(default_factory=list)
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


def _spans(events: list[dict[str, str]]) -> tuple[list[str], list[str]]:
    # Events are read in the order given, which is how publishers write them in practice;
    # the matcher itself sorts them, so this text never decides what matches.
    spans: list[str] = []
    fixed: list[str] = []
    start: str | None = None
    for event in events:
        if "introduced" in event:
            start = event["introduced"]
        elif "fixed" in event:
            fixed.append(event["fixed"])
            spans.append(_words(start, f"before {event['fixed']}"))
            start = None
        elif "last_affected" in event:
            spans.append(_words(start, f"up to and including {event['last_affected']}"))
            start = None
        elif "limit" in event and start is not None and event["limit"] != "*":
            spans.append(_words(start, f"before {event['limit']}"))
            start = None
    if start is not None:
        spans.append("every version" if start == "0" else f"version {start} and every later one")
    return spans, fixed


def _words(start: str | None, end: str) -> str:
    if start in (None, "0"):
        return f"every version {end}"
    return f"from {start}, {end}"
