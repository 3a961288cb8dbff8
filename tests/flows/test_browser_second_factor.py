"""In a real browser: a TOTP app enrolled and used to sign in, a recovery code used once and
refused the second time, and a passkey registered and used through chromium's virtual
WebAuthn authenticator (the DevTools protocol's WebAuthn domain)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import pyotp
import pytest
from sqlalchemy import Engine

from accord.config import Settings
from accord.web.app import create_app
from tests.factories import Factories, Person
from tests.flows.conftest import _free_port, serving

pytestmark = pytest.mark.browser

SHOTS = Path(tempfile.gettempdir()) / "accord-screenshots" / "second-factor"


def _shot(page: Any, name: str) -> None:
    # Out of the repository, to look at: each page at both widths, none wider than the screen.
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, f"{name} is {overflow} px wide at {width}"
    page.set_viewport_size({"width": 1280, "height": 900})


def _script_errors(page: Any) -> list[str]:
    """Console errors of the page's scripts and CSP (a refused code's 401 is no such error)."""
    found: list[str] = []

    def seen(msg: Any) -> None:
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            found.append(msg.text)

    page.on("console", seen)
    return found


def _password(page: Any, hub: str, person: Person) -> None:
    page.goto(f"{hub}/login")
    page.get_by_label("Username").fill(person.username)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Sign in").click()


def _sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_load_state()


def test_totp_enrolment_sign_in_and_a_recovery_code_used_once(
    live_hub: str, browser: Any, make: Factories
) -> None:
    person = make.user("psirt")
    page = browser.new_page()
    errors = _script_errors(page)
    _password(page, live_hub, person)
    page.wait_for_url(f"{live_hub}/account")
    page.get_by_role("link", name="psirt").click()
    page.get_by_role("link", name="Sign-in and security").click()
    page.get_by_role("button", name="Add an authenticator app").click()
    assert page.locator(".qr svg").is_visible()
    secret = page.locator("#totp-secret").inner_text().strip()
    totp = pyotp.TOTP(secret)
    _shot(page, "enrol")
    enrolled_at = time.time()  # the step of this code is spent; later checks name it exactly
    page.get_by_label("The six-digit code the app shows").fill(totp.at(enrolled_at))
    page.get_by_role("button", name="Confirm").click()
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    _shot(page, "recovery-codes")
    assert "authenticator app" in page.locator(".factors").inner_text().lower()
    _sign_out(page)

    # Signing in now takes the code; the one used to enrol is spent, the next step's is not.
    _password(page, live_hub, person)
    page.wait_for_url("**/login/second-factor**")
    _shot(page, "second-step")
    page.get_by_label("Six-digit code").fill(totp.at(enrolled_at))
    page.get_by_role("button", name="Check the code").click()
    assert "already used" in page.locator("[role=alert]").inner_text()
    page.get_by_label("Six-digit code").fill(totp.at(enrolled_at + 30))
    page.get_by_role("button", name="Check the code").click()
    page.wait_for_url(f"{live_hub}/account")
    assert page.get_by_role("link", name="psirt").is_visible()
    _sign_out(page)

    # A recovery code signs in once, and is refused the second time.
    for attempt in range(2):
        _password(page, live_hub, person)
        page.wait_for_url("**/login/second-factor**")
        page.get_by_label("Recovery code").fill(codes[0])
        page.get_by_role("button", name="Use the recovery code").click()
        if attempt == 0:
            page.wait_for_url(f"{live_hub}/account")
            _sign_out(page)
    alert = page.locator("[role=alert]").inner_text()
    assert "already used" in alert
    assert errors == []


def test_a_passkey_registered_and_used_with_chromium_s_virtual_authenticator(
    browser: Any, make: Factories, settings: Settings, engine: Engine
) -> None:
    # WebAuthn needs a host name for its relying party (never an IP address): this hub is
    # reached as localhost, and says so in its base URL.
    port = _free_port()
    hub = f"http://localhost:{port}"
    app = create_app(settings.model_copy(update={"base_url": hub}), engine=engine)
    person = make.user("psirt")
    with serving(app, port=port):
        context = browser.new_context()
        page = context.new_page()
        errors = _script_errors(page)
        cdp = context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        added = cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )
        authenticator = added["authenticatorId"]
        _password(page, hub, person)
        page.wait_for_url(f"{hub}/account")
        page.goto(f"{hub}/account/security")
        page.locator("form[data-webauthn=register] input[name=name]").fill("Laptop passkey")
        page.get_by_role("button", name="Add a passkey or security key").click()
        page.wait_for_selector("text=Laptop passkey")
        stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
        assert len(stored["credentials"]) == 1
        assert stored["credentials"][0]["rpId"] == "localhost"
        # A passkey as the first factor brings no codes by itself: the page says to make them.
        assert page.locator("#no-codes").is_visible()
        _shot(page, "passkey-enrolled")
        _sign_out(page)

        _password(page, hub, person)
        page.wait_for_url("**/login/second-factor**")
        assert page.get_by_label("Six-digit code").count() == 0  # no app enrolled: no code form
        _shot(page, "passkey-second-step")
        page.get_by_role("button", name="Use a passkey or security key").click()
        page.wait_for_url(f"{hub}/account")
        assert page.get_by_role("link", name="psirt").is_visible()
        after = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
        assert after["credentials"][0]["signCount"] >= 1
        assert errors == []
        context.close()


def _axe(page: Any, source: str) -> list[str]:
    page.add_script_tag(content=source)
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_the_second_factor_pages_pass_axe_core(
    live_hub: str, browser: Any, make: Factories, request: pytest.FixtureRequest
) -> None:
    axe: str = request.getfixturevalue("axe_source")  # from tests/flows/axe.py
    person = make.user("psirt")
    totp = make.totp(person)
    # The hub's CSP forbids inline scripts: the test context alone lets axe's script in.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    _password(page, live_hub, person)
    page.wait_for_url("**/login/second-factor**")
    found = {"second step": _axe(page, axe)}
    page.get_by_label("Six-digit code").fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Check the code").click()
    page.wait_for_url(f"{live_hub}/account")
    page.goto(f"{live_hub}/account/security")
    page.get_by_role("button", name="Add an authenticator app").click()
    page.wait_for_selector("#totp-setup")
    found["security, enrolling"] = _axe(page, axe)
    context.close()
    assert found == {"second step": [], "security, enrolling": []}
