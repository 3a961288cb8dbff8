"""In a real browser: an anonymous report, a vendor's answer, a coordinator's publication."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from accord.accountability import periods
from accord.clock import utcnow
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
    coordinator.locator("details.action > summary", has_text="Publish an advisory").click()
    coordinator.get_by_label("CVE id").fill("CVE-2026-40001")
    coordinator.get_by_role("button", name="Publish the advisory").click()
    assert f"x_{ref}" in coordinator.inner_text("main")
    assert "CVE-2026-40001" in coordinator.inner_text("main")

    reporter.goto(link)
    assert "published" in reporter.inner_text("#report-status")
    assert errors == []


SECRET = "Acme only: the fix ships in 4.1.2."
SHOTS = os.environ.get("ACCORD_SCREENSHOTS")


def _shots(page: Any, name: str, tmp_path: Path) -> None:
    """Screenshots at 1280 and 390 px wide (kept where ACCORD_SCREENSHOTS says), and no
    sideways scrolling at 390 px: the page fits a phone."""
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"{name} is {wide} px wide at {width} px"
    page.set_viewport_size({"width": 1280, "height": 900})


def _open(page: Any, summary: str) -> None:
    """Unfold the action whose summary reads ``summary`` (folded until used)."""
    found = page.locator("details.action > summary", has_text=summary).first
    if found.locator("xpath=..").get_attribute("open") is None:
        found.click()


def test_two_vendors_a_narrowed_reply_and_a_vendors_own_advisory(
    live_hub: str, browser: Any, make: Factories, tmp_path: Path
) -> None:
    for name in ("Acme Widgets", "Bolt Works"):
        make.org(name)
    make.member(make.user("ann"), "acme-widgets", MemberRole.MEMBER)
    make.member(make.user("bob"), "bolt-works", MemberRole.MEMBER)
    make.user("coordinator", operator=True)
    errors: list[str] = []

    reporter = browser.new_context().new_page()
    reporter.goto(f"{live_hub}/disclosure/report")
    reporter.get_by_label("Organization").select_option("acme-widgets")
    reporter.get_by_label("Title").fill("Heap overflow in the widget parser")
    reporter.get_by_label("Affected product").fill("Acme Widget Parser")
    reporter.get_by_label("Description").fill("A long attribute overflows a fixed heap buffer.")
    reporter.get_by_label("Steps to reproduce").fill("Parse <w a='AAAA…'/> and crash.")
    reporter.get_by_label("Proof of concept").fill("python3 poc.py --length 5000")
    reporter.get_by_role("button", name="Send the report").click()
    link = reporter.inner_text("#private-link")
    link = live_hub + link[link.index("/disclosure/") :]

    ann = _signed_in(browser, live_hub, "ann", errors)
    ann.goto(f"{live_hub}/disclosure")
    ann.get_by_role("link", name="new report").click()
    ann.get_by_role("button", name="Open as a case").click()
    ref = ann.inner_text("h1").split(":")[0]
    case = f"{live_hub}/disclosure/cases/{ref}"

    coordinator = _signed_in(browser, live_hub, "coordinator", errors)
    coordinator.goto(case)
    _open(coordinator, "Invite a vendor")
    # Chosen from the list of organizations by name; the form posts what the list offers.
    coordinator.get_by_label("Invite a vendor (type", exact=False).fill("Bolt Works")
    coordinator.get_by_role("button", name="Invite", exact=True).click()
    assert "Bolt Works" in coordinator.inner_text("#vendors")
    _open(coordinator, "Write a message")
    coordinator.locator("textarea[name=body]").fill("Can every vendor confirm the versions?")
    coordinator.locator("select[name=audience]").select_option("all")
    coordinator.get_by_role("button", name="Send").click()
    everyone = coordinator.locator("#thread-all ol.messages li").last
    number = (everyone.get_attribute("id") or "").removeprefix("m")
    assert number

    # Vendor A replies under the message to everyone, narrowed to itself and the
    # coordinators (the reporter is not offered to a vendor).
    ann.goto(case)
    ann.locator(f"#m{number} a.reply").click()
    assert ann.locator("select[name=parent_id]").input_value() == number
    offered = ann.locator("select[name=audience] option").evaluate_all(
        "options => options.map(o => o.value)"
    )
    assert "reporter" not in offered
    assert "vendor:bolt-works" not in offered
    ann.locator("select[name=audience]").select_option("vendor:acme-widgets")
    ann.locator("textarea[name=body]").fill(SECRET)
    ann.get_by_role("button", name="Send").click()
    assert SECRET in ann.inner_text("#thread-vendor-acme-widgets")
    assert SECRET not in ann.inner_text("#thread-all")

    bob = _signed_in(browser, live_hub, "bob", errors)
    bob.goto(case)
    seen = bob.inner_text("main")
    assert "Can every vendor confirm the versions?" in seen
    assert SECRET not in seen
    assert SECRET not in bob.content()
    assert bob.locator("#thread-vendor-acme-widgets").count() == 0
    # Vendor B is not affected: it holds no embargo, and says so from its own form.
    bob.locator("#answer-bolt-works select[name=status]").select_option("not_affected")
    bob.locator("#answer-bolt-works").get_by_role("button", name="Save the status").click()
    # Without a VEX justification: refused beside the field (a 422), the choice kept.
    assert "justification" in bob.inner_text("#answer-bolt-works .error >> nth=-1")
    assert [e for e in errors if "422" not in e] == []
    errors.clear()
    assert bob.locator("#answer-bolt-works select[name=status]").input_value() == "not_affected"
    bob.locator("#answer-bolt-works select[name=justification]").select_option(
        "component_not_present"
    )
    bob.locator("#answer-bolt-works").get_by_role("button", name="Save the status").click()
    assert "not affected" in bob.inner_text("#vendor-bolt-works")
    reporter.goto(link)
    assert SECRET not in reporter.content()

    # Vendor A is affected, agrees to publish early and publishes its own advisory.
    ann.goto(case)
    ann.locator("#answer-acme-widgets select[name=status]").select_option("affected")
    ann.locator("#answer-acme-widgets input[name=affected_versions]").fill("4.0, 4.1.1")
    ann.locator("#answer-acme-widgets").get_by_role("button", name="Save the status").click()
    # The form shows what is stored, so saving it again loses nothing.
    assert ann.locator("#answer-acme-widgets select[name=status]").input_value() == "affected"
    assert (
        "4.0, 4.1.1"
        in ann.locator("#answer-acme-widgets input[name=affected_versions]").input_value()
    )
    ann.locator("#answer-acme-widgets").get_by_role(
        "button", name="Agree to publish before the embargo"
    ).click()
    assert "Publication: the embargo has passed, or every vendor" in ann.inner_text("#waiting")
    _shots(ann, "case-vendor", tmp_path)
    coordinator.goto(case)
    _shots(coordinator, "case-coordinator", tmp_path)
    reporter.goto(link)
    _shots(reporter, "follow-reporter", tmp_path)
    # The same case page in Spanish: the page's own words are Spanish.
    spanish = browser.new_context()
    ann_es = spanish.new_page()
    _sign_in(ann_es, live_hub, "ann")
    ann_es.goto(f"{live_hub}/disclosure/cases/{ref}")
    # The language switch is a form (POST with the CSRF token) that comes back to the page.
    ann_es.locator("footer button[value=es]").click()
    ann_es.wait_for_url(f"**/disclosure/cases/{ref}")
    text = ann_es.inner_text("main")
    for word in ("Resumen", "Qué espera a quién", "Todos los participantes del caso", "Acciones"):
        assert word in text, word
    for english in (
        "Overview",
        "What is waiting on whom",
        "Everyone in the case",
        "Write a message",
    ):
        assert english not in text, english
    _shots(ann_es, "case-vendor-es", tmp_path)
    spanish.close()

    _open(ann, "Publish an advisory")
    ann.locator("#publish-form select[name=vendor]").select_option("acme-widgets")
    ann.get_by_label("CVE id").fill("CVE-2026-40002")
    ann.get_by_role("button", name="Publish the advisory").click()
    ident = f"x_{ref}-acme-widgets"
    assert ann.url.endswith(f"/advisories/{ident}")
    assert "CVE-2026-40002" in ann.inner_text("main")
    ann.goto(f"{live_hub}/orgs/acme-widgets/advisories")
    assert ident in ann.inner_text("main")
    # Counted in Acme's progress figures (live for the running month).
    month = periods.of(periods.PeriodKind.MONTH, utcnow()).key
    ann.goto(f"{live_hub}/accountability/signatories/acme-widgets?period={month}")
    row = ann.locator("tr", has=ann.locator("a[href$='#advisories_published']"))
    assert row.locator("td").first.inner_text().strip() == "1"
    assert ident in row.inner_text()
    assert errors == []


def _signed_in(browser: Any, hub: str, username: str, errors: list[str]) -> Any:
    page = browser.new_context().new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _sign_in(page, hub, username)
    return page
