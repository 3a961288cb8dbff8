"""The case page's vendor answer, embargo and publication forms as people use them: an
answer form shows the vendor's current answer (saving it again keeps it), "Accept the
embargo" gives way to the acceptance once given, and a mistake re-shows the form with what
was typed and the reason beside the field instead of a dead-end error page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html.parser import HTMLParser

from fastapi.testclient import TestClient
from sqlalchemy import update

from accord.clock import utcnow
from accord.db import unit_of_work
from accord.disclosure.models import DisclosureCase
from accord.web.i18n import Viewer, format_when
from tests.disclosure.world import World
from tests.factories import Factories, sign_in


@dataclass
class Form:
    """One form of a page: where it posts, its fields as a browser would send them, its
    submit buttons, and the error lines inside it (by field)."""

    action: str
    ident: str | None
    fields: dict[str, str] = field(default_factory=dict)
    buttons: dict[str, str] = field(default_factory=dict)  # value -> label
    errors: dict[str, str] = field(default_factory=dict)
    text: str = ""


class Forms(HTMLParser):
    """Every form of a page, read as a browser would fill it in."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._first: bool = False
        self._text: str | None = None  # the textarea, button or error being read
        self._button: str = ""
        self._error: str = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(action=a.get("action", ""), ident=a.get("id"))
            self.forms.append(self._form)
        form = self._form
        if form is None:
            return
        if tag == "input" and a.get("name"):
            form.fields[a["name"]] = a.get("value", "")
        elif tag == "textarea":
            self._text, self._button = "textarea", a["name"]
            form.fields[a["name"]] = ""
        elif tag == "select":
            self._select, self._first = a["name"], True
        elif tag == "option" and self._select:
            if self._first or "selected" in a:
                form.fields[self._select] = a.get("value", "")
            self._first = False
        elif tag == "button" and a.get("type") == "submit":
            self._text, self._button = "button", a.get("value", "")
            form.buttons[self._button] = ""
        elif tag == "p" and "error" in a.get("class", ""):
            self._text, self._error = "error", a.get("id", "form-error").removesuffix("-error")
            form.errors[self._error] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag in ("textarea", "button", "p"):
            self._text = None

    def handle_data(self, data: str) -> None:
        form = self._form
        if form is None:
            return
        form.text += data
        if self._text == "textarea":
            form.fields[self._button] += data
        elif self._text == "button":
            form.buttons[self._button] += data
        elif self._text == "error":
            form.errors[self._error] += data

    def find(self, action_end: str, **fields: str) -> Form:
        """The form posting to a path ending in ``action_end`` with these field values."""
        found = [
            f
            for f in self.forms
            if f.action.endswith(action_end)
            and all(f.fields.get(k) == v for k, v in fields.items())
        ]
        assert len(found) == 1, [f.action for f in self.forms]
        return found[0]


def _page(client: TestClient, world: World) -> Forms:
    response = client.get(f"/disclosure/cases/{world.case_id}")
    assert response.status_code == 200
    return Forms(response.text)


def test_the_answer_form_shows_the_current_answer_and_saving_again_keeps_it(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.open_case(client)
    world.state(
        client,
        "vendor-a",
        "fixed",
        statement="Fixed in 2.2.0; upgrade.",
        purl="pkg:pypi/example-shop",
        affected_versions=["2.1.0"],
        fixed_versions=["2.2.0"],
    )
    sign_in(client, world.people["vendor_a"])
    form = _page(client, world).find("/vendor-answer", vendor="vendor-a")
    assert form.fields["status"] == "fixed"
    assert form.fields["statement"] == "Fixed in 2.2.0; upgrade."
    assert form.fields["purl"] == "pkg:pypi/example-shop"
    assert form.fields["fixed_versions"] == "2.2.0"
    saved = client.post(
        form.action, data={**form.fields, "answer": "status"}, follow_redirects=False
    )
    assert saved.status_code == 303
    vendor = next(
        v
        for v in client.get(
            f"/api/v1/disclosure/cases/{world.case_id}", headers=world.headers("vendor_a")
        ).json()["vendors"]
        if v["organization"] == "vendor-a"
    )
    assert vendor["status"] == "fixed"
    assert vendor["statement"] == "Fixed in 2.2.0; upgrade."
    assert vendor["fixed_versions"] == ["2.2.0"]
    assert vendor["affected_versions"] == ["2.1.0"]


def test_accept_the_embargo_gives_way_to_the_acceptance_with_its_moment(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.open_case(client)
    world.embargo(client)
    sign_in(client, world.people["vendor_a"])
    form = _page(client, world).find("/vendor-answer", vendor="vendor-a")
    assert "accept-embargo" in form.buttons
    accepted = client.post(
        form.action, data={**form.fields, "answer": "accept-embargo"}, follow_redirects=False
    )
    assert accepted.status_code == 303
    form = _page(client, world).find("/vendor-answer", vendor="vendor-a")
    assert "accept-embargo" not in form.buttons
    proposed = client.get(
        f"/api/v1/disclosure/cases/{world.case_id}", headers=world.headers("vendor_a")
    ).json()["embargo_proposed_at"]
    # Written as every moment on the pages is (the one formatter, the viewer's zone: UTC here).
    moment = format_when(datetime.fromisoformat(proposed), Viewer("en", "UTC"))
    assert f"Accepted the proposed embargo ({moment})" in form.text


def test_an_embargo_in_the_past_re_shows_the_form_with_the_error_and_the_input(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.open_case(client)
    sign_in(client, world.people["vendor_a"])
    form = _page(client, world).find("/embargo")
    sent = {**form.fields, "embargo_at": "2001-02-03T04:05", "reason": "the fix ships Monday"}
    response = client.post(form.action, data=sent)
    assert response.status_code == 422
    again = Forms(response.text).find("/embargo")
    assert again.fields["embargo_at"] == "2001-02-03T04:05"
    assert again.fields["reason"] == "the fix ships Monday"
    assert "must end in the future" in again.errors["embargo_at"]
    # Nothing was proposed.
    case = client.get(
        f"/api/v1/disclosure/cases/{world.case_id}", headers=world.headers("vendor_a")
    ).json()
    assert case["embargo_proposed_at"] is None


def test_an_early_publication_re_shows_the_form_with_the_embargo_beside_it(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.open_case(client)
    world.state(client, "vendor-a", "affected")
    world.agreed_embargo(client)
    sign_in(client, world.people["vendor_a"])
    form = _page(client, world).find("/publish")
    sent = {**form.fields, "summary": "SQL injection in search", "cwe_ids": "CWE-89"}
    response = client.post(form.action, data=sent)
    assert response.status_code == 409
    again = Forms(response.text).find("/publish")
    assert again.fields["summary"] == "SQL injection in search"
    assert again.fields["cwe_ids"] == "CWE-89"
    assert "under embargo until" in again.errors["embargo_at"]
    # After the embargo the same form publishes, as vendor A's own advisory.
    with unit_of_work(make.factory) as db:
        db.execute(
            update(DisclosureCase)
            .where(DisclosureCase.ref == world.case_id)
            .values(embargo_at=utcnow() - timedelta(minutes=1))
        )
    published = client.post(form.action, data=sent, follow_redirects=False)
    assert published.status_code == 303
    assert published.headers["location"].endswith("-vendor-a")


def test_a_malformed_field_is_named_beside_it_and_nothing_is_published(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.open_case(client)
    world.state(client, "vendor-a", "affected")
    world.agreed_embargo(client)
    with unit_of_work(make.factory) as db:
        db.execute(
            update(DisclosureCase)
            .where(DisclosureCase.ref == world.case_id)
            .values(embargo_at=utcnow() - timedelta(minutes=1))
        )
    sign_in(client, world.people["coordinator"])
    form = _page(client, world).find("/publish")
    response = client.post(form.action, data={**form.fields, "cvss_v3": "not a vector"})
    assert response.status_code == 422
    again = Forms(response.text).find("/publish")
    assert again.fields["cvss_v3"] == "not a vector"
    assert again.errors, response.text[-2000:]
    case = client.get(
        f"/api/v1/disclosure/cases/{world.case_id}", headers=world.headers("coordinator")
    ).json()
    assert case["status"] == "open"
