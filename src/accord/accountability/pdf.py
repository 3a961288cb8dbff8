"""Published reports as PDF, drawn with fpdf2 from the document as signed.

The PDF is a rendering, not the record: the JSON document is what is signed and logged, and
the PDF prints its digest, log index and signed note so a reader can check it against them.
The narrative and commitments are written as plain text paragraphs (fpdf2's markdown is off),
so nothing a signatory writes becomes markup, a link or an action in the PDF. The PDF core
fonts cover Latin-1 only; other characters print as "?" (the JSON keeps them).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fpdf import FPDF

from accord.accountability import figures, hub, views
from accord.accountability.models import PublishedDocument

FONT = "Helvetica"
LINE = 5.5


def _text(value: object) -> str:
    # The core fonts encode Latin-1; anything else would stop fpdf2 with an error.
    return str(value).encode("latin-1", "replace").decode("latin-1")


class _Writer:
    """The few kinds of block a report prints."""

    def __init__(self, title: str) -> None:
        self.pdf = FPDF(format="A4")
        self.pdf.set_title(_text(title))
        self.pdf.set_creator("Accord")
        self.pdf.set_auto_page_break(auto=True, margin=15)
        self.pdf.add_page()

    def heading(self, text: str, size: int = 13) -> None:
        self.pdf.set_font(FONT, "B", size)
        self.pdf.ln(2)
        self.pdf.multi_cell(0, LINE + 1, _text(text), new_x="LMARGIN", new_y="NEXT")

    def line(self, text: str, size: int = 10) -> None:
        self.pdf.set_font(FONT, "", size)
        self.pdf.multi_cell(0, LINE, _text(text), new_x="LMARGIN", new_y="NEXT")

    def paragraphs(self, text: str) -> None:
        """Plain text, a paragraph per blank-line-separated block: never markup."""
        blocks = [b.strip() for b in text.replace("\r\n", "\n").split("\n\n")]
        for block in (b for b in blocks if b):
            self.line(block)
            self.pdf.ln(1)

    def rows(self, rows: Iterable[tuple[str, ...]], widths: tuple[int, ...]) -> None:
        """A table without borders: each row's cells side by side, wrapped in their width."""
        self.pdf.set_font(FONT, "", 9)
        for row in rows:
            top = self.pdf.get_y()
            if top > self.pdf.h - 30:
                self.pdf.add_page()
                top = self.pdf.get_y()
            left, bottom = self.pdf.l_margin, top
            for width, cell in zip(widths, row, strict=True):
                self.pdf.set_xy(left, top)
                self.pdf.multi_cell(width, LINE - 1, _text(cell), new_x="RIGHT", new_y="TOP")
                bottom = max(bottom, self.pdf.get_y() + self._height(width, cell))
                left += width
            self.pdf.set_xy(self.pdf.l_margin, bottom)

    def _height(self, width: int, cell: str) -> float:
        lines: Any = self.pdf.multi_cell(width, LINE - 1, _text(cell), dry_run=True, output="LINES")
        return float(len(lines) * (LINE - 1))

    def seal(self, row: PublishedDocument) -> None:
        self.heading("Signature", 11)
        self.line(f"SHA-256 of the signed JSON document: {row.document_sha256}", 8)
        self.line(f"Transparency log index: {row.log_index}", 8)
        self.pdf.set_font("Courier", "", 7)
        self.pdf.multi_cell(0, 3.5, _text(row.signature), new_x="LMARGIN", new_y="NEXT")

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def _header(out: _Writer, document: dict[str, Any], row: PublishedDocument) -> None:
    period = document["period"]
    out.line(f"Period {period['key']}: {period['start']} to {period['end']} (end excluded)")
    out.line(f"Version {row.version}, published {document['published_at']}")
    if document["supersedes"]:
        out.line(f"Supersedes the version whose SHA-256 is {document['supersedes']}", 8)
    out.line(f"How each figure is computed: {document['methods']}", 8)


def signatory_pdf(document: dict[str, Any], row: PublishedDocument) -> bytes:
    """A signatory's published report as PDF."""
    name = document["signatory"]["name"]
    title = f"Progress report: {name}, {document['period']['key']}"
    out = _Writer(title)
    out.heading(title, 16)
    _header(out, document, row)
    out.heading("Figures")
    table = [("Figure", "Value", "Records")]
    for definition in figures.DEFINITIONS:
        item = document["figures"].get(definition.id)
        if item is None:
            continue
        records = ", ".join(item["records"][:20])
        if item["private_records"]:
            records = f"{records} ({item['private_records']} not public)".strip()
        table.append((definition.title, views.show(definition, item["value"]), records))
    out.rows(table, (70, 40, 80))
    out.heading("Narrative")
    out.paragraphs(document["narrative"] or "None written.")
    out.heading("Commitments")
    out.paragraphs(document["commitments"] or "None stated.")
    out.seal(row)
    return out.output()


def hub_pdf(document: dict[str, Any], row: PublishedDocument) -> bytes:
    """The hub-wide published report as PDF."""
    title = f"Hub report: {document['hub']['name']}, {document['period']['key']}"
    out = _Writer(title)
    out.heading(title, 16)
    _header(out, document, row)
    members = document["signatories"]
    out.heading("Signatories")
    left = "not recorded" if members["left"] is None else members["left"]
    out.line(
        f"At the period's end: {members['at_end']}; joined in the period: {members['joined']}; "
        f"left: {left}; counted in the figures: {members['reported']}"
    )
    for item in members["excluded"]:
        out.line(f"Excluded: {item['name']} ({item['reason']})", 9)
    for principle in document["principles"]:
        out.heading(principle["title"])
        out.line(hub.PRINCIPLES_BY_ID[principle["id"]].summary, 9)
        table = [("Figure", "Median", "Total", "Signatories with data")]
        for key, item in principle["figures"].items():
            definition = figures.BY_ID[key]
            median = item["median"]
            total = item["total"]
            table.append(
                (
                    definition.title,
                    "-" if median is None else views.show(definition, median),
                    "-" if total is None else views.show(definition, total),
                    str(item["reporting"]),
                )
            )
        out.rows(table, (80, 35, 40, 35))
    out.heading("Trends by quarter")
    for key, points in document["trends"].items():
        definition = figures.BY_ID[key]
        shown = "; ".join(f"{p['period']}: {views.show(definition, p['value'])}" for p in points)
        out.line(f"{definition.title}: {shown}", 9)
    out.heading("Narrative")
    out.paragraphs(document["narrative"] or "None written.")
    out.seal(row)
    return out.output()
