"""The reporter's pages in Spanish: the report form (chosen by the browser or by the switch),
its mistakes, the receipt, the private page with its embargo in the viewer's zone, and an
unknown link. English stays the source: the same pages in English keep their words."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from accord.disclosure import attachments
from accord.web import i18n
from accord.web.i18n import Viewer, format_when
from tests.disclosure.test_pages import Page
from tests.disclosure.world import REPORT, World
from tests.factories import Factories, csrf_of
from tests.web.test_i18n import prefer

SPANISH = {"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"}
ENGLISH_ON_THE_FORM = (
    "Report a vulnerability",
    "No account needed",
    "Affected product",
    "Steps to reproduce",
    "Proof of concept",
    "How to credit you",
    "Send the report",
    "Time zone",
)


def _lang(html: str) -> str:
    found = re.search(r'<html lang="([^"]+)">', html)
    assert found is not None
    return found.group(1)


def _h1(html: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", html, flags=re.S)
    assert found is not None
    return " ".join(re.sub(r"<[^>]+>", "", found.group(1)).split())


def _assert_spanish_form(html: str) -> None:
    assert _lang(html) == "es"
    assert _h1(html) == "Informar de una vulnerabilidad"
    assert "<title>Informar de una vulnerabilidad" in html
    for label in ("Producto afectado", "Pasos para reproducirla", "Enviar el informe"):
        assert label in html
    assert "No lo sé: los coordinadores del hub lo averiguarán" in html
    # The count and size follow the language's plural and digits.
    assert "hasta 5 archivos de 256 KiB cada uno" in html
    # The kinds a reporter may attach are named as a person knows them, in the language.
    assert "texto sin formato, JSON, PDF, PNG, JPEG, ZIP, gzip)" in html
    assert "application/" not in html.split('accept="', 1)[0]
    for english in ENGLISH_ON_THE_FORM:
        assert english not in html, english


def test_the_report_form_speaks_the_browsers_language(client: TestClient) -> None:
    response = client.get("/disclosure/report", headers=SPANISH)
    assert response.status_code == 200
    assert response.headers["content-language"] == "es"
    _assert_spanish_form(response.text)
    english = client.get("/disclosure/report", headers={"Accept-Language": "en"}).text
    assert _lang(english) == "en"
    assert _h1(english) == "Report a vulnerability"
    assert "up to 5 files of 256 KiB each: plain text, JSON, PDF, PNG, JPEG, ZIP, gzip)" in english
    # The file picker offers the files the hub takes, by name and by kind.
    picker = re.search(r'<input type="file" name="files" multiple accept="([^"]+)"', english)
    assert picker is not None
    offered = set(picker.group(1).split(","))
    assert {".pdf", ".txt", ".png", "application/pdf", "text/plain"} <= offered
    assert set(attachments.ALLOWED) <= offered
    assert set(attachments.NAMES) == set(attachments.ALLOWED)


def test_the_switch_turns_the_report_form_spanish_and_back(client: TestClient) -> None:
    english = {"Accept-Language": "en"}
    page = client.get("/disclosure/report", headers=english).text
    assert '<button type="submit" name="lang" value="es"' in page
    switched = prefer(client, lang="es", next="/disclosure/report")
    assert switched.headers["location"] == "/disclosure/report"
    _assert_spanish_form(client.get("/disclosure/report", headers=english).text)
    prefer(client, lang="en")
    assert _h1(client.get("/disclosure/report", headers=SPANISH).text) == ("Report a vulnerability")


def test_the_forms_mistakes_are_explained_in_spanish(client: TestClient, make: Factories) -> None:
    make.org("Vendor A")
    token = csrf_of(client.get("/disclosure/report", headers=SPANISH).text)
    typed = {**REPORT, "purl": "not-a-purl", "steps_to_reproduce": "see attached", "title": ""}
    sent = client.post("/disclosure/report", data={**typed, "csrf_token": token}, headers=SPANISH)
    assert sent.status_code == 422
    page = Page(sent.text)
    assert set(page.errors) == {"title", "purl", "steps_to_reproduce"}
    # Beside its field, a mistake needs no name: the label above says which field it is.
    assert page.errors["title"] == "Este campo es obligatorio."
    assert page.errors["steps_to_reproduce"] == "Escriba al menos 20 caracteres."
    # The whole sentence is Spanish: no English detail from the parser follows it.
    assert (
        page.errors["purl"]
        == "no es una package URL: empieza por pkg:, como pkg:pypi/requests@2.31.0"
    )
    assert "Corrija los campos señalados a continuación." in sent.text
    # The same mistakes in English.
    english = client.post(
        "/disclosure/report", data={**typed, "csrf_token": token}, headers={"Accept-Language": "en"}
    )
    assert Page(english.text).errors["title"] == "This field is required."


def test_the_receipt_and_the_private_page_are_spanish(client: TestClient, make: Factories) -> None:
    make.org("Vendor A")
    token = csrf_of(client.get("/disclosure/report", headers=SPANISH).text)
    sent = client.post(
        "/disclosure/report",
        data={**REPORT, "csrf_token": token},
        files={"files": ("poc.txt", b"curl http://localhost/search", "text/plain")},
        headers=SPANISH,
    )
    assert sent.status_code == 201
    assert _h1(sent.text) == "Informe recibido"
    assert "Guarde este enlace privado" in sent.text
    link = Page(sent.text).text["private-link"]
    private = link[link.index("/disclosure/") :]

    page = client.get(private, headers=SPANISH).text
    assert _lang(page) == "es"
    assert _h1(page) == "Su informe"
    shown = Page(page).text
    assert shown["report-status"] == "informado, pendiente de revisión"
    assert shown["embargo"] == "todavía sin fijar"
    for words in (
        "Fabricantes",
        "Archivos adjuntos",
        "28 bytes",
        "Todavía no hay mensajes.",
        "Su mensaje",
        "todos los participantes del caso",
        "solo los coordinadores",
        "Historial",
        "Cambiar la zona horaria",
    ):
        assert words in page, words
    # The history's summaries are recorded in English, and read in Spanish
    # (disclosure.event_words); none is left marked as English.
    assert "<td>Informe recibido</td>" in page
    assert '<td lang="en">' not in page
    assert re.search(r"entrada \d+ del registro", page)


def test_the_private_page_shows_the_embargo_localized_in_the_viewers_zone(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.open_case(client)
    proposed = client.put(
        f"/api/v1/disclosure/cases/{world.case_id}/embargo",
        json={"embargo_at": "2099-07-01T19:00:00+09:00"},
        headers=world.headers("coordinator"),
    )
    assert proposed.status_code == 200, proposed.text
    # Both vendors accept it: the embargo in force is what the page shows.
    world.accept(client, "vendor_a", "vendor-a", "2099-07-01T10:00:00Z")
    world.accept(client, "vendor_b", "vendor-b", "2099-07-01T10:00:00Z")
    posted = client.post(
        f"/api/v1/disclosure/cases/{world.case_id}/messages",
        json={"body": "¿Puede confirmar la versión?", "audience": "all"},
        headers=world.headers("coordinator"),
    )
    assert posted.status_code == 201, posted.text
    moment = datetime(2099, 7, 1, 10, 0, tzinfo=UTC)
    private = f"/disclosure/follow?token={quote(world.report_token)}"

    client.cookies.set(i18n.ZONE_COOKIE, "Europe/Madrid")
    page = client.get(private, headers=SPANISH).text
    shown = Page(page).text
    assert shown["embargo"] == format_when(moment, Viewer("es", "Europe/Madrid"))
    assert shown["embargo"] == "1 jul 2099, 12:00 Europe/Madrid"
    assert '<time datetime="2099-07-01T10:00:00Z">' in page
    assert _h1(page) == f"Su informe: {world.case_id}"
    assert "sin respuesta todavía" in page  # vendor B has not answered
    assert "caso abierto" in page
    assert "para todos los participantes del caso" in page
    # In English, and in another zone, the same moment.
    client.cookies.set(i18n.ZONE_COOKIE, "America/New_York")
    english = Page(client.get(private, headers={"Accept-Language": "en"}).text).text
    # (the page reader folds CLDR's narrow no-break space before AM into a space)
    assert english["embargo"] == "Jul 1, 2099, 6:00 AM America/New_York"
    assert english["report-status"] == "open case"


def test_the_zone_picker_comes_back_to_the_private_page(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.report(client)
    private = f"/disclosure/follow?token={quote(world.report_token)}"
    page = client.get(private, headers=SPANISH).text
    assert f'<a href="/preferences?next={quote(private, safe="/")}">Cambiar la zona horaria' in page
    chosen = prefer(client, tz="Asia/Tokyo", next=private)
    assert chosen.status_code == 303
    assert chosen.headers["location"] == private
    assert "Asia/Tokyo</time>" in client.get(private, headers=SPANISH).text


@pytest.mark.parametrize("token", ["rpt_no-such-report", "nonsense"])
def test_an_unknown_private_link_says_so_in_spanish(client: TestClient, token: str) -> None:
    response = client.get("/disclosure/follow", params={"token": token}, headers=SPANISH)
    assert response.status_code == 404
    assert _h1(response.text) == "No encontrado"
    assert "este enlace de informe no existe" in response.text


def test_a_message_from_a_visitor_is_escaped_on_the_error_page(client: TestClient) -> None:
    # The error page translates known messages but never trusts one as markup.
    response = prefer(client, SPANISH, tz="<b>x</b>")
    assert response.status_code == 422
    assert "<b>x</b>" not in response.text
    assert "&lt;b&gt;x&lt;/b&gt;" in response.text
