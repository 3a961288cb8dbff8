"""A version of the accord may carry translations: an operator adds one from the version's
page; a reader in that language reads it marked as a translation, with the signed English
text below it, named and linked; other readers read the English alone."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

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
    # The same for the version's own page; Japanese readers have none: the English alone.
    assert (
        "Una defensa más fuerte."
        in client.get("/accord/versions/1", headers={"Accept-Language": "es"}).text
    )
    japanese = client.get("/accord", headers={"Accept-Language": "ja"}).text
    assert "Una defensa" not in japanese
    assert 'id="english-only"' in japanese
    assert "Una defensa" not in client.get("/accord", headers={"Accept-Language": "en"}).text
