"""Trend charts as server-rendered SVG: no script, presentation attributes only (the page's
CSP forbids inline styles), a title and a description for screen readers, and the same
numbers as a table next to each chart."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup

WIDTH = 320
HEIGHT = 120
PAD = 24


def _fmt(value: float) -> str:
    return f"{value:g}"


Show = Callable[[float | None], str]


def plain(unit: str) -> Show:
    """Values as English writes them, with ``unit``; "no data" for None."""
    return lambda v: "no data" if v is None else f"{_fmt(v)} {unit}".strip()


def describe(points: Sequence[tuple[str, float | None]], show: Show) -> str:
    """The chart as one sentence: each period's value as ``show`` writes it."""
    return "; ".join(f"{label}: {show(v)}" for label, v in points) + "."


def line_chart(
    points: Sequence[tuple[str, float | None]], *, title: str, show: Show, desc: str | None = None
) -> Markup:
    """A small line chart of ``points`` (period label, value); gaps where there is no data.
    ``show`` writes a value (the top label and the description); ``desc`` replaces the
    description."""
    known = [v for _, v in points if v is not None]
    top = max(known) if known else 0.0
    top = top if top > 0 else 1.0
    step = (WIDTH - 2 * PAD) / max(len(points) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return PAD + i * step, HEIGHT - PAD - (HEIGHT - 2 * PAD) * v / top

    segments: list[list[tuple[float, float]]] = [[]]
    for i, (_, v) in enumerate(points):
        if v is None:
            segments.append([])
        else:
            segments[-1].append(xy(i, v))
    lines = Markup("").join(
        _safe(_POLYLINE).format(" ".join(f"{x:.1f},{y:.1f}" for x, y in seg))
        for seg in segments
        if len(seg) > 1
    )
    dots = Markup("").join(
        _safe(_DOT).format(f"{x:.1f}", f"{y:.1f}") for seg in segments for x, y in seg
    )
    labels = Markup("")
    if points:
        labels = _safe(_LABELS).format(first=points[0][0], last=points[-1][0], top=show(top))
    return _safe(_SVG).format(
        title=title,
        desc=desc if desc is not None else describe(points, show),
        lines=lines,
        dots=dots,
        labels=labels,
    )


def _safe(template: str) -> Markup:
    # Only this module's constant templates come here; ``format`` escapes every argument.
    return Markup(template)  # noqa: S704


_POLYLINE = '<polyline fill="none" stroke="currentColor" stroke-width="2" points="{}"/>'
_DOT = '<circle cx="{}" cy="{}" r="3" fill="currentColor"/>'
_LABELS = (
    f'<text x="{PAD}" y="{HEIGHT - 6}" font-size="10" fill="currentColor">{{first}}</text>'
    f'<text x="{WIDTH - PAD}" y="{HEIGHT - 6}" font-size="10" text-anchor="end" '
    f'fill="currentColor">{{last}}</text>'
    f'<text x="{PAD}" y="{PAD - 8}" font-size="10" fill="currentColor">{{top}}</text>'
)
_SVG = (
    f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" height="{HEIGHT}" '
    f'viewBox="0 0 {WIDTH} {HEIGHT}" class="trend"><title>{{title}}</title><desc>{{desc}}</desc>'
    f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
    f'stroke="currentColor" stroke-width="1"/>{{lines}}{{dots}}{{labels}}</svg>'
)
