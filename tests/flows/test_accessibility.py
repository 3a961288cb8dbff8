"""Pages in chromium that no click from the home page reaches: axe-core finds no violation of
any impact, in English, Spanish and Japanese, at a desktop's and a phone's width; and a
keyboard alone can reach the navigation and fill and send a form.

Every page reached by clicking, public and signed in, is checked by axe-core in
``test_browser_widths.py`` (each page loaded once per language); here are the rest: the error
page, the look-up with its answers and a reporter's private page with something in every part.
axe-core itself comes from ``tests/flows/axe.py``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.disclosure.world import World
from tests.factories import Factories
from tests.flows import axe

pytestmark = pytest.mark.browser

LANGUAGES = {"en": "en-GB", "es": "es-ES", "ja": "ja-JP"}
# What no link leads to; the pages links lead to are crawled and checked by
# test_browser_widths.py.
UNLINKED = [
    "/sharing/lookup?values=203.0.113.9%0Aexample.org",  # the look-up with its answers
    "/signatories/no-such-org",  # the error page
]


def _reporters_page(client: TestClient, make: Factories) -> str:
    """A reporter's private page with something in every part: vendors with and without an
    answer, an embargo, an attachment, a message and its reply, history."""
    world = World.build(make)
    world.report(
        client,
        attachments=[{"filename": "poc.txt", "content_type": "text/plain", "data_base64": "aGk="}],
    )
    opened = client.post(
        f"/api/v1/disclosure/cases/{world.public_id}/open", headers=world.headers("vendor_a")
    )
    assert opened.status_code == 200, opened.text
    world.case_id = opened.json()["ref"]
    client.post(
        f"/api/v1/disclosure/cases/{world.case_id}/vendors",
        json={"organization": "vendor-b"},
        headers=world.headers("coordinator"),
    )
    world.embargo(client)
    base = f"/api/v1/disclosure/cases/{world.case_id}"
    first = client.post(
        f"{base}/messages",
        json={"body": "Which version did you test?", "audience": "all"},
        headers=world.headers("coordinator"),
    )
    assert first.status_code == 201, first.text
    reply = client.post(
        "/api/v1/disclosure/report/messages",
        json={"body": "2.1.0", "audience": "all", "parent_id": first.json()["id"]},
        headers=world.headers("reporter"),
    )
    assert reply.status_code == 201, reply.text
    return f"/disclosure/follow?token={quote(world.report_token)}"


@pytest.fixture
def pages_to_check(client: TestClient, make: Factories) -> list[str]:
    return [*UNLINKED, _reporters_page(client, make)]


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_pages_no_link_leads_to_pass_axe_core(
    live_hub: str,
    browser: Any,
    axe_source: str,
    pages_to_check: list[str],
    language: str,
    width: int,
) -> None:
    context = browser.new_context(
        locale=LANGUAGES[language], viewport={"width": width, "height": 900}
    )
    context.add_init_script(script=axe_source)
    page = context.new_page()
    found: dict[str, list[str]] = {}
    for path in pages_to_check:
        response = page.goto(f"{live_hub}{path}")
        assert response.status == (404 if "no-such" in path else 200), path
        assert page.get_attribute("html", "lang") == language, path
        if problems := axe.violations(page, axe_source, settle=False):
            found[path] = problems
    context.close()
    assert found == {}


def _tab_to(page: Any, selector: str, presses: int = 40) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_a_keyboard_alone_reaches_the_navigation_and_sends_the_join_form(
    live_hub: str, browser: Any
) -> None:
    page = browser.new_context(locale="en-GB").new_page()
    page.goto(f"{live_hub}/")
    # The first Tab lands on the skip link; every main link is reachable after it.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    assert page.locator(".skip").is_visible()
    for target in ("/accord", "/signatories", "/advisories", "/log", "/join"):
        _tab_to(page, f"header nav a[href='{target}']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{live_hub}/join"

    # The skip link jumps past the navigation into the page.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    for name, text in (
        ("name", "Keyboard Security Oy"),
        ("country", "FI"),
        ("website", "https://keyboard.example"),
        ("security_contact", "psirt@keyboard.example"),
        ("contact_name", "Applicant Person"),
        ("contact_email", "applicant@keyboard.example"),
    ):
        _tab_to(page, f"[name={name}]")
        page.keyboard.type(text)
    _tab_to(page, "[name=agree]")
    page.keyboard.press("Space")
    _tab_to(page, "main button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.inner_text("h1") == "Application received"
    assert "Keyboard Security Oy" in page.inner_text("main")


def test_a_keyboard_alone_reports_a_vulnerability_in_spanish(
    live_hub: str, browser: Any, axe_source: str, make: Factories
) -> None:
    make.org("Teclado Vendor")
    context = browser.new_context(locale="es-ES")
    page = context.new_page()
    page.goto(f"{live_hub}/")
    # From the front page, the navigation leads to the form.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    _tab_to(page, "header nav a[href='/disclosure/report']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.inner_text("h1") == "Informar de una vulnerabilidad"

    page.keyboard.press("Tab")  # the skip link, then into the page
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    _tab_to(page, "[name=organization]")
    page.keyboard.press("ArrowDown")  # a closed <select> changes with the arrow keys
    assert page.eval_on_selector("[name=organization]", "e => e.value") == "teclado-vendor"
    for name, text in (
        ("title", "Inyección SQL en la búsqueda"),
        ("product", "Tienda Ejemplo"),
        ("description", "El parámetro q llega a SQL sin escapar y deja leer todas las tablas."),
        ("steps_to_reproduce", "ver adjunto"),  # too short: the hub says so
    ):
        _tab_to(page, f"[name={name}]")
        page.keyboard.type(text)
    _tab_to(page, "main button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.inner_text("#steps_to_reproduce-error") == "Escriba al menos 20 caracteres."
    axe.check(page, axe_source)  # the form with its mistakes shown

    # What was typed is kept; the short field is replaced, and the form sent again.
    page.keyboard.press("Tab")
    _tab_to(page, "[name=steps_to_reproduce]")
    page.keyboard.press("Control+A")
    page.keyboard.type("1. Instale la 2.1.0\n2. Busque ' OR 1=1 --\n3. Vea cada fila.")
    _tab_to(page, "main button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.inner_text("h1") == "Informe recibido"
    assert "/disclosure/follow?token=rpt_" in page.inner_text("#private-link")
    axe.check(page, axe_source)
    context.close()
