"""In a real browser on a phone's width: a long identifier has a copy button that puts it on
the clipboard and says so; without the clipboard, it selects the identifier instead."""

from __future__ import annotations

from typing import Any

import pytest

from accord.web.i18n import LANGUAGE_COOKIE
from tests.factories import PASSWORD, Factories
from tests.flows import axe

pytestmark = pytest.mark.browser


def _phone(browser: Any, base: str) -> Any:
    context = browser.new_context(viewport={"width": 390, "height": 800}, locale="en-GB")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    return context


def test_the_token_shown_once_is_copied_by_its_button(
    live_hub: str, browser: Any, make: Factories, axe_source: str
) -> None:
    make.user("copier")
    context = _phone(browser, live_hub)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_hub}/login")
    page.get_by_label("Username").fill("copier")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: not url.endswith("/login"))
    page.goto(f"{live_hub}/account")
    page.get_by_label("Name", exact=True).fill("ci")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token").inner_text().strip()
    assert token.startswith("acc_"), token
    button = page.locator("button[data-copy='new-token']")
    assert button.is_visible()  # copy.js shows it; without the script it stays hidden
    button.click()
    status = page.locator("button[data-copy='new-token'] + [role=status]")
    page.wait_for_function("el => el.textContent === 'Copied'", arg=status.element_handle())
    assert page.evaluate("navigator.clipboard.readText()") == token
    axe.check(page, axe_source)  # the button and its status pass axe-core too
    assert errors == []  # the hub's CSP let the script run: no inline script needed
    context.close()


def test_a_digest_is_copied_in_spanish_and_selected_where_the_clipboard_is_refused(
    live_hub: str, browser: Any
) -> None:
    context = _phone(browser, live_hub)
    host = live_hub.split("//", 1)[1].split(":", 1)[0]
    context.add_cookies([{"name": LANGUAGE_COOKIE, "value": "es", "domain": host, "path": "/"}])
    page = context.new_page()
    page.goto(f"{live_hub}/log")
    key = page.locator("#verifier-key").inner_text().strip()
    page.get_by_role("button", name="Copiar").last.click()
    status = page.locator("button[data-copy='verifier-key'] + [role=status]")
    page.wait_for_function("el => el.textContent === 'Copiado'", arg=status.element_handle())
    assert page.evaluate("navigator.clipboard.readText()") == key
    # A browser that refuses the clipboard: the key is selected, and the page says so.
    page.evaluate(
        "() => { navigator.clipboard.writeText = () => Promise.reject(new Error('refused')); }"
    )
    page.locator("button[data-copy='verifier-key']").click()
    page.wait_for_function(
        "el => el.textContent.startsWith('No se copió')", arg=status.element_handle()
    )
    assert page.evaluate("window.getSelection().toString().trim()") == key
    context.close()
