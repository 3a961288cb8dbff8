"""In a real browser, the journey that once leaked: a vendor's reply "to the reporter" under
a message to everyone. The form does not offer the reporter to a vendor; forced in anyway,
the page refuses it beside the audience with the text kept, and the other vendor never
reads it. A reply left to its thread's audience reaches the thread's readers."""

from __future__ import annotations

from typing import Any

import pytest

from accord.identity.models import MemberRole
from tests.factories import PASSWORD, Factories

pytestmark = pytest.mark.browser

SECRET = "For the reporter only: the fix ships in 4.1.2."


def _signed_in(browser: Any, hub: str, username: str, **options: Any) -> Any:
    page = browser.new_context(**options).new_page()
    page.goto(f"{hub}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    return page


def _unfold(page: Any, summary: str) -> None:
    """Open the folded action whose summary reads ``summary``."""
    page.locator("details.action > summary", has_text=summary).first.click()


def test_a_reply_for_the_reporter_never_reaches_the_other_vendor(
    live_hub: str, browser: Any, make: Factories
) -> None:
    for name in ("Acme Widgets", "Bolt Works"):
        make.org(name)
    make.member(make.user("ann"), "acme-widgets", MemberRole.MEMBER)
    make.member(make.user("bob"), "bolt-works", MemberRole.MEMBER)
    make.user("coordinator", operator=True)

    reporter = browser.new_context().new_page()
    reporter.goto(f"{live_hub}/disclosure/report")
    reporter.get_by_label("Organization").select_option("acme-widgets")
    reporter.get_by_label("Title").fill("Heap overflow in the widget parser")
    reporter.get_by_label("Affected product").fill("Acme Widget Parser")
    reporter.get_by_label("Description").fill("A long attribute overflows a fixed heap buffer.")
    reporter.get_by_label("Steps to reproduce").fill("Parse <w a='AAAA…(5000 times)'/> and crash.")
    reporter.get_by_label("Your contact (email), optional").fill("r.searcher@mail.example")
    reporter.get_by_role("button", name="Send the report").click()
    assert "Report received" in reporter.inner_text("h1")

    acme = _signed_in(browser, live_hub, "ann", bypass_csp=True)
    acme.goto(f"{live_hub}/disclosure")
    acme.get_by_role("link", name="new report").click()
    acme.get_by_role("button", name="Open as a case").click()
    ref = acme.inner_text("h1").split(":")[0]
    case = f"{live_hub}/disclosure/cases/{ref}"
    # The reporter's contact stays with the coordinators: the reporter did not share it.
    assert "r.searcher@mail.example" not in acme.inner_text("main")

    coordinator = _signed_in(browser, live_hub, "coordinator")
    coordinator.goto(case)
    _unfold(coordinator, "Invite a vendor")
    coordinator.get_by_label("Invite a vendor", exact=False).fill("Bolt Works")
    coordinator.get_by_role("button", name="Invite").click()
    _unfold(coordinator, "Write a message")
    coordinator.locator("textarea[name=body]").fill("Can every vendor confirm the versions?")
    coordinator.locator("select[name=audience]").select_option("all")
    coordinator.get_by_role("button", name="Send").click()
    to_everyone = coordinator.locator("ol.messages li").last.get_attribute("id")
    assert to_everyone is not None
    number = to_everyone.removeprefix("m")

    acme.goto(case)
    offered = acme.locator("select[name=audience] option").evaluate_all(
        "options => options.map(o => o.value)"
    )
    assert "reporter" not in offered
    _unfold(acme, "Write a message")
    # Forced in anyway (an old form, a crafted post): refused beside the field, text kept.
    acme.locator("select[name=audience]").evaluate(
        "s => s.add(new Option('the reporter', 'reporter'))"
    )
    acme.locator("textarea[name=body]").fill(SECRET)
    acme.locator("select[name=audience]").select_option("reporter")
    acme.locator("select[name=parent_id]").select_option(number)  # picked, not typed
    acme.get_by_role("button", name="Send").click()
    assert "you may not write to the audience reporter" in acme.inner_text("#audience-error")
    assert acme.locator("textarea[name=body]").input_value().strip() == SECRET
    assert acme.locator("select[name=parent_id]").input_value() == number
    # Left to the thread's audience, the reply reaches the thread's readers.
    acme.locator("textarea[name=body]").fill("Acme: versions 4.0 to 4.1.1 are affected.")
    acme.locator("select[name=audience]").select_option("")
    acme.get_by_role("button", name="Send").click()

    bolt = _signed_in(browser, live_hub, "bob")
    bolt.goto(case)
    seen = bolt.inner_text("main")
    assert "Acme: versions 4.0 to 4.1.1 are affected." in seen
    assert SECRET not in seen
    assert "r.searcher@mail.example" not in seen
    coordinator.goto(case)
    assert SECRET not in coordinator.inner_text("main")
