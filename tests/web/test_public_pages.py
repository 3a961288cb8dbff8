"""Every public page in English and in Spanish: the browser's preference is honoured, the
page names its language, and its words change (a page left untranslated fails here)."""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi.testclient import TestClient

from tests.disclosure.world import World
from tests.factories import Factories

APPLICATION = {
    "name": "Axe Vendor",
    "kind": "signatory",
    "type": "vendor",
    "country": "SE",
    "website": "https://axe.example",
    "security_contact": "psirt@axe.example",
    "contact_name": "Applicant",
    "contact_email": "applicant@axe.example",
    "accord_version": 1,
}
AFFECTED = [
    {
        "package": {"ecosystem": "PyPI", "name": "axe-pkg"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"fixed": "1.2"}]}],
    }
]


def _publish(client: TestClient, make: Factories) -> tuple[str, str]:
    """A signatory with a profile and an advisory with a log entry; returns (slug, osv id)."""
    operator = make.bearer(make.user("hubop", operator=True))
    applied = client.post("/api/v1/applications", json=APPLICATION).json()
    approved = client.post(
        f"/api/v1/applications/{applied['id']}/approve", json={}, headers=operator
    )
    assert approved.status_code == 200, approved.text
    slug = "axe-vendor"
    author = make.user("author")
    make.member(author, slug)
    headers = make.bearer(author)
    advisory = client.post(
        f"/api/v1/advisories/orgs/{slug}",
        json={"summary": "A crafted file crashes the parser", "affected": AFFECTED},
        headers=headers,
    ).json()
    published = client.post(f"/api/v1/advisories/{advisory['id']}/publish", headers=headers)
    assert published.status_code == 200, published.text
    return slug, advisory["id"]


def _public_pages(slug: str, osv_id: str) -> list[str]:
    return [
        "/",
        "/accord",
        "/accord/versions",
        "/accord/versions/1",
        "/signatories",
        "/partners",
        f"/signatories/{slug}",
        "/join",
        "/advisories",
        f"/advisories/{osv_id}",
        "/check",
        "/accountability",
        "/accountability/methods",
        f"/accountability/signatories/{slug}",
        "/accountability/hub",
        "/log",
        "/log/entries/0",
        "/login",
        "/sharing/lookup?values=203.0.113.9%0Aexample.org",
        "/preferences",
        "/signatories/no-such-org",  # the error page
    ]


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
