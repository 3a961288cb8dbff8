"""The public pages in chromium: axe-core finds no serious or critical violation, in English and
Spanish, and a keyboard alone can reach the navigation and fill and send a form.

axe-core comes from npm: it is installed once into a cache folder outside the checkout (never
committed). Without npm or the registry the tests skip, except under ACCORD_REQUIRE_BROWSER.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import Factories

pytestmark = pytest.mark.browser

AXE_PACKAGE = "axe-core@4"
AXE_CACHE = Path(tempfile.gettempdir()) / "accord-test-axe-core"
LANGUAGES = {"en": "en-GB", "es": "es-ES"}
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


def _unavailable(reason: str) -> None:
    if os.environ.get("ACCORD_REQUIRE_BROWSER"):
        pytest.fail(f"ACCORD_REQUIRE_BROWSER is set but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's browser script, installed from npm on first use."""
    script = AXE_CACHE / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        npm = shutil.which("npm")
        if npm is None:
            _unavailable("npm is missing (apt-get install npm) to fetch axe-core")
        done = subprocess.run(
            [npm, "install", "--prefix", str(AXE_CACHE), "--no-audit", "--no-fund", AXE_PACKAGE],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0 or not script.exists():
            _unavailable(f"npm could not install {AXE_PACKAGE}: {done.stderr.strip()[-500:]}")
    return script.read_text()


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
        "/log",
        "/log/entries/0",
        "/login",
        "/sharing/lookup?values=203.0.113.9%0Aexample.org",
        "/preferences",
        "/signatories/no-such-org",  # the error page
    ]


@pytest.fixture
def pages_to_check(client: TestClient, make: Factories) -> list[str]:
    return _public_pages(*_publish(client, make))


def _serious(results: dict[str, Any]) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_public_pages_pass_axe_core(
    live_hub: str, browser: Any, axe_source: str, pages_to_check: list[str], language: str
) -> None:
    # The hub's CSP forbids inline scripts: the test context alone lets axe's script in.
    context = browser.new_context(locale=LANGUAGES[language], bypass_csp=True)
    page = context.new_page()
    found: dict[str, list[str]] = {}
    for path in pages_to_check:
        response = page.goto(f"{live_hub}{path}")
        assert response.status == (404 if "no-such" in path else 200), path
        assert page.get_attribute("html", "lang") == language, path
        page.add_script_tag(content=axe_source)
        results = page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})"
        )
        if problems := _serious(results):
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
