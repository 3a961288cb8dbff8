"""A version of the accord may carry translations: an operator adds one from the version's
page; a reader in that language reads it marked as a translation, with the signed English
text below it, named and linked; the first text ships in Spanish and Japanese; other
readers read the English alone."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import delete

from accord.registry.models import AccordTranslation
from tests.factories import Factories, csrf_of, sign_in


def test_an_operator_adds_a_translation_and_readers_in_its_language_read_it(
    client: TestClient, make: Factories
) -> None:
    sign_in(client, make.user("oper", operator=True))
    page = client.get("/accord/versions/1")
    assert 'action="/admin/accord/versions/1/translations"' in page.text
    token = csrf_of(page.text)
    refused = client.post(
        "/admin/accord/versions/1/translations",
        data={"language": "en", "title": "T", "text": "x", "csrf_token": token},
        headers={"Accept": "application/json"},
    )
    assert refused.status_code == 422
    assert refused.json()["field"] == "language"
    added = client.post(
        "/admin/accord/versions/1/translations",
        data={
            "language": "es",
            "title": "Acuerdo de Ciberseguridad",
            "text": "Una defensa más fuerte.",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    client.cookies.clear()

    spanish = client.get("/accord", headers={"Accept-Language": "es"}).text
    translated = spanish.split('<section id="translation" lang="es">')[1].split("</section>")[0]
    assert "Una defensa más fuerte." in translated
    assert "Esta es una traducción. No está firmada" in translated
    assert '<a href="#signed">la versión 1</a>' in translated
    signed = (
        r'<h2 id="signed">El texto firmado \(en inglés\)</h2>\s*<pre class="accord-text" lang="en">'
    )
    assert re.search(signed, spanish)
    assert 'id="english-only"' not in spanish
    # The same for the version's own page; Japanese readers read the hub's own translation.
    assert (
        "Una defensa más fuerte."
        in client.get("/accord/versions/1", headers={"Accept-Language": "es"}).text
    )
    japanese = client.get("/accord", headers={"Accept-Language": "ja"}).text
    assert "Una defensa" not in japanese
    assert 'id="english-only"' not in japanese
    assert "Una defensa" not in client.get("/accord", headers={"Accept-Language": "en"}).text


def _translation(page: str, language: str) -> str:
    return page.split(f'<section id="translation" lang="{language}">')[1].split("</section>")[0]


def test_the_first_text_ships_in_spanish_and_japanese_marked_as_translations(
    client: TestClient, make: Factories
) -> None:
    japanese = client.get("/accord", headers={"Accept-Language": "ja"}).text
    translated = _translation(japanese, "ja")
    assert "サイバーセキュリティ・テック・アコード" in translated
    assert "1. より強固な防御" in translated
    assert "これは翻訳です" in translated  # marked as a translation, not signed
    assert '<a href="#signed">' in translated  # the signed text named and linked
    assert "A safe online world is in everyone" not in translated
    assert "A safe online world is in everyone" in japanese.split('id="signed"')[1]
    spanish = _translation(client.get("/accord", headers={"Accept-Language": "es"}).text, "es")
    assert "Acuerdo Tecnológico de Ciberseguridad" in spanish
    assert "4. Acción colectiva" in spanish
    assert "Esta es una traducción. No está firmada" in spanish
    # A later version has no translation until an operator adds one: the English alone.
    headers = make.bearer(make.user("oper", operator=True))
    second = {"title": "Tech Accord, second text", "text": "Four principles, and a fifth."}
    assert client.post("/api/v1/accord/versions", json=second, headers=headers).status_code == 201
    later = client.get("/accord", headers={"Accept-Language": "ja"}).text
    assert 'id="english-only"' in later
    assert 'id="translation"' not in later


def test_a_hub_seeded_before_the_translations_shipped_shows_them_for_its_first_text(
    client: TestClient, make: Factories
) -> None:
    client.get("/accord")  # seeds the first text, with its translations
    with make.factory() as db, db.begin():
        db.execute(delete(AccordTranslation))  # as a hub seeded before they shipped
    japanese = client.get("/accord", headers={"Accept-Language": "ja"}).text
    assert "1. より強固な防御" in _translation(japanese, "ja")
