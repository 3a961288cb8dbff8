"""In a real browser: an organization applies, an operator approves, the public list shows it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import PASSWORD, Factories

pytestmark = pytest.mark.browser


def _watch_console(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


def test_apply_approve_and_appear_on_the_public_list(
    live_hub: str, browser: Any, make: Factories
) -> None:
    make.user("hubop", operator=True)

    # An applicant, without an account, fills the public form.
    applicant = browser.new_context().new_page()
    applicant_errors = _watch_console(applicant)
    applicant.goto(f"{live_hub}/signatories")
    assert "Example Security GmbH" not in applicant.inner_text("main")
    applicant.get_by_role("link", name="Apply to join").click()
    applicant.get_by_label("Name", exact=True).fill("Example Security GmbH")
    applicant.get_by_label("Joins as").select_option("signatory")
    applicant.get_by_label("Type").select_option("vendor")
    applicant.get_by_label("Country (two-letter ISO code)").fill("DE")
    applicant.get_by_label("Website").fill("https://security.example")
    applicant.get_by_label("Security contact (email or https:// URI)").fill(
        "psirt@security.example"
    )
    applicant.get_by_label("Your name").fill("Applicant Person")
    applicant.get_by_label("Your email").fill("applicant@security.example")
    applicant.get_by_label("On behalf of the organization").check()
    applicant.get_by_role("button", name="Apply").click()
    assert "Application received" in applicant.inner_text("h1")

    # An operator signs in and approves it.
    operator = browser.new_context().new_page()
    operator_errors = _watch_console(operator)
    operator.goto(f"{live_hub}/login")
    operator.get_by_label("Username").fill("hubop")
    operator.get_by_label("Password").fill(PASSWORD)
    operator.get_by_role("button", name="Sign in").click()
    # Signed in, the operator lands on the dashboard, which names the application waiting.
    card = operator.locator("section.card", has_text="Applications to join")
    assert "Example Security GmbH" in card.inner_text()
    operator.get_by_role("link", name="Applications", exact=True).click()
    operator.get_by_role("link", name="Example Security GmbH").click()
    operator.get_by_role("button", name="Approve").click()
    assert "Example Security GmbH has joined" in operator.inner_text("h1")

    # The public list, seen by the anonymous applicant, now names the new signatory.
    applicant.goto(f"{live_hub}/signatories")
    row = applicant.get_by_role("row", name="Example Security GmbH")
    assert row.count() == 1
    assert "DE" in row.inner_text()
    applicant.get_by_role("link", name="Example Security GmbH").click()
    assert "Example Security GmbH" in applicant.inner_text("h1")
    assert applicant_errors == []
    assert operator_errors == []
