"""Every public page in English and in Spanish: the browser's preference is honoured, the
page names its language, and its words change (a page left untranslated fails here)."""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi.testclient import TestClient

from tests.disclosure.world import World
from tests.factories import Factories
from tests.flows.test_accessibility import _public_pages, _publish

# Pages whose <h1> is a stored name: the hub's, an organization's, an advisory's summary, the
# accord's title.
NAMED = re.compile(
    r"^/$|^(/accountability)?/signatories/axe-vendor$|^/advisories/.|^/accord(/versions/\d+)?$"
)


def _part(html: str, tag: str) -> str:
    found = re.search(rf"<{tag}\b[^>]*>(.*?)</{tag}>", html, flags=re.S)
    assert found is not None, tag
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def test_every_public_page_speaks_english_and_spanish(client: TestClient, make: Factories) -> None:
    pages = _public_pages(*_publish(client, make))
    world = World.build(make)
    world.open_case(client)
    pages += ["/disclosure/report", f"/disclosure/follow?token={quote(world.report_token)}"]
    untranslated = []
    for path in pages:
        shown = {}
        for language, header in (("en", "en-GB,en;q=0.9"), ("es", "es-MX,es;q=0.9")):
            response = client.get(path, headers={"Accept-Language": header})
            assert response.status_code == (404 if "no-such" in path else 200), path
            assert f'<html lang="{language}">' in response.text, (path, language)
            assert response.headers["content-language"] == language, path
            shown[language] = response.text
        if not NAMED.search(path) and _part(shown["en"], "h1") == _part(shown["es"], "h1"):
            untranslated.append((path, "h1", _part(shown["es"], "h1")))
        if _part(shown["en"], "main") == _part(shown["es"], "main"):
            untranslated.append((path, "main", ""))
        if _part(shown["en"], "footer") == _part(shown["es"], "footer"):
            untranslated.append((path, "footer", ""))
    assert untranslated == [], untranslated
