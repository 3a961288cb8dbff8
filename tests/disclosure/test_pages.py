"""The disclosure pages as people see them: the report form after a mistake, each vendor's
status on the case page, the embargo in the viewer's time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from accord.disclosure import timezones
from accord.web.i18n import Viewer, format_when
from tests.disclosure.world import REPORT, World
from tests.factories import Factories, csrf_of, sign_in


class Page(HTMLParser):
    """What a test reads from a page: form values by name, text by element id, error lines."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self.text: dict[str, str] = {}
        self.errors: dict[str, str] = {}
        self._open: list[tuple[str, str | None, str]] = []  # (tag, id, text so far)
        self._textarea: str | None = None
        self._select: str | None = None  # the select whose options are read
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("name") and found.get("type") != "file":
            self.values[found["name"] or ""] = found.get("value") or ""
        if tag == "textarea":
            self._textarea = found.get("name")
            self.values[self._textarea or ""] = ""
        if tag == "select":
            self._select = found.get("name")
        if tag == "option" and self._select and "selected" in found:
            self.values[self._select] = found.get("value") or ""
        if tag not in ("input", "br", "option", "meta", "link"):
            self._open.append((tag, found.get("id"), ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        if tag == "select":
            self._select = None
        while self._open:
            name, ident, text = self._open.pop()
            if self._open:  # the text belongs to the enclosing element too
                outer = self._open[-1]
                self._open[-1] = (outer[0], outer[1], outer[2] + text)
            if ident:
                self.text[ident] = " ".join(text.split())
                if ident.endswith("-error"):
                    self.errors[ident.removesuffix("-error")] = self.text[ident]
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data
        if self._open:
            tag, ident, text = self._open[-1]
            self._open[-1] = (tag, ident, text + data)


def test_the_report_form_shows_each_mistake_by_field_and_keeps_what_was_typed(
    client: TestClient, make: Factories
) -> None:
    make.org("Vendor A")
    token = csrf_of(client.get("/disclosure/report").text)
    typed = {
        **REPORT,
        "purl": "not-a-purl",
        "steps_to_reproduce": "see attached",  # under the structured minimum
        "csrf_token": token,
    }
    sent = client.post(
        "/disclosure/report",
        data=typed,
        files={"files": ("poc.txt", b"curl http://localhost/search", "text/plain")},
    )
    assert sent.status_code == 422
    page = Page(sent.text)
    assert set(page.errors) == {"purl", "steps_to_reproduce"}
    # Beside its field, a mistake is said without the field's internal name.
    assert page.errors["purl"].startswith("not a package URL")
    assert page.errors["steps_to_reproduce"] == "Write at least 20 characters."
    for name in ("title", "product", "versions", "credit", "contact", "purl"):
        assert page.values[name] == typed[name], name
    for name in ("description", "steps_to_reproduce", "proof_of_concept", "impact"):
        assert page.values[name].strip() == typed[name].strip(), name
    assert "poc.txt" not in sent.text  # a file is never kept: it is chosen again
    assert 'name="organization"' in sent.text
    assert '<option value="vendor-a" selected' in sent.text
    # Corrected, the same form goes through.
    fixed = {**typed, "purl": REPORT["purl"], "steps_to_reproduce": REPORT["steps_to_reproduce"]}
    assert client.post("/disclosure/report", data=fixed).status_code == 201


def test_no_reply_is_never_shown_as_not_affected(client: TestClient, make: Factories) -> None:
    world = World.build(make)
    world.open_case(client)
    stated = client.put(
        f"/api/v1/disclosure/cases/{world.case_id}/vendors/vendor-a/status",
        json={"status": "not_affected", "justification": "vulnerable_code_not_present"},
        headers=world.headers("vendor_a"),
    )
    assert stated.status_code == 200, stated.text
    for role in ("coordinator", "vendor_a", "vendor_b"):
        client.cookies.clear()
        sign_in(client, world.people[role])
        page = Page(client.get(f"/disclosure/cases/{world.case_id}").text)
        silent, answered = page.text["vendor-vendor-b"], page.text["vendor-vendor-a"]
        assert "no reply yet" in silent, role
        assert "not affected" not in silent, role
        assert "not affected (the vulnerable code is not in the product)" in answered, role


def test_the_embargo_is_shown_in_the_viewers_zone_with_the_zone_named(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.open_case(client)
    moment = datetime(2099, 7, 1, 10, 0, tzinfo=UTC)
    proposed = client.put(
        f"/api/v1/disclosure/cases/{world.case_id}/embargo",
        json={"embargo_at": "2099-07-01T19:00:00+09:00"},  # the same moment, from Tokyo
        headers=world.headers("coordinator"),
    )
    assert proposed.status_code == 200, proposed.text
    # Both vendors accept it: the embargo in force is what the page shows.
    world.accept(client, "vendor_a", "vendor-a", "2099-07-01T10:00:00Z")
    world.accept(client, "vendor_b", "vendor-b", "2099-07-01T10:00:00Z")
    chosen = client.put(
        "/api/v1/disclosure/time-zone",
        json={"time_zone": "Europe/Berlin"},
        headers=world.headers("vendor_a"),
    )
    assert chosen.status_code == 200, chosen.text

    def embargo_as(role: str, cookie: str | None = None) -> str:
        client.cookies.clear()
        sign_in(client, world.people[role])
        if cookie:
            client.cookies.set(timezones.COOKIE, cookie)
        shown = Page(client.get(f"/disclosure/cases/{world.case_id}").text).text["embargo"]
        return shown.replace("\u202f", " ")  # CLDR's narrow space before AM/PM, as typed

    berlin = moment.astimezone(ZoneInfo("Europe/Berlin"))
    # One format everywhere: web.i18n.format_when, the zone named.
    assert embargo_as("vendor_a") == format_when(moment, Viewer("en", "Europe/Berlin")).replace(
        "\u202f", " "
    )
    assert embargo_as("vendor_a") == "Jul 1, 2099, 12:00 PM Europe/Berlin"
    assert berlin.hour == 12  # summer time: UTC+2
    # No preference: the zone chosen in this browser, else UTC, named as such.
    assert embargo_as("vendor_b", "America/New_York") == ("Jul 1, 2099, 6:00 AM America/New_York")
    assert embargo_as("coordinator") == "Jul 1, 2099, 10:00 AM UTC"
    # A signed-in user's preference wins over the cookie.
    assert embargo_as("vendor_a", "America/New_York").endswith(" Europe/Berlin")
