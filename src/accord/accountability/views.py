"""How pages show figures: values as text, trends, links to the records behind them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy.orm import Session

from accord.accountability import charts, figures, periods, reports, services
from accord.accountability.figures import Definition, Figure, Value
from accord.accountability.periods import Period, PeriodKind
from accord.identity.models import Organization

TREND_FIGURES = ("reports_received", "ack_median_hours", "no_reply_share", "advisories_published")
TREND_LENGTH = 8  # handlers.TREND_LENGTH keeps as many quarters stored


def show(definition: Definition, value: Value) -> str:
    """A value as the page prints it."""
    if value is None:
        return "no data"
    if isinstance(value, dict):
        return ", ".join(f"{level} {n}" for level, n in value.items()) or "none"
    if definition.unit == "share":
        return f"{value * 100:.1f} %"
    if definition.unit == "hours":
        return f"{value:g} h"
    if definition.unit == "yes/no":
        return "yes" if value else "no"
    return f"{value:g}"


def record_link(ref: str) -> tuple[str, str | None]:
    """A public record's label and page (None when it has none)."""
    kind, _, name = ref.partition(":")
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


def figure_views(found: dict[str, Figure]) -> list[FigureView]:
    """Every figure, in the order of the definitions."""
    out: list[FigureView] = []
    for definition in figures.DEFINITIONS:
        figure = found.get(definition.id, Figure(None))
        shown, hidden = reports.public_records(figure.records)
        out.append(
            FigureView(
                definition, show(definition, figure.value), [record_link(r) for r in shown], hidden
            )
        )
    return out


@dataclass(frozen=True)
class Trend:
    """One figure over recent periods: the chart and the same numbers as text."""

    definition: Definition
    chart: Markup
    points: list[tuple[str, str]]


def trend_series(end: Period) -> list[Period]:
    """The quarters a signatory's trends show: ``TREND_LENGTH`` up to ``end``'s quarter."""
    series: list[Period] = []
    current = periods.of(PeriodKind.QUARTER, end.start)
    for _ in range(TREND_LENGTH):
        series.append(current)
        current = periods.previous(current)
    return list(reversed(series))


def trends(db: Session, *, org: Organization, end: Period) -> list[Trend]:
    """The trend charts of a signatory's page: quarters up to ``end``'s quarter."""
    found = services.trends(db, org=org, figure_ids=TREND_FIGURES, series=trend_series(end))
    out: list[Trend] = []
    for figure_id in TREND_FIGURES:
        definition = figures.BY_ID[figure_id]
        points = [(p.key, v) for p, v in found[figure_id]]
        chart = charts.line_chart(
            points, title=f"{definition.title}, by quarter", unit=definition.unit
        )
        out.append(Trend(definition, chart, [(k, show(definition, v)) for k, v in points]))
    return out


def period_choices(now_period: Period) -> Sequence[str]:
    """Recent period keys to offer in the period picker."""
    keys: list[str] = []
    for kind in PeriodKind:
        current = periods.of(kind, now_period.start)
        for _ in range(4 if kind is not PeriodKind.MONTH else 6):
            keys.append(current.key)
            current = periods.previous(current)
    return keys
