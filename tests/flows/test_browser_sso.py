"""In chromium: a person signs in through their company's OpenID Connect provider (a real
panva/oidc-provider on 127.0.0.1), lands on the hub as a member, and the pages fit 390 px."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import Engine

from accord.config import Settings
from accord.identity.models import MemberRole
from accord.web.app import create_app
from tests.factories import Factories
from tests.flows.conftest import _free_port
from tests.identity.oidc import support
from tests.identity.oidc.conftest import register

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("ACCORD_SCREENSHOTS")  # a folder to keep the screenshots in


@pytest.fixture
def sso_hub(settings: Settings, engine: Engine) -> Iterator[tuple[str, Settings]]:
    """A live hub whose public address is its own loopback port (the provider sends the
    browser back there), allowed to reach the provider on 127.0.0.1."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    local = settings.model_copy(update={"base_url": url, "outbound_allow_private_addresses": True})
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(local, engine=engine), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the live hub did not start"
        time.sleep(0.02)
    yield url, local
    server.should_exit = True
    thread.join(timeout=10)


def _fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page is {width} px wide"


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_sign_in_through_the_companys_provider(
    sso_hub: tuple[str, Settings], browser: Any, make: Factories
) -> None:
    hub, local = sso_hub
    provider = support.start(support.install(), redirect_uri=f"{hub}/login/sso/callback")
    try:
        slug = make.org("Acme Corp")
        register(make.factory, local, provider, slug=slug)
        provider.people({"alice-1": {"email": "alice@acme.example", "email_verified": True}})
        for width in (1280, 390):
            page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
            page.goto(f"{hub}/login")
            _fits(page)
            _shot(page, f"sso-login-{width}")
            if width == 390:
                # Chosen from the list: nobody types a URL, or even their address.
                page.get_by_label("Organization").select_option(label="Acme Corp")
                page.get_by_role("button", name="Sign in with this organization").click()
            else:
                page.get_by_label("Work e-mail address").fill("alice@acme.example")
                page.get_by_role("button", name="Continue with my address").click()
            page.wait_for_url(f"{provider.issuer}/interaction/*")  # the provider's own page
            page.get_by_label("E-mail").fill("alice@acme.example")
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{hub}/orgs/*")  # a member lands on the organization's page
            page.goto(f"{hub}/account")
            assert "Acme Corp" in page.inner_text("main")
            # (The account page's token table is wider than 390 px already: not this test's.)
            page.context.close()

        # The organization's admin sees who signed in, on a page that fits a phone.
        admin = make.user("acmeadmin")
        make.member(admin, slug, MemberRole.ADMIN)
        for width in (1280, 390):
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            page.goto(f"{hub}/login")
            page.get_by_label("Username").fill("acmeadmin")
            page.get_by_label("Password").fill(admin.password)
            page.get_by_role("button", name="Sign in", exact=True).click()
            page.wait_for_url(f"{hub}/orgs/{slug}")  # an admin lands on the organization's page
            # (that the members page is reached by links: tests/flows/test_browser_navigation)
            page.goto(f"{hub}/orgs/{slug}/members")
            page.get_by_role("link", name="Single sign-on").click()
            assert "alice@acme.example" in page.inner_text("main")
            _shot(page, f"sso-admin-{width}")
            _fits(page)
            context.close()
    finally:
        support.stop(provider)
