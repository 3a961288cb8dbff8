"""The editor keeps what a record's affected packages say: the range type (SEMVER stays
SEMVER), several ranges of one package, and what an entry holds beside its ranges; a real
record of the Go vulnerability database goes through the editor and comes back unchanged."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.advisories import documents, editor, services
from accord.advisories.models import Advisory
from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.models import MemberRole
from accord.identity.services import get_org
from tests.advisories.conftest import import_path, signed_in
from tests.factories import Factories
from tests.thirdparty import GO_VULNS


class _Form(HTMLParser):
    """What a browser sends for the editor's form as drawn: inputs with their values,
    checked boxes only, each select's chosen option, textareas' text."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside = form_id, False
        self.sent: dict[str, str] = {}
        self._select: str | None = None
        self._first: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        name = a.get("name", "")
        if tag == "input" and name and a.get("type") not in ("submit", "checkbox", "radio"):
            self.sent[name] = a.get("value", "")
        elif tag == "input" and name and "checked" in a:
            self.sent[name] = a.get("value", "on")
        elif tag == "select":
            self._select, self._first = name, None
        elif tag == "option" and self._select:
            if self._first is None:
                self._first = a.get("value", "")
                self.sent.setdefault(self._select, self._first)
            if "selected" in a:
                self.sent[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            self.sent[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self.inside = False

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.sent[self._textarea] += data


def _sent(html: str) -> dict[str, str]:
    form = _Form("advisory-editor")
    form.feed(html)
    return form.sent


def _original(osv_id: str) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((GO_VULNS / f"{osv_id}.json").read_text())
    return record


def _save(
    client: TestClient, sessions: sessionmaker[Session], osv_id: str, sent: dict[str, str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The editor's form saved as it was sent back: the draft kept, and the stored document."""
    saved = client.post(
        f"/advisories/{osv_id}/edit", data={**sent, "intent": "save"}, follow_redirects=False
    )
    assert saved.status_code == 303, re.findall(r"class=\"error\"[^<]*>[^<]*", saved.text)
    with unit_of_work(sessions) as db:
        advisory = db.scalar(select(Advisory).where(Advisory.osv_id == osv_id))
        assert advisory is not None
        draft = services.draft_of(advisory)
        assert draft is not None
        return draft, documents.loads(advisory.document or "{}")


@pytest.mark.parametrize("osv_id", ["GO-2022-0969", "GO-2021-0113"])
def test_a_go_record_goes_through_the_editor_unchanged(
    client: TestClient,
    make: Factories,
    session_factory: sessionmaker[Session],
    settings: Settings,
    osv_id: str,
) -> None:
    slug = make.org("Go Team")
    author = make.user("author")
    make.member(author, slug, MemberRole.MEMBER)
    with unit_of_work(session_factory) as db:
        org_id = get_org(db, slug).id
    report = import_path(session_factory, GO_VULNS / f"{osv_id}.json", organization_id=org_id)
    assert report.rejections == []
    assert report.dropped == []
    signed_in(client, session_factory, settings, author)
    page = client.get(f"/advisories/{osv_id}/edit")
    assert page.status_code == 200
    sent = _sent(page.text)
    # Rows, not the JSON fallback; each says SEMVER, and a person may change it.
    assert "use_json" not in sent
    rows = int(sent["ranges"])
    assert [sent[f"range-{i}-type"] for i in range(rows)] == ["SEMVER"] * rows
    assert 'value="SEMVER" selected' in page.text
    assert '<option value="ECOSYSTEM"' in page.text
    draft, stored = _save(client, session_factory, osv_id, sent)
    original = _original(osv_id)
    assert draft["record"]["affected"] == original["affected"]
    assert stored["affected"] == original["affected"]
    for key in ("details", "aliases", "references", "credits"):
        assert draft["record"][key] == original[key], key


def test_rows_of_two_types_make_two_ranges_and_a_new_row_keeps_the_type() -> None:
    form = {
        "ranges": "2",
        "range-0-ecosystem": "crates.io",
        "range-0-package": "h2",
        "range-0-type": "SEMVER",
        "range-0-fixed": "0.4.8",
        "range-1-ecosystem": "crates.io",
        "range-1-package": "h2",
        "range-1-type": "ECOSYSTEM",
        "range-1-introduced": "0.5.0",
        "range-1-fixed": "0.5.1",
        "add": "range",
    }
    made = editor.from_form(form)
    assert made.ranges[-1]["type"] == "ECOSYSTEM"
    assert made.ranges[-1]["package"] == "h2"
    form.pop("add")
    form["range-1-type"] = "GIT"  # not offered: the ecosystem's own order
    fields, errors = editor.to_fields(editor.from_form({**form, "range-1-type": "SEMVER"}))
    assert errors == {}
    assert fields["affected"] == [
        {
            "package": {"ecosystem": "crates.io", "name": "h2"},
            "ranges": [
                {
                    "type": "SEMVER",
                    "events": [
                        {"introduced": "0"},
                        {"fixed": "0.4.8"},
                        {"introduced": "0.5.0"},
                        {"fixed": "0.5.1"},
                    ],
                }
            ],
        }
    ]
    fields, _ = editor.to_fields(editor.from_form(form))
    assert [r["type"] for r in fields["affected"][0]["ranges"]] == ["SEMVER", "ECOSYSTEM"]


def test_what_an_entry_holds_beside_its_rows_goes_with_its_package_only() -> None:
    original = _original("GO-2021-0113")
    made = editor.from_record(original, {})
    assert made.use_json is False
    renamed = made.ranges[0] | {"package": "golang.org/x/text/v2"}
    fields, _ = editor.to_fields(
        editor.Editor(ranges=[renamed], affected_extra=made.affected_extra)
    )
    # Another package: the first one's import paths and symbols do not follow it.
    assert "ecosystem_specific" not in fields["affected"][0]
    fields, _ = editor.to_fields(
        editor.Editor(ranges=made.ranges, affected_extra=made.affected_extra)
    )
    assert fields["affected"] == original["affected"]
