"""In a real browser: an anonymous report, a vendor's answer, a coordinator's publication."""

from __future__ import annotations

from typing import Any

import pytest

from accord.identity.models import MemberRole
from tests.factories import PASSWORD, Factories

pytestmark = pytest.mark.browser


def _sign_in(page: Any, hub: str, username: str) -> None:
    page.goto(f"{hub}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_from_anonymous_report_to_published_advisory(
    live_hub: str, browser: Any, make: Factories
) -> None:
    make.org("Example Vendor")
    vendor_user = make.user("psirt")
    make.member(vendor_user, "example-vendor", MemberRole.MEMBER)
    make.user("coordinator", operator=True)
    errors: list[str] = []

    reporter = browser.new_context().new_page()
    reporter.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    reporter.goto(f"{live_hub}/disclosure/report")
    reporter.get_by_label("Organization").select_option("example-vendor")
    reporter.get_by_label("Title").fill("Stored XSS in the comment widget")
    reporter.get_by_label("Affected product").fill("Example Widget")
    reporter.get_by_label("Package URL (purl), if known").fill("pkg:npm/example-widget@3.0.0")
    reporter.get_by_label("Description").fill("Comments are rendered without escaping HTML.")
    reporter.get_by_label("Steps to reproduce").fill(
        "Post <img src=x onerror=alert(1)> as a comment."
    )
    reporter.get_by_label("How to credit you (empty: anonymous)").fill("A. Finder")
    reporter.get_by_role("button", name="Send the report").click()
    assert "Report received" in reporter.inner_text("h1")
    link = reporter.inner_text("#private-link")
    assert "/disclosure/follow?token=rpt_" in link
    link = live_hub + link[link.index("/disclosure/") :]  # the hub's public URL is testserver

    vendor = browser.new_context().new_page()
    vendor.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _sign_in(vendor, live_hub, "psirt")
    vendor.goto(f"{live_hub}/disclosure")
    vendor.get_by_role("link", name="new report").click()
    vendor.get_by_role("button", name="Open as a case").click()
    ref = vendor.inner_text("h1").split(":")[0]
    assert ref.startswith("ACCORD-")
    vendor.get_by_label("Status").select_option("fixed")
    vendor.get_by_label("Fixed versions (comma separated)").fill("3.0.1")
    vendor.get_by_role("button", name="Save the status").click()
    assert "fixed" in vendor.inner_text("#vendor-example-vendor")
    vendor.get_by_role("button", name="Agree to publish before the embargo").click()

    reporter.goto(link)
    assert ref in reporter.inner_text("h1")
    assert "fixed" in reporter.inner_text("main")

    coordinator = browser.new_context().new_page()
    coordinator.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _sign_in(coordinator, live_hub, "coordinator")
    coordinator.goto(f"{live_hub}/disclosure/cases/{ref}")
    coordinator.get_by_label("CVE id").fill("CVE-2026-40001")
    coordinator.get_by_role("button", name="Publish the advisory").click()
    assert f"x_{ref}" in coordinator.inner_text("main")
    assert "CVE-2026-40001" in coordinator.inner_text("main")

    reporter.goto(link)
    assert "published" in reporter.inner_text("#report-status")
    assert errors == []
