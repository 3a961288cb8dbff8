"""Published reports as PDF, drawn with fpdf2 from the document as signed.

The PDF is a rendering, not the record: the JSON document is what is signed and logged, and
the PDF prints its digest, log index and signed note so a reader can check it against them.

Every character prints as written: the fonts are embedded Unicode fonts (``fonts.py``;
emphasized Arabic and Hebrew print upright, the oblique faces having none of them), text
is split into directional runs by the bidi algorithm (UAX #9, fpdf2's own, in cells and in
the narrative's HTML alike), then shaped by HarfBuzz (Arabic joins); the signed note is
printed line by line, never wrapped, so the note copied from the PDF verifies. The narrative
and commitments are CommonMark rendered without raw HTML, images or links, so nothing a
signatory writes becomes a link or an action in the PDF. Moments are written by
``web.i18n.format_when`` in the reader's language and zone; the words in the reader's
language, which is the document's language (``/Lang``); headings are outline entries.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from fpdf import FPDF
from fpdf.bidi import auto_detect_base_direction
from fpdf.fonts import TextStyle
from fpdf.line_break import Fragment
from markdown_it import MarkdownIt

from accord.accountability import figures, fonts, hub, views
from accord.accountability.models import PublishedDocument
from accord.web.i18n import N_, Viewer, format_when

FONT = "sans"
MONO = "mono"
UPRIGHT = "upright"  # the upright faces again, as the fallback of emphasis
LINE = 5.5
ENGLISH = Viewer()
# CommonMark as the pages render it, less links and images: a PDF holds no actions.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable(
    ["image", "link", "autolink"]
)
_HEADING_TAG = re.compile(r"<(/?)h[1-6]>")
# A run of Hebrew or Arabic letters (with the spaces and marks between them): printed in the
# upright faces, one fragment, so that bidi reorders it whole (a glyph-by-glyph fallback
# split it into words that copied out in reverse order).
_RTL = "\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc"
_RIGHT_TO_LEFT = re.compile(f"[{_RTL}](?:[^<>&\\w]*[{_RTL}]|[{_RTL}])*")


def _upright(found: re.Match[str]) -> str:
    return f'<font face="{UPRIGHT}">{found[0]}</font>'


BAR = (46, 102, 168)  # the bars' colour: the pages' link blue
WORDS = (
    N_("Progress report: %(name)s, %(period)s"),
    N_("Hub report: %(name)s, %(period)s"),
)


def _moment(text: str, viewer: Viewer) -> str:
    """A stored ISO 8601 moment as the reader's locale writes it, in the reader's zone."""
    return format_when(datetime.fromisoformat(text.replace("Z", "+00:00")), viewer)


class _Document(FPDF):
    """fpdf2's document, its HTML paragraphs put through the Unicode bidi algorithm (UAX #9).

    ``multi_cell`` and ``cell`` split their text into directional runs (fpdf2's
    ``BidiParagraph``) before shaping; ``write_html``'s paragraphs do not, so a sentence that
    mixes Arabic and Latin was shaped as one run in one direction: the Arabic words drawn in
    logical order left to right, mirrored on the page and reversed when copied. While
    ``bidi_html`` is set, each piece of text an HTML paragraph writes is split the same way;
    the paragraph's base direction is the one of its whole block (``text_shaping["direction"]``,
    set per block by ``_Writer.markdown``).
    """

    bidi_html = False
    _splitting = False

    def _preload_font_styles(
        self,
        text: str | None,
        markdown: bool,
        _initial_emphasis: tuple[bool, bool, bool, bool] | None = None,
    ) -> Sequence[Fragment]:
        if not self.bidi_html or self._splitting or not text or not self.text_shaping:
            return super()._preload_font_styles(text, markdown, _initial_emphasis)
        self._splitting = True  # the split calls this method again, once per run
        try:
            return self._preload_bidirectional_text(text, markdown)
        finally:
            self._splitting = False


class _Writer:
    """The few kinds of block a report prints."""

    def __init__(self, title: str, viewer: Viewer, text: str = "") -> None:
        self.viewer = viewer
        self.gettext: Callable[[str], str] = viewer.translations.gettext
        self.pdf = _Document(format="A4")
        found = fonts.find()
        self.pdf.add_font(FONT, "", str(found.sans))
        self.pdf.add_font(FONT, "B", str(found.sans_bold))
        # Emphasis in DejaVu Sans Oblique; without it, upright (fonts.italics logs why).
        slanted = fonts.italics()
        self.pdf.add_font(FONT, "I", str(slanted.italic or found.sans))
        self.pdf.add_font(FONT, "BI", str(slanted.bold_italic or found.sans_bold))
        self.pdf.add_font(MONO, "", str(found.mono))
        # DejaVu Sans Oblique has no Arabic or Hebrew glyphs: emphasis in those scripts
        # prints upright (``_upright``), in a family whose every style is an upright face.
        self.upright = _RIGHT_TO_LEFT.search(text) is not None
        if self.upright:
            for style, face in (("", found.sans), ("B", found.sans_bold)):
                self.pdf.add_font(UPRIGHT, style, str(face))
                self.pdf.add_font(UPRIGHT, f"{style}I", str(face))
        # The fallback is a 4 MB font that takes a second to read: only for a document
        # holding a character DejaVu lacks (Chinese, Japanese, Korean...).
        plain = fonts.covered(found.sans)
        if any(ord(c) not in plain for c in set(text + title) if c.isprintable()):
            self.pdf.add_font("cjk", "", str(found.cjk))
            self.pdf.set_fallback_fonts(["cjk"], exact_match=False)
        self.pdf.set_text_shaping(True)
        self.pdf.set_lang(viewer.language)
        self.pdf.set_title(title)
        self.pdf.set_creator("Accord")
        self.pdf.set_auto_page_break(auto=True, margin=15)
        self.pdf.set_section_title_styles(
            TextStyle(font_family=FONT, font_style="B", font_size_pt=16, b_margin=2),
            TextStyle(font_family=FONT, font_style="B", font_size_pt=13, t_margin=3, b_margin=1),
            TextStyle(font_family=FONT, font_style="B", font_size_pt=11, t_margin=2, b_margin=1),
        )
        self.pdf.add_page()
        self.pdf.set_font(FONT, "", 10)

    def _(self, message: str, **values: object) -> str:
        text = self.gettext(message)
        return text % values if values else text

    def heading(self, text: str, level: int = 1) -> None:
        """A heading, as an outline entry and a tagged structure element."""
        self.pdf.start_section(text, level=level)
        self.pdf.set_x(self.pdf.l_margin)

    def line(self, text: str, size: int = 10) -> None:
        self.pdf.set_font(FONT, "", size)
        self.pdf.multi_cell(0, LINE, text, new_x="LMARGIN", new_y="NEXT", align="L")

    def markdown(self, text: str) -> None:
        """CommonMark, as the pages show it: emphasis, headings, lists, code; no links."""
        # A narrative's own headings print as bold lines: the document's outline is the
        # report's sections (and fpdf2 cannot mix its section styles with HTML headings).
        self.pdf.set_font(FONT, "", 10)
        # One HTML rendering per top-level block (paragraph, list, quote), each in the base
        # direction of its first strong character (UAX #9, rules P2 and P3): an Arabic
        # paragraph reads right to left with its Latin words embedded, and the reverse.
        lines = text.splitlines(keepends=True)
        for token in _MARKDOWN.parse(text):
            if token.level != 0 or token.map is None or token.nesting == -1:
                continue
            block = "".join(lines[token.map[0] : token.map[1]])
            self._html_block(block)
        self.pdf.ln(1)

    def _html_block(self, block: str) -> None:
        html = _HEADING_TAG.sub(lambda m: "</b></p>" if m[1] else "<p><b>", _MARKDOWN.render(block))
        if self.upright:
            html = _RIGHT_TO_LEFT.sub(_upright, html)
        shaping = self.pdf.text_shaping
        if shaping is not None:
            # fpdf2 keeps the direction of the last run a cell wrote (its text_shaping
            # "fragment_direction"); the block's own runs set theirs.
            shaping["fragment_direction"] = None
            shaping["direction"] = auto_detect_base_direction(block)
        self.pdf.bidi_html = True
        try:
            self.pdf.write_html(
                html,
                font_family=FONT,
                tag_styles={
                    "code": TextStyle(font_family=MONO),
                    "pre": TextStyle(font_family=MONO),
                },
            )
        finally:
            self.pdf.bidi_html = False
            if shaping is not None:
                shaping["direction"] = shaping["paragraph_direction"] = None

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
                self.pdf.multi_cell(width, LINE - 1, cell, new_x="RIGHT", new_y="TOP")
                bottom = max(bottom, self.pdf.get_y() + self._height(width, cell))
                left += width
            self.pdf.set_xy(self.pdf.l_margin, bottom)

    def _height(self, width: int, cell: str) -> float:
        lines: Any = self.pdf.multi_cell(width, LINE - 1, cell, dry_run=True, output="LINES")
        return float(len(lines) * (LINE - 1))

    def bars(self, title: str, points: Sequence[tuple[str, float | None]], show: Shower) -> None:
        """A horizontal bar chart: one labelled bar per point, its value written beside it,
        so the numbers read without the picture (and are extracted with the text)."""
        known = [v for _, v in points if v is not None]
        if not any(known):  # nothing, or only zeros: the table says it
            return
        height = 5.0
        needed = 8 + height * len(points)
        if self.pdf.get_y() + needed > self.pdf.h - 15:
            self.pdf.add_page()
        self.pdf.set_font(FONT, "B", 9)
        self.pdf.multi_cell(0, LINE, title, new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_font(FONT, "", 8)
        label_width, value_width = 45.0, 35.0
        room = self.pdf.epw - label_width - value_width
        top = max(known) or 1.0
        self.pdf.set_fill_color(*BAR)
        for label, value in points:
            y = self.pdf.get_y()
            self.pdf.set_x(self.pdf.l_margin)
            self.pdf.cell(label_width, height, label)
            width = 0.0 if not value else max(room * max(value, 0.0) / top, 0.3)
            if width:
                self.pdf.rect(self.pdf.l_margin + label_width, y + 0.8, width, height - 1.6, "F")
            self.pdf.set_xy(self.pdf.l_margin + label_width + width + 1.5, y)
            self.pdf.cell(value_width, height, show(value))
            self.pdf.set_xy(self.pdf.l_margin, y + height)
        self.pdf.ln(2)

    def seal(self, row: PublishedDocument) -> None:
        """The digest, the log index and the signed note, each note line on one line."""
        if self.pdf.get_y() > self.pdf.h - 60:  # the heading, digest and note on one page
            self.pdf.add_page()
        self.heading(self._("Signature"), 2)
        self.line(
            self._("SHA-256 of the signed JSON document: %(digest)s", digest=row.document_sha256), 8
        )
        self.line(self._("Transparency log index: %(index)s", index=row.log_index), 8)
        self.line(self._("Signed note (copy it whole to verify it):"), 8)
        lines = row.signature.rstrip("\n").split("\n")
        size = 7.0
        self.pdf.set_font(MONO, "", size)
        widest = max(self.pdf.get_string_width(line) for line in lines)
        if widest > self.pdf.epw:  # a long log name: smaller type, never a wrapped line
            size = size * self.pdf.epw / widest * 0.98
            self.pdf.set_font(MONO, "", size)
        for line in lines:
            self.pdf.cell(0, size * 0.5, line, new_x="LMARGIN", new_y="NEXT")

    def output(self) -> bytes:
        return bytes(self.pdf.output())


Shower = Callable[[float | None], str]


def _header(out: _Writer, document: dict[str, Any], row: PublishedDocument) -> None:
    period, viewer = document["period"], out.viewer
    out.line(
        out._(
            "Period %(key)s: %(start)s to %(end)s (end excluded)",
            key=period["key"],
            start=_moment(period["start"], viewer),
            end=_moment(period["end"], viewer),
        )
    )
    out.line(
        out._(
            "Version %(version)s, published %(when)s",
            version=row.version,
            when=_moment(document["published_at"], viewer),
        )
    )
    if document["supersedes"]:
        out.line(
            out._(
                "Supersedes the version whose SHA-256 is %(digest)s",
                digest=document["supersedes"],
            ),
            8,
        )
    out.line(out._("How each figure is computed: %(url)s", url=document["methods"]), 8)


def signatory_pdf(
    document: dict[str, Any], row: PublishedDocument, viewer: Viewer = ENGLISH
) -> bytes:
    """A signatory's published report as PDF, in the reader's language and zone."""
    translated = viewer.translations.gettext
    name = document["signatory"]["name"]
    period = document["period"]["key"]
    title = translated(WORDS[0]) % {"name": name, "period": period}
    out = _Writer(title, viewer, json.dumps(document, ensure_ascii=False))
    out.heading(title, 0)
    _header(out, document, row)
    out.heading(out._("Figures"))
    table = [(out._("Figure"), out._("Value"), out._("Records"))]
    counts: list[tuple[str, float | None]] = []
    for definition in figures.DEFINITIONS:
        item = document["figures"].get(definition.id)
        if item is None:
            continue
        records = ", ".join(item["records"][:20])
        if item["private_records"]:
            hidden = out._("%(count)s not public", count=item["private_records"])
            records = f"{records} ({hidden})".strip()
        shown = views.show(definition, item["value"], viewer)
        table.append((out._(definition.title), str(shown), records))
        if definition.unit == "count" and isinstance(item["value"], int | float):
            counts.append((out._(definition.title), float(item["value"])))
    out.rows(table, (70, 40, 80))
    if counts:
        out.bars(out._("Counts in the period"), counts, lambda v: "" if v is None else f"{v:g}")
    out.heading(out._("Narrative"))
    out.markdown(document["narrative"] or out._("None written."))
    out.heading(out._("Commitments"))
    out.markdown(document["commitments"] or out._("None stated."))
    out.seal(row)
    return out.output()


def hub_pdf(document: dict[str, Any], row: PublishedDocument, viewer: Viewer = ENGLISH) -> bytes:
    """The hub-wide published report as PDF, in the reader's language and zone."""
    translated = viewer.translations.gettext
    period = document["period"]["key"]
    title = translated(WORDS[1]) % {"name": document["hub"]["name"], "period": period}
    out = _Writer(title, viewer, json.dumps(document, ensure_ascii=False))
    out.heading(title, 0)
    _header(out, document, row)
    members = document["signatories"]
    out.heading(out._("Signatories"))
    left = out._("not recorded") if members["left"] is None else members["left"]
    out.line(
        out._(
            "At the period's end: %(end)s; joined in the period: %(joined)s; left: %(left)s; "
            "counted in the figures: %(reported)s",
            end=members["at_end"],
            joined=members["joined"],
            left=left,
            reported=members["reported"],
        )
    )
    for item in members["excluded"]:
        out.line(out._("Excluded: %(name)s (%(reason)s)", **item), 9)
    for principle in document["principles"]:
        out.heading(out._(principle["title"]))
        out.line(out._(hub.PRINCIPLES_BY_ID[principle["id"]].summary), 9)
        table = [(out._("Figure"), out._("Median"), out._("Total"), out._("Signatories with data"))]
        for key, item in principle["figures"].items():
            show = views.shower(figures.BY_ID[key], viewer)
            table.append(
                (
                    out._(figures.BY_ID[key].title),
                    "-" if item["median"] is None else show(item["median"]),
                    "-" if item["total"] is None else show(item["total"]),
                    str(item["reporting"]),
                )
            )
        out.rows(table, (80, 35, 40, 35))
    out.heading(out._("Trends by quarter"))
    for key, points in document["trends"].items():
        definition = figures.BY_ID[key]
        out.bars(
            out._(definition.title),
            [(p["period"], p["value"]) for p in points],
            views.shower(definition, viewer),
        )
    out.heading(out._("Narrative"))
    out.markdown(document["narrative"] or out._("None written."))
    out.seal(row)
    return out.output()
