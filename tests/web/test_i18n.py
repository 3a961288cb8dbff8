"""Pages in the viewer's language and zone: negotiation, the switch, fallback, dates, catalogs."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from httpx import Response

from accord.web import i18n
from accord.web.forms import FieldProblem
from accord.web.i18n import Viewer, format_when
from accord.web.labels import FINDINGS
from accord.web.rendering import make_environment
from tests.factories import Factories, csrf_of

ROOT = Path(__file__).resolve().parents[2]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)")
SPANISH_PO = Path(str(resources.files("accord"))) / "locale/es/LC_MESSAGES/messages.po"
APPLICATION = {
    "name": "Zona Vendor",
    "kind": "signatory",
    "type": "vendor",
    "country": "ES",
    "website": "https://zona.example",
    "security_contact": "psirt@zona.example",
    "contact_name": "Applicant",
    "contact_email": "applicant@zona.example",
    "accord_version": 1,
}


def _html_lang(html: str) -> str:
    match = re.search(r'<html lang="([^"]+)">', html)
    assert match is not None
    return match.group(1)


def _signatory(client: TestClient, make: Factories) -> None:
    operator = make.bearer(make.user("hubop", operator=True))
    applied = client.post("/api/v1/applications", json=APPLICATION).json()
    approved = client.post(
        f"/api/v1/applications/{applied['id']}/approve", json={}, headers=operator
    )
    assert approved.status_code == 200, approved.text


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("es-ES,es;q=0.9,en;q=0.8", "es"),
        ("de-DE, es;q=0.7, en;q=0.3", "es"),
        ("en-GB,en;q=0.9,es;q=0.8", "en"),
        ("es;q=0, en;q=0.5", "en"),  # q=0 means "not this one"
        ("de, fr;q=0.5", "en"),  # nothing we have: the source language
        ("", "en"),
    ],
)
def test_a_page_renders_in_the_negotiated_language(
    client: TestClient, header: str, language: str
) -> None:
    response = client.get("/", headers={"Accept-Language": header})
    assert response.status_code == 200
    assert _html_lang(response.text) == language
    assert response.headers["content-language"] == language
    assert "Accept-Language" in response.headers["vary"]
    nav = "Firmantes" if language == "es" else "Signatories"
    assert f'<a href="/signatories">{nav}</a>' in response.text


def test_accept_language_is_read_by_quality_then_order() -> None:
    assert i18n.accepted_languages("en;q=0.5, es, fr;q=0.8, *;q=0.1") == ["es", "fr", "en"]
    assert i18n.accepted_languages("es;q=bogus, en") == ["en"]


def prefer(client: TestClient, headers: dict[str, str] | None = None, **fields: str) -> Response:
    """Post the preferences form as a browser does: its CSRF token from the page."""
    token = csrf_of(client.get("/preferences", headers=headers).text)
    return client.post(
        "/preferences",
        data={"csrf_token": token, **fields},
        headers=headers,
        follow_redirects=False,
    )


def test_the_switch_sets_a_cookie_that_outranks_the_browser(client: TestClient) -> None:
    english = {"Accept-Language": "en"}
    page = client.get("/signatories", headers=english).text
    # Every page offers the other language as a POST form, coming back to the same page.
    assert '<form method="post" action="/preferences" class="inline">' in page
    assert '<input type="hidden" name="next" value="/signatories">' in page
    assert '<button type="submit" name="lang" value="es"' in page

    switched = prefer(client, english, lang="es", next="/signatories")
    assert switched.status_code == 303
    assert switched.headers["location"] == "/signatories"
    assert client.cookies.get(i18n.LANGUAGE_COOKIE) == "es"

    again = client.get("/signatories", headers=english)
    assert _html_lang(again.text) == "es"
    assert "<h1>Firmantes</h1>" in again.text
    # And back.
    prefer(client, lang="en")
    assert "<h1>Signatories</h1>" in client.get("/signatories").text


def test_preferences_change_only_by_post_with_the_csrf_token(client: TestClient) -> None:
    assert client.get("/preferences/set", params={"lang": "es"}).status_code in (404, 405)
    client.get("/preferences")
    refused = client.post("/preferences", data={"lang": "es"}, follow_redirects=False)
    assert refused.status_code == 403
    assert i18n.LANGUAGE_COOKIE not in client.cookies


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil"])
def test_the_switch_goes_back_only_to_this_site(client: TestClient, target: str) -> None:
    response = prefer(client, lang="es", next=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"lang": "xx"}, "Choose one of the languages listed."),
        ({"tz": "Mars/Olympus_Mons"}, "Not a time zone name such as America/Mexico_City"),
        ({"tz": "../etc"}, "Not a time zone name such as America/Mexico_City"),
        ({"tz": "Factory"}, "Not a time zone name such as America/Mexico_City"),
    ],
)
def test_an_unknown_language_or_zone_is_refused_beside_its_field(
    client: TestClient, fields: dict[str, str], message: str
) -> None:
    response = prefer(client, **fields)
    assert response.status_code == 422
    assert message in response.text
    assert i18n.LANGUAGE_COOKIE not in client.cookies
    assert i18n.ZONE_COOKIE not in client.cookies


def test_an_alias_is_saved_as_its_zone(client: TestClient) -> None:
    assert prefer(client, tz="GB-Eire").status_code == 303
    assert (client.cookies.get(i18n.ZONE_COOKIE) or "").strip('"') == "Europe/London"


def test_the_zone_list_holds_places_not_aliases() -> None:
    zones = i18n.zone_names()
    assert {"America/Mexico_City", "Asia/Tokyo", "Europe/Kyiv", "UTC"} <= set(zones)
    assert not {"Factory", "localtime", "GB-Eire", "US/Pacific", "Etc/GMT+5"} & set(zones)
    assert len(zones) < 400  # some 600 names with the aliases


def test_the_preferences_page_is_a_form_without_script(client: TestClient) -> None:
    page = client.get("/preferences", params={"next": "/log"}).text
    form = page[page.index("<h1>") :]
    assert '<form method="post" action="/preferences" class="stack">' in form
    assert '<input type="hidden" name="next" value="/log">' in form
    assert 'name="tz" list="zones"' in form
    assert 'value="UTC"' in form
    assert '<option value="Europe/Madrid">' in form
    assert '<option value="GB-Eire">' not in form
    assert not INLINE_SCRIPT.search(form)  # only the layout's own files (CSP)


def test_the_browser_zone_is_used_until_one_is_chosen(client: TestClient, make: Factories) -> None:
    _signatory(client, make)
    client.cookies.set(i18n.BROWSER_ZONE_COOKIE, "Asia/Calcutta")  # an alias some browsers say
    assert "Asia/Kolkata</time>" in client.get("/signatories").text
    prefer(client, tz="America/Mexico_City")
    assert "America/Mexico_City</time>" in client.get("/signatories").text


def test_a_missing_translation_falls_back_to_english() -> None:
    env = make_environment()
    template = env.from_string(
        '{{ _("A sentence no catalog holds") }} | {{ _("Sign in") }} | {{ "HIGH" | label }}'
    )
    assert template.render(viewer=Viewer("es")) == (
        "A sentence no catalog holds | Iniciar sesión | Alta"
    )
    assert template.render(viewer=Viewer("en")) == "A sentence no catalog holds | Sign in | High"


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        # CLDR puts a narrow no-break space (U+202F) before AM and PM.
        (Viewer("en", "UTC"), "Jan 5, 2025, 3:04\u202fPM UTC"),
        (Viewer("es", "UTC"), "5 ene 2025, 15:04 UTC"),
        (Viewer("es", "Europe/Madrid"), "5 ene 2025, 16:04 Europe/Madrid"),
        (Viewer("en", "America/New_York"), "Jan 5, 2025, 10:04\u202fAM America/New_York"),
        # Across a date line the day changes too.
        (Viewer("es", "Pacific/Auckland"), "6 ene 2025, 4:04 Pacific/Auckland"),
    ],
)
def test_dates_format_per_locale_with_the_zone_named(viewer: Viewer, expected: str) -> None:
    assert format_when(datetime(2025, 1, 5, 15, 4, tzinfo=UTC), viewer) == expected


def test_a_page_shows_times_in_the_viewers_zone_and_keeps_utc_machine_readable(
    client: TestClient, make: Factories
) -> None:
    _signatory(client, make)
    utc_page = client.get("/signatories", headers={"Accept-Language": "es"}).text
    # No zone known yet: written in UTC, marked for static/zone.js to put in the browser's.
    (stamp,) = re.findall(r'<time datetime="([^"]+)" data-local>([^<]+)</time>', utc_page)
    iso, shown = stamp
    assert iso.endswith("Z")
    signed = datetime.fromisoformat(iso)
    assert shown == format_when(signed, Viewer("es", "UTC"))

    prefer(client, tz="Asia/Tokyo")
    tokyo_page = client.get("/signatories", headers={"Accept-Language": "es"}).text
    assert f'<time datetime="{iso}">' in tokyo_page
    assert format_when(signed, Viewer("es", "Asia/Tokyo")) in tokyo_page
    assert shown.endswith(" UTC")
    assert "Asia/Tokyo</time>" in tokyo_page
    assert "data-local" not in tokyo_page


def test_a_page_asks_zone_js_only_while_no_zone_is_known(
    client: TestClient, make: Factories
) -> None:
    _signatory(client, make)
    first = client.get("/signatories").text
    assert '<script src="/static/zone.js" defer blocking="render">' in first
    assert "data-local-zone" in first
    assert "data-local>" in first
    client.cookies.set(i18n.BROWSER_ZONE_COOKIE, "Asia/Tokyo")  # what zone.js then sets
    later = client.get("/signatories").text
    assert '<script src="/static/zone.js" defer>' in later
    assert "data-local" not in later


@pytest.mark.parametrize(
    ("language", "zone", "footer"),
    [
        ("en", "America/Mexico_City", "Time zone: Mexico (Mexico City) Time (change)"),
        ("es", "America/Mexico_City", "Zona horaria: hora de México (Ciudad de México) (cambiar)"),
        ("ja", "Asia/Tokyo", "タイムゾーン: 日本時間（変更）"),  # noqa: RUF001
        ("es", "UTC", "Zona horaria: tiempo universal coordinado (UTC) (cambiar)"),
    ],
)
def test_the_footer_names_the_zone_in_the_readers_language(
    client: TestClient, language: str, zone: str, footer: str
) -> None:
    prefer(client, tz=zone)
    page = client.get("/accord", headers={"Accept-Language": language}).text
    link = re.search(r'<a href="/preferences\?next=[^"]*" id="zone-link">(.*?)</a>', page)
    assert link is not None
    assert re.sub(r"<[^>]+>", "", link[1]) == footer
    assert f'title="{zone}"' in link[1]  # the tz name stays at hand


def test_a_cookie_naming_no_zone_shows_utc(client: TestClient, make: Factories) -> None:
    _signatory(client, make)
    client.cookies.set(i18n.ZONE_COOKIE, "Nowhere/Atlantis")
    page = client.get("/signatories").text
    # No zone is known: UTC, marked for zone.js to put in the browser's zone.
    assert re.search(r"<time datetime=\"[^\"]+\" data-local>[^<]+ UTC</time>", page)


def test_counts_follow_the_languages_plural_rules_and_digits(
    client: TestClient, make: Factories
) -> None:
    _signatory(client, make)
    spanish = client.get("/", headers={"Accept-Language": "es"}).text
    assert "1 organización firmante." in spanish
    english = client.get("/", headers={"Accept-Language": "en"}).text
    assert "1 organization signed." in english
    env = make_environment()
    count = env.from_string("{{ n | number }}")
    assert count.render(n=1234567, viewer=Viewer("en")) == "1,234,567"
    assert count.render(n=1234567, viewer=Viewer("es")) == "1.234.567"


def _spanish() -> Catalog:
    return _catalog("es")


def _catalog(language: str) -> Catalog:
    po = Path(str(resources.files("accord"))) / f"locale/{language}/LC_MESSAGES/messages.po"
    with po.open("rb") as source:
        return read_po(source, locale=language)


def _extracted() -> dict[tuple[Any, str | None], list[str]]:
    """Every translatable string in the package, with its context (``pgettext``), as
    babel.cfg tells pybabel to find it."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[tuple[Any, str | None], list[str]] = {}
    for filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        found.setdefault((message, context), []).append(filename)
    return found


TRANSLATED = [language for language in i18n.LANGUAGES if language != i18n.SOURCE_LANGUAGE]


def test_japanese_is_shipped_beside_spanish_and_listed_in_the_switch(client: TestClient) -> None:
    assert TRANSLATED == ["es", "ja"]
    page = client.get("/", headers={"Accept-Language": "ja-JP,ja;q=0.9"})
    assert _html_lang(page.text) == "ja"
    assert page.headers["content-language"] == "ja"
    assert '<a href="/signatories">署名組織</a>' in page.text
    english = client.get("/", headers={"Accept-Language": "en"}).text
    # The switch is a POST form (a preference is a change of state), one button a language.
    assert 'name="lang" value="ja" class="link" lang="ja">日本語</button>' in english


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_string_in_the_code_has_a_translation_in_every_language(language: str) -> None:
    extracted = _extracted()
    templates = {m for m, files in extracted.items() if any(f.endswith(".html") for f in files)}
    assert len(templates) > 150  # the pages' strings, not an empty extraction
    catalog = _catalog(language)
    untranslated = []
    for message, context in extracted:
        key = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(key, context=context)
        strings = entry.string if entry is not None else ""
        if isinstance(strings, str):
            strings = (strings,)
        if entry is None or entry.fuzzy or not all(s.strip() for s in strings):
            untranslated.append(key)
    assert untranslated == [], f"run the steps in docs/i18n.md, then translate these ({language})"


# One word for the hub in each language: Spanish pages said "hub" in the header and "centro"
# in the footer, the log's page and the refusals, as if they were two things.
OTHER_WORDS_FOR_THE_HUB = {"es": re.compile(r"\bcentros?\b", re.IGNORECASE)}


@pytest.mark.parametrize("language", sorted(OTHER_WORDS_FOR_THE_HUB))
def test_the_hub_has_one_name_in_each_language(language: str) -> None:
    catalog = _catalog(language)
    hub = re.compile(r"\bhubs?\b", re.IGNORECASE)
    other = OTHER_WORDS_FOR_THE_HUB[language]
    found = []
    for message in catalog:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if any(other.search(text or "") for text in strings):
            found.append(message.id)
    assert found == []
    assert sum(1 for m in catalog if hub.search(str(m.string))) > 100  # the word it uses


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_every_placeholder(language: str) -> None:
    # babel's checkers: the same %(name)s placeholders in the translation as in the msgid.
    catalog = _catalog(language)
    problems = [(message.id, [str(e) for e in errors]) for message, errors in catalog.check()]
    assert problems == []


# Every template of the package, signed-in pages and admin pages included.
PACKAGE = Path(str(resources.files("accord")))
TEMPLATES = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.glob("*/templates/*.html"))
# Names that read the same in every language: formats, standards, protocols.
PROPER_NAMES = {
    "TLP:",
    "CVSS 3",
    "CVSS 4.0",
    "OSV JSON",
    "CSAF 2.0",
    "STIX 2.1 bundle",
    "SHA-256",
    "SHA-512",
    "security.txt",
    "TLP",
    "CVSS",
    "CWE",
    "CVE",
    "URL",
    "JSON",
    "aggregator.json",  # a file's name, the CSAF aggregator's list
    "&lt; &gt;",  # around an email address
}
# Examples in placeholders that are identifiers, not words.
PLACEHOLDER_EXAMPLES = ("pkg:", "CVSS:", "CWE-", "CVE-", "https://")


def _text_outside_gettext(source: str) -> list[str]:
    """Words a template shows that no ``_()`` or ``{% trans %}`` carries."""
    text = re.sub(r"\{#.*?#\}", " ", source, flags=re.S)
    text = re.sub(r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}", " ", text, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", text, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    found = [
        f'{name}="{value}"'
        for name, value in re.findall(r'\b(placeholder|title|aria-label|alt)="([^"]*)"', text)
        if re.search(r"[A-Za-z]{2}", value) and not value.startswith(PLACEHOLDER_EXAMPLES)
    ]
    text = re.sub(r"<[^>]*>", "\n", text, flags=re.S)
    for piece in re.split(r"\s*\n\s*|\s{2,}", text):
        if re.search(r"[A-Za-z]{2}", piece) and piece.strip() not in PROPER_NAMES:
            found.append(piece.strip())
    return found


def test_the_scan_reads_every_template() -> None:
    assert len(TEMPLATES) > 60
    assert "accountability/templates/admin.html" in TEMPLATES


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_template_shows_no_text_outside_gettext(template: str) -> None:
    # The catalog test above sees only wrapped strings: this one finds the ones never wrapped.
    assert _text_outside_gettext((PACKAGE / template).read_text()) == []


def test_the_scan_finds_text_left_unwrapped() -> None:
    source = '<h1>{{ _("Fine") }}</h1><p>Left behind</p><input placeholder="Type here">'
    assert _text_outside_gettext(source) == ['placeholder="Type here"', "Left behind"]


def test_a_field_problem_is_said_in_the_viewers_language_or_as_written() -> None:
    env = make_environment()
    shown = env.from_string("{{ p | problem }}")
    short = FieldProblem(
        "steps: String should have at least 20 characters",
        field="steps",
        kind="string_too_short",
        params={"min_length": "20"},
    )
    assert shown.render(p=short, viewer=Viewer("es")) == "steps: escriba al menos 20 caracteres."
    assert shown.render(p=short, viewer=Viewer("en")) == "steps: write at least 20 characters."
    # A type no sentence covers, a sentence missing its number, a plain string: as written.
    odd = FieldProblem("x: odd", field="x", kind="no_such_type")
    assert shown.render(p=odd, viewer=Viewer("es")) == "x: odd"
    bare = FieldProblem("x: too short", field="x", kind="string_too_short")
    assert shown.render(p=bare, viewer=Viewer("es")) == "x: too short"
    assert shown.render(p="x: <b>", viewer=Viewer("es")) == "x: &lt;b&gt;"


def test_a_security_txt_finding_is_said_in_the_viewers_language_by_its_code() -> None:
    env = make_environment()
    shown = env.from_string("{{ code | finding(message) }}")
    expired = {"code": "expired", "message": "the file expired on 2020-01-01T00:00:00+00:00"}
    assert shown.render(**expired, viewer=Viewer("es")) == "El archivo ha caducado."
    assert shown.render(**expired, viewer=Viewer("ja")) == "ファイルの有効期限が切れています。"
    assert shown.render(**expired, viewer=Viewer("en")) == "The file has expired."
    # A code no sentence covers shows the stored record, escaped.
    odd = {"code": "new_rule", "message": "<b>odd</b>"}
    assert shown.render(**odd, viewer=Viewer("ja")) == "&lt;b&gt;odd&lt;/b&gt;"


def test_every_security_txt_finding_code_has_a_sentence() -> None:
    # The codes the checker writes (registry/securitytxt), read from its source.
    package = Path(str(resources.files("accord"))) / "registry" / "securitytxt"
    source = "".join(p.read_text() for p in package.glob("*.py"))
    source += (Path(str(resources.files("accord"))) / "outbound.py").read_text()
    codes = set(
        re.findall(r'(?:error|warning|_stop\(state,|Refused\()\s*\(?\s*"([a-z0-9_]+)"', source)
    )
    assert len(codes) > 30
    assert codes - set(FINDINGS) == set()


def test_the_language_saved_with_an_account_follows_its_user_to_another_browser(
    app: Any, client: TestClient, make: Factories
) -> None:
    person = make.user("traveller")
    make.session(client, person)
    assert prefer(client, lang="ja").status_code == 303
    spanish = {"Accept-Language": "es"}
    with TestClient(app, base_url="http://testserver") as other:
        assert _html_lang(other.get("/", headers=spanish).text) == "es"  # not signed in yet
        make.session(other, person)
        assert _html_lang(other.get("/", headers=spanish).text) == "ja"  # saved, above the header
        other.cookies.set(i18n.LANGUAGE_COOKIE, "en")
        assert _html_lang(other.get("/", headers=spanish).text) == "en"  # this browser's choice
