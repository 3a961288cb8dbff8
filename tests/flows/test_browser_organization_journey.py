"""In a real browser: an organization's admin invites a colleague, who joins by the link,
writes an advisory in the editor (rows, CVSS calculator, CWE picker, preview) and publishes it.

Screenshots of the members page, the editor and its preview are written at 1280 and 390 px
to ``ACCORD_SCREENSHOTS`` when it is set, for a person to look at.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from accord.identity.models import MemberRole
from tests.factories import PASSWORD, Factories
from tests.flows import axe

pytestmark = pytest.mark.browser

WIDTHS = (1280, 390)


def _shots(page: Any, name: str) -> None:
    folder = os.environ.get("ACCORD_SCREENSHOTS")
    if not folder:
        return
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(Path(folder) / f"{name}-{width}.png"), full_page=True)
        # Nothing wider than the screen: a phone scrolls down, never sideways.
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{name} is {overflow}px wider than {width}px"
    page.set_viewport_size({"width": 1280, "height": 900})


def _errors(page: Any) -> list[str]:
    found: list[str] = []
    page.on("console", lambda msg: found.append(msg.text) if msg.type == "error" else None)
    return found


def test_invite_join_write_and_publish(
    live_hub: str, browser: Any, make: Factories, axe_source: str
) -> None:
    def accessible(page: Any) -> None:  # axe-core on every page of the journey, every impact
        axe.check(page, axe_source)

    slug = make.org("Acme Security")
    make.member(make.user("acme-admin"), slug, MemberRole.ADMIN)

    admin = browser.new_context().new_page()
    admin_errors = _errors(admin)
    admin.goto(f"{live_hub}/login")
    accessible(admin)
    admin.get_by_label("Username").fill("acme-admin")
    admin.get_by_label("Password").fill(PASSWORD)
    admin.get_by_role("button", name="Sign in").click()
    admin.goto(f"{live_hub}/orgs/{slug}/members")
    accessible(admin)
    admin.get_by_label("Email address").fill("colleague@acme.example")
    admin.get_by_label("Member: sees the organization").check()
    admin.get_by_role("button", name="Send invitation").click()
    link = admin.locator("#new-invitation-link").inner_text().strip()
    assert "/invitations/accept?token=inv_" in link
    _shots(admin, "members-invited")
    accessible(admin)  # the link shown once
    assert "colleague@acme.example" in admin.locator("#invitation-list").inner_text()

    # The colleague opens the link in a browser of their own and creates an account.
    colleague = browser.new_context().new_page()
    colleague_errors = _errors(colleague)
    # The hub's public address in tests is not the live server's: the path is what counts.
    colleague.goto(live_hub + link[link.index("/invitations/") :])
    assert "Join Acme Security" in colleague.inner_text("h1")
    accessible(colleague)
    _shots(colleague, "invitation")
    colleague.get_by_label("Username").fill("colleague")
    colleague.get_by_label("Password").fill("password1234")
    colleague.get_by_role("button", name="Create account and join").click()
    # A common password is refused beside the field; the username stays.
    assert colleague.locator("#password-error").count() == 1
    assert colleague.get_by_label("Username").input_value() == "colleague"
    accessible(colleague)  # the form with its mistake beside the field
    colleague.get_by_label("Password").fill("lantern orbit cactus ferry")
    colleague.get_by_role("button", name="Create account and join").click()
    assert colleague.url.endswith(f"/orgs/{slug}")
    accessible(colleague)

    # The colleague writes an advisory in the editor.
    colleague.goto(f"{live_hub}/orgs/{slug}/advisories/new")
    accessible(colleague)
    editor = colleague.locator("#advisory-editor")
    editor.get_by_label("Summary (one line, for specialists)").fill("Path traversal in acme-sync")
    editor.get_by_label("In plain words").fill("Update acme-sync to 2.4.1.")
    editor.get_by_label("Details (Markdown").fill(
        "A crafted **archive** writes outside its folder."
    )
    editor.locator('select[name="range-0-ecosystem"]').select_option("PyPI")
    editor.locator('input[name="range-0-package"]').fill("acme-sync")
    editor.locator('input[name="range-0-introduced"]').fill("2.0")
    editor.locator('input[name="range-0-fixed"]').fill("2.4.1")
    editor.get_by_role("button", name="Add a range").click()
    assert colleague.locator('input[name="range-1-package"]').input_value() == "acme-sync"
    accessible(colleague)
    colleague.locator('input[name="range-1-fixed"]').fill("1.9.7")
    v3 = colleague.locator("#cvss_v3")
    for metric, value in (
        ("AV", "N"),
        ("AC", "L"),
        ("PR", "N"),
        ("UI", "N"),
        ("S", "U"),
        ("C", "H"),
        ("I", "H"),
        ("A", "N"),
    ):
        v3.locator(f'input[name="v3-{metric}"][value="{value}"]').check()
    colleague.locator('input[name="cwe-0"]').fill("CWE-22")
    colleague.get_by_role("button", name="Preview").click()
    preview = colleague.locator("#preview")
    assert "Path traversal in acme-sync" in preview.inner_text()
    assert "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N" in preview.inner_text()
    assert "9.1" in colleague.locator("#score-v3").inner_text()
    assert preview.locator("strong", has_text="archive").count() == 1
    _shots(colleague, "editor-preview")
    accessible(colleague)
    colleague.locator("#advisory-editor").get_by_role(
        "button", name="Save draft", exact=True
    ).last.click()
    assert "Publish the draft" in colleague.inner_text("main")
    assert "critical" in colleague.inner_text("main").lower()
    accessible(colleague)
    colleague.get_by_role("button", name="Publish the draft").click()
    osv_id = colleague.url.rsplit("/", 1)[1]

    # Anyone now reads it.
    reader = browser.new_context().new_page()
    reader.goto(f"{live_hub}/advisories/{osv_id}")
    assert "Path traversal in acme-sync" in reader.inner_text("h1")
    assert "CWE-22" in reader.inner_text("main")
    accessible(reader)
    assert admin_errors == []
    # The one refusal was the weak password's, a 422 the browser logs as a failed load.
    assert [e for e in colleague_errors if "422" not in e] == []
