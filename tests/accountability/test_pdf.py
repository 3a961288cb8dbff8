"""A signatory's report as PDF: read back with pypdf, the figures are in it, and the
narrative is printed as plain text (nothing in it becomes markup, a link or a script)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pypdf
import pytest
from fastapi.testclient import TestClient

from accord.accountability import fonts, pdf
from accord.cli.admin import warn_without_fonts
from accord.config import Settings
from accord.errors import ConfigError
from accord.identity.models import MemberRole
from accord.transparency import keys, note
from accord.web.i18n import Viewer
from tests.factories import Factories

ENDED = "2026-Q1"


def test_signatory_report_pdf_has_the_figures_and_the_narrative_as_text(
    client: TestClient, make: Factories
) -> None:
    slug = make.org("Acme Pdf")
    admin = make.user("pdfadmin")
    make.member(admin, slug, MemberRole.ADMIN)
    narrative = (
        "We fixed things.\n\n<img src=x onerror=alert(1)> [site](javascript:alert(1))"
        "\n\nSeñal: ünïcode ✓"
    )
    published = client.post(
        f"/api/v1/orgs/{slug}/accountability/reports",
        json={"period": ENDED, "narrative": narrative, "commitments": "Answer in 48 h."},
        headers=make.bearer(admin),
    )
    assert published.status_code == 201, published.text
    response = client.get(f"/api/v1/accountability/signatories/{slug}/reports/{ENDED}/pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert f"accord-report-{slug}-{ENDED}-v1.pdf" in response.headers["content-disposition"]
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    assert reader.metadata is not None
    assert "Acme Pdf" in str(reader.metadata.title)
    text = " ".join(page.extract_text() for page in reader.pages)
    # Every figure's title and its value as the page writes it (no case: 0 reports).
    assert "Reports received" in text
    assert "Median time to acknowledge" in text
    assert "no data" in text
    assert "Answer in 48 h." in text
    assert published.json()["document_sha256"] in text
    # The narrative as typed: no markup, no link, every character kept.
    assert "<img src=x onerror=alert(1)>" in text
    assert "[site](javascript:alert(1))" in text
    assert "Señal: ünïcode ✓" in text
    for page in reader.pages:
        assert "/Annots" not in page
    assert b"/JavaScript" not in response.content
    assert b"/URI" not in response.content
    missing = client.get(f"/api/v1/accountability/signatories/{slug}/reports/2025-Q1/pdf")
    assert missing.status_code == 404
    assert "2025-Q1" in missing.json()["message"]


WORLD = (
    "# Año de trabajo\n\n"
    "We kept our word \u2014 \u201cevery report answered\u201d, \u2018mostly\u2019 on time ✓.\n\n"
    "- 日本語の報告に対応しました\n"
    "- تم إصلاح الثغرات الأمنية\n\n"
    "**Bold words** and *emphasis* stay words."
)


def test_every_character_of_a_report_survives_and_its_note_verifies(
    client: TestClient, make: Factories, settings: Settings
) -> None:
    slug = make.org("Acme \u201cWorld\u201d")
    admin = make.user("worldadmin")
    make.member(admin, slug, MemberRole.ADMIN)
    published = client.post(
        f"/api/v1/orgs/{slug}/accountability/reports",
        json={"period": ENDED, "narrative": WORLD, "commitments": "Répondre — toujours."},
        headers=make.bearer(admin),
    )
    assert published.status_code == 201, published.text
    client.cookies.set("accord_tz", "America/Mexico_City")
    response = client.get(f"/api/v1/accountability/signatories/{slug}/reports/{ENDED}/pdf")
    assert response.status_code == 200

    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    wanted = set(WORLD + "Répondre — toujours.") - set("#*-\n ")
    assert wanted - set(text) == set(), "characters lost"
    # Whole runs: Japanese through the fallback font, the dashes and quotes as typed.
    assert "日本語の報告に対応しました" in text
    assert "We kept our word \u2014 \u201cevery report answered\u201d, \u2018mostly\u2019" in text
    # Emphasis prints in DejaVu Sans Oblique, embedded.
    assert re.search(rb"/BaseFont /[A-Z]{6}\+DejaVuSans-?Oblique", response.content)
    assert "# " not in text
    assert "**" not in text
    assert "America/Mexico_City" in text  # the published moment in the reader's zone
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text)  # no raw ISO moment
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en"
    assert [item.title for item in reader.outline if not isinstance(item, list)][:1] == [
        "Progress report: Acme \u201cWorld\u201d, 2026-Q1"
    ]  # the headings are the document's outline

    # The signed note, copied from the extracted text, verifies with the log's key. Text
    # extraction drops empty lines, so the note's one blank line (before its signature
    # lines, C2SP signed-note) is put back; every other character is as extracted.
    lines = text[text.index("accord.accountability.report/1") :].split("\n")
    first_signature = next(i for i, line in enumerate(lines) if line.startswith("\u2014 "))
    copied = "\n".join([*lines[:first_signature], "", lines[first_signature]]) + "\n"
    verifier = keys.load_signer(settings, keys.origin_for(settings)).verifier
    opened = note.open_note(copied, [verifier])
    assert opened.endswith(f"sha256:{published.json()['document_sha256']}\n")


def test_a_chart_draws_one_bar_per_value_and_writes_each_value() -> None:
    out = pdf._Writer("Chart", Viewer())
    out.bars(
        "Reports", [("2026-Q1", 4.0), ("2026-Q2", None), ("2026-Q3", 0.0), ("2026-Q4", 8.0)], str
    )
    reader = pypdf.PdfReader(io.BytesIO(out.output()))
    content = reader.pages[0].get_contents()
    assert content is not None
    bars = re.findall(rb"([\d.]+) ([\d.]+) ([\d.]+) (-?[\d.]+) re f", content.get_data())
    assert len(bars) == 2  # no bar for no data or zero
    widths = sorted(float(b[2]) for b in bars)
    assert widths[1] == pytest.approx(2 * widths[0])  # 8 is twice 4
    text = reader.pages[0].extract_text()
    assert "2026-Q2" in text
    assert "8.0" in text


def test_without_the_italic_font_emphasis_prints_upright_and_the_log_says_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    found = fonts.find()
    for path in (found.sans, found.sans_bold, found.mono, found.cjk):
        (tmp_path / path.name).symlink_to(path)
    monkeypatch.setattr(fonts, "SEARCHED", (tmp_path,))
    monkeypatch.delenv(fonts.ENVIRONMENT, raising=False)
    assert fonts.italics() == fonts.Italics(italic=None, bold_italic=None)
    assert "DejaVuSans-Oblique.ttf (Debian package fonts-dejavu-core) is not installed" in (
        caplog.text
    )
    writer = pdf._Writer("Upright", Viewer(language="es"), "")
    writer.heading("Sección")
    writer.markdown("Palabras *destacadas* \u2014 «así».\n\n- تم إصلاح الثغرات الأمنية\n")
    data = writer.output()
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = reader.pages[0].extract_text()
    assert "Palabras destacadas \u2014 «así»." in text
    assert set("تم إصلاح الثغرات الأمنية") <= set(text)  # every Arabic character kept
    assert b"Oblique" not in data
    assert reader.trailer["/Root"]["/Lang"] == "es"
    assert [item.title for item in reader.outline] == ["Sección"]


def test_missing_fonts_are_named_with_their_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(fonts, "SEARCHED", (tmp_path,))
    with pytest.raises(
        ConfigError,
        match=re.escape("DroidSansFallbackFull.ttf (Debian package fonts-droid-fallback)"),
    ):
        fonts.find()


def test_serve_names_the_missing_fonts_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Fonts searched only in an empty folder: the warning names each file and its package.
    monkeypatch.setattr(fonts, "SEARCHED", ())
    monkeypatch.setenv(fonts.ENVIRONMENT, str(tmp_path))
    warn_without_fonts()
    said = capsys.readouterr().err
    assert said.startswith("warning: the report PDFs need fonts that are not installed")
    assert "DejaVuSans.ttf (Debian package fonts-dejavu-core)" in said
    assert "a progress report's PDF cannot be made" in said


def test_arabic_after_a_latin_line_is_drawn_right_to_left_and_copied_in_reading_order() -> None:
    arabic = "تم إصلاح الثغرات الأمنية"
    writer = pdf._Writer("Orden", Viewer(language="es"), "")
    writer.heading("Sección")
    writer.line("Periodo: 2026-Q3")  # a cell whose last run is left to right
    writer.markdown(f"- {arabic}\n\n{arabic}\n")
    text = pypdf.PdfReader(io.BytesIO(writer.output())).pages[0].extract_text()
    assert text.count(arabic) == 2  # pypdf reads right-to-left runs drawn in visual order
    assert arabic[::-1] not in text


def _spaceless(text: str) -> str:
    # pypdf places a space at the edge of a right-to-left run on either side of it; the
    # characters' order is what the reader copies, and what is compared.
    return "".join(text.split())


def test_a_paragraph_mixing_arabic_and_latin_keeps_its_logical_order() -> None:
    arabic = "تم إصلاح الثغرات الأمنية"
    mixed = f"We fixed CVE-2026-1234 في الإصدار 2.1 and told vendors: {arabic} today."
    rtl_first = f"{arabic} في الإصدار 2.1 وأبلغنا Acme Corp اليوم"
    writer = pdf._Writer("Orden", Viewer(language="es"), "")
    writer.line("Periodo: 2026-Q3")  # a cell whose last run is left to right
    writer.markdown(f"{mixed}\n\n- CVE-2026-1234: **{arabic}** in 2.1\n\n{rtl_first}\n")
    writer.line(mixed)
    text = pypdf.PdfReader(io.BytesIO(writer.output())).pages[0].extract_text()
    # The Latin paragraph, from the narrative (HTML) and from a cell: Arabic words in reading
    # order between the Latin ones, none reversed.
    assert _spaceless(text).count(_spaceless(mixed)) == 2
    assert _spaceless(f"CVE-2026-1234: {arabic} in 2.1") in _spaceless(text)  # bold, in a list
    for word in (*arabic.split(), "الإصدار", "وأبلغنا"):
        assert word[::-1] not in text
    # The Arabic paragraph: its Latin words kept whole, in their own order.
    assert "Acme Corp" in text


def test_arabic_in_emphasis_prints_and_copies_out() -> None:
    # DejaVu Sans Oblique has no Arabic glyphs: emphasized Arabic printed as nothing.
    arabic = "تم إصلاح الثغرات الأمنية"
    writer = pdf._Writer("Énfasis", Viewer(language="es"), arabic)
    writer.markdown(f"Palabras *{arabic}* y ***{arabic}***, *cursiva* fin.\n\n_{arabic}_\n")
    data = writer.output()
    text = pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert text.count(arabic) == 3
    assert "cursiva" in text
    assert b"Oblique" in data  # the Latin emphasis still slanted
