"""How pages show figures: values as text, trends, links to the records behind them."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from babel.dates import format_timedelta
from babel.numbers import format_decimal
from markupsafe import Markup
from sqlalchemy.orm import Session

from accord.accountability import charts, figures, hub, periods, reports, rows, services
from accord.accountability.figures import Definition, Figure, Value
from accord.accountability.periods import Period, PeriodKind
from accord.identity.models import Organization
from accord.web.i18n import N_, Viewer

# The few figures the scorecard shows at first (every other one is a click away).
SCORECARD_FIGURES = (
    "reports_received",
    "ack_median_hours",
    "no_reply_share",
    "advisories_published",
)
TREND_FIGURES = ("reports_received", "ack_median_hours", "no_reply_share", "advisories_published")
TREND_LENGTH = 8  # handlers.TREND_LENGTH keeps as many quarters stored


NO_DATA = N_("no data")
NONE = N_("none")
YES = N_("yes")
NO = N_("no")
ENGLISH = Viewer()
# Groups and units as the methods page names them (marked here to be translated there).
WORDS = (
    N_("disclosure"),
    N_("advisories"),
    N_("sharing"),
    N_("registry"),
    N_("count"),
    N_("hours"),
    N_("share"),
    N_("yes/no"),
    N_("counts by TLP"),
)


@functools.cache
def _separators(language: str) -> tuple[str, str, bool]:
    """The group and decimal signs of ``language``, and whether it groups four digits."""
    locale = Viewer(language=language).locale
    probe = format_decimal(1234567.5, locale=locale)  # "1,234,567.5" or "1.234.567,5"
    return probe[1], probe[-2], format_decimal(1234, locale=locale) != "1234"


def number(value: float, viewer: Viewer, *, places: int | None = None) -> str:
    """``value`` as Babel's ``format_decimal`` writes it in the viewer's locale (up to three
    places, or exactly ``places``), without its cost: the scorecard writes 8,500 numbers per
    page, which through Babel took most of a 200 ms budget."""
    group, decimal, four = _separators(viewer.language)
    exact = Decimal(str(value))  # as Babel: the shortest repr, rounded half to even
    if places is not None:
        text = f"{exact:,.{places}f}"
    elif exact == exact.to_integral_value():
        text = f"{int(exact):,}"
    else:
        text = f"{exact:,.3f}".rstrip("0").rstrip(".")
    if not four and abs(value) < 10_000:
        text = text.replace(",", "")
    signs: dict[str, str | int | None] = {",": group, ".": decimal}
    return text.translate(str.maketrans(signs))


@functools.lru_cache(maxsize=4096)
def duration(hours: float, language: str) -> str:
    """A time in hours in natural units, as Babel's ``format_timedelta`` says it in the
    viewer's language: "36 seconds", "90 minutes", "30 hours", "51 days". A unit is used
    from two of it on (``threshold=2``), so a figure keeps its precision: 1.5 hours is
    "90 minutes", not "2 hours". Cached: a scorecard page says a few hundred of them."""
    if hours < 0:
        return "-" + duration(-hours, language)
    if hours == 0:
        return format_timedelta(timedelta(0), locale=Viewer(language=language).locale)
    return format_timedelta(
        timedelta(hours=hours), threshold=2, locale=Viewer(language=language).locale
    )


def show(definition: Definition, value: Value, viewer: Viewer = ENGLISH) -> str:
    """A value as the page prints it, in the viewer's language and number format."""
    gettext = viewer.translations.gettext
    if value is None:
        return gettext(NO_DATA)
    if isinstance(value, dict):
        counts = (f"{level} {number(n, viewer)}" for level, n in value.items())
        return ", ".join(counts) or gettext(NONE)
    if definition.unit == "share":
        return f"{number(value * 100, viewer, places=1)} %"
    if definition.unit == "hours":
        return duration(float(value), viewer.language)
    if definition.unit == "yes/no":
        return gettext(YES) if value else gettext(NO)
    return number(value, viewer)


def shower(definition: Definition, viewer: Viewer) -> charts.Show:
    """:func:`show` for a chart's values."""
    return lambda value: show(definition, value, viewer)


def record_link(ref: str, viewer: Viewer = ENGLISH) -> tuple[str, str | None]:
    """A public record's label and page (None when it has none)."""
    kind, _, name = ref.partition(":")
    if kind == "objects":  # a group: objects:CLEAR*1250
        tlp, _, _ = name.rpartition(rows.TIMES)
        count = rows.weight(ref)
        label = viewer.translations.ngettext(
            "%(shown)s object marked TLP:%(tlp)s", "%(shown)s objects marked TLP:%(tlp)s", count
        )
        return label % {"shown": number(count, viewer), "tlp": tlp}, None
    if kind == "advisory":
        return name, f"/advisories/{name}"
    if kind == "case":
        return name, None
    if kind == "object":
        return name, None
    if kind == "securitytxt":
        return f"security.txt check {name}", None
    return ref, None


@dataclass(frozen=True)
class FigureView:
    """One figure on a page."""

    definition: Definition
    text: str
    records: list[tuple[str, str | None]]
    private_records: int


def figure_views(found: dict[str, Figure], viewer: Viewer = ENGLISH) -> list[FigureView]:
    """Every figure, in the order of the definitions."""
    out: list[FigureView] = []
    for definition in figures.DEFINITIONS:
        figure = found.get(definition.id, Figure(None))
        shown, hidden = reports.public_records(figure.records)
        text = show(definition, figure.value, viewer)
        links = [record_link(r, viewer) for r in shown]
        out.append(FigureView(definition, text, links, hidden))
    return out


@dataclass(frozen=True)
class Trend:
    """One figure over recent periods: the chart and the same numbers as text."""

    definition: Definition
    title: str
    chart: Markup
    points: list[tuple[str, str]]


def trend_series(end: Period) -> list[Period]:
    """The quarters a signatory's trends show: ``TREND_LENGTH`` up to ``end``'s quarter."""
    return periods.quarters_up_to(end, TREND_LENGTH)


def trends(db: Session, *, org: Organization, end: Period, viewer: Viewer = ENGLISH) -> list[Trend]:
    """The trend charts of a signatory's page: quarters up to ``end``'s quarter."""
    found = services.trends(db, org=org, figure_ids=TREND_FIGURES, series=trend_series(end))
    return [chart(key, found[key], viewer, N_("%(figure)s, by quarter")) for key in TREND_FIGURES]


def hub_trends(db: Session, *, end: Period, viewer: Viewer = ENGLISH) -> list[Trend]:
    """The scorecard's charts: the hub's totals and medians over the quarters up to ``end``."""
    found = hub.trends(db, end=end)
    return [chart(key, points, viewer, HUB_TITLES[key]) for key, points in found.items()]


HUB_TITLES = {
    key: N_("%(figure)s, all signatories, by quarter (total)")
    if figures.BY_ID[key].unit in hub.TOTALLED_UNITS
    else N_("%(figure)s, all signatories, by quarter (median)")
    for key in hub.TREND_FIGURES
}


def chart(
    figure_id: str, found: Sequence[tuple[Period, float | None]], viewer: Viewer, title: str
) -> Trend:
    """One figure's trend: the SVG chart, and the numbers as text for its caption."""
    definition = figures.BY_ID[figure_id]
    gettext = viewer.translations.gettext
    named = gettext(title) % {"figure": gettext(definition.title)}
    points = [(p.key, v) for p, v in found]
    svg = charts.line_chart(points, title=named, show=shower(definition, viewer))
    return Trend(definition, named, svg, [(k, show(definition, v, viewer)) for k, v in points])


def summary_trends(found: hub.Summary, viewer: Viewer = ENGLISH) -> list[Trend]:
    """The hub page's charts, from a summary's trends."""
    return [chart(key, points, viewer, HUB_TITLES[key]) for key, points in found.trends.items()]


@dataclass(frozen=True)
class AggregateView:
    """One figure across signatories, as the hub page prints it."""

    definition: Definition
    median: str
    total: str
    reporting: int


def principle_views(
    found: hub.Summary, viewer: Viewer = ENGLISH
) -> list[tuple[hub.Principle, list[AggregateView]]]:
    """Each principle with its figures across signatories ("-" where a median or a total
    says nothing for the figure's unit)."""
    out: list[tuple[hub.Principle, list[AggregateView]]] = []
    for principle in hub.PRINCIPLES:
        rows: list[AggregateView] = []
        for key in principle.figure_ids:
            definition, item = figures.BY_ID[key], found.aggregates[key]
            median = "-" if definition.unit in ("yes/no", "counts by TLP") else None
            total = "-" if definition.unit not in hub.TOTALLED_UNITS else None
            rows.append(
                AggregateView(
                    definition,
                    median or show(definition, item.median, viewer),
                    total or show(definition, item.total, viewer),
                    item.reporting,
                )
            )
        out.append((principle, rows))
    return out


def ended_period_choices(now: datetime) -> list[str]:
    """The keys of the periods ended by ``now`` that a form offers, newest first by kind: the
    last eight quarters, twelve months and three years (a report covers an ended period)."""
    keys: list[str] = []
    for kind, count in ((PeriodKind.QUARTER, 8), (PeriodKind.MONTH, 12), (PeriodKind.YEAR, 3)):
        keys.extend(p.key for p in reversed(periods.recent(kind, now, count)))
    return keys


def period_choices(now_period: Period) -> Sequence[str]:
    """Recent period keys to offer in the period picker."""
    keys: list[str] = []
    for kind in PeriodKind:
        current = periods.of(kind, now_period.start)
        for _ in range(4 if kind is not PeriodKind.MONTH else 6):
            keys.append(current.key)
            current = periods.previous(current)
    return keys
