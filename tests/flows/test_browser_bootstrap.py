"""In a real browser: the first operator uses the one-time link, then signs out and in."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.identity import bootstrap
from tests.flows import axe

pytestmark = pytest.mark.browser


def test_first_operator_bootstraps_and_signs_in(
    live_hub: str,
    browser: Any,
    session_factory: sessionmaker[Session],
    settings: Settings,
    axe_source: str,
) -> None:
    with unit_of_work(session_factory) as db:
        secret = bootstrap.issue_bootstrap(db, settings=settings)
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_hub}/bootstrap?token={secret}")
    axe.check(page, axe_source)  # axe-core on every page of the journey, every impact
    page.get_by_label("Username").fill("firstop")
    page.get_by_label("Email").fill("firstop@example.org")
    page.get_by_label("Password (12 characters or more)").fill("a long enough password")
    page.get_by_role("button", name="Create operator").click()
    # The first operator lands on the dashboard, whose checklist says what is left to do.
    page.wait_for_url(f"{live_hub}/admin")
    axe.check(page, axe_source)
    checklist = page.locator("#checklist").inner_text()
    assert "Create the first operator account (done)" in checklist
    assert "Configure email (to do)" in checklist
    assert "Load advisories (to do)" in checklist
    assert "accord demo" in checklist
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_hub}/")
    axe.check(page, axe_source)
    page.get_by_role("link", name="Sign in").click()
    page.wait_for_url(f"{live_hub}/login")
    axe.check(page, axe_source)
    page.get_by_label("Username").fill("firstop")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_hub}/admin")
    axe.check(page, axe_source)
    assert page.get_by_role("link", name="Audit log").is_visible()
    page.get_by_role("link", name="Audit log").click()
    assert "user.bootstrap" in page.inner_text("main")
    axe.check(page, axe_source)
    # The strict CSP blocked nothing the page needs: no console errors, stylesheet applied.
    assert errors == []
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"
