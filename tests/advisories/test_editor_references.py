"""The editor's references are rows: each one's OSV type picked by its plain name and its
address; a record's references come back in rows with their types and go out unchanged, and
a bad address is named beside its own row with every row kept."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from accord.advisories import editor, validation
from accord.advisories.models import Advisory
from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.models import MemberRole
from accord.identity.services import get_org
from tests.advisories.conftest import import_path, signed_in
from tests.advisories.test_editor import _author, _form
from tests.advisories.test_editor_ranges import _save, _sent
from tests.factories import Factories
from tests.thirdparty import GO_VULNS

OSV_ID = "GO-2022-0969"  # references of three types: WEB, REPORT and FIX


def test_a_records_references_go_through_the_rows_with_their_types(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    slug = make.org("Go Team")
    author = make.user("author")
    make.member(author, slug, MemberRole.MEMBER)
    with unit_of_work(session_factory) as db:
        org_id = get_org(db, slug).id
    import_path(session_factory, GO_VULNS / f"{OSV_ID}.json", organization_id=org_id)
    original = json.loads((GO_VULNS / f"{OSV_ID}.json").read_text())["references"]
    signed_in(client, session_factory, settings, author)
    page = client.get(f"/advisories/{OSV_ID}/edit")
    assert page.status_code == 200
    sent = _sent(page.text)
    assert "references" not in sent  # no box of typed lines any more
    rows = int(sent["reference_rows"])
    assert [(sent[f"reference-{i}-type"], sent[f"reference-{i}-url"]) for i in range(rows)] == [
        (r["type"], r["url"]) for r in original
    ]
    # Each type is offered by its plain name, every one of the OSV schema's.
    assert '<option value="FIX" selected>Fix (a patch or commit)</option>' in page.text
    assert page.text.count('<option value="INTRODUCED"') == rows
    # A row added empty is left out of the record.
    added = client.post(f"/advisories/{OSV_ID}/edit", data={**sent, "add": "reference"})
    sent = _sent(added.text)
    assert sent["reference_rows"] == str(rows + 1)
    assert sent[f"reference-{rows}-url"] == ""
    draft, _ = _save(client, session_factory, OSV_ID, sent)
    assert draft["record"]["references"] == original


def test_a_bad_address_is_named_beside_its_row_and_every_row_is_kept(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    slug, csrf = _author(client, make, session_factory, settings)
    fields = _form(
        csrf,
        reference_rows="3",
        **{
            "reference-0-type": "ADVISORY",
            "reference-0-url": "https://acme.example/sa-2",
            "reference-1-type": "FIX",
            "reference-1-url": "acme.example/commit/1a2b",
            "reference-2-type": "REPORT",
            "reference-2-url": "https://bugs.acme.example/7",
        },
    )
    page = client.post(f"/orgs/{slug}/advisories", data=fields)
    assert page.status_code == 422
    text = page.text
    error = text.index('id="reference-1-url-error"')
    # Beside the second row's address: after its box, before the third row.
    assert text.index('name="reference-1-url"') < error < text.index('name="reference-2-type"')
    assert "Write the whole address, starting with https:// or http://." in text
    assert 'id="reference-0-url-error"' not in text
    assert 'id="reference-2-url-error"' not in text
    sent = _sent(text)
    assert [(sent[f"reference-{i}-type"], sent[f"reference-{i}-url"]) for i in range(3)] == [
        ("ADVISORY", "https://acme.example/sa-2"),
        ("FIX", "acme.example/commit/1a2b"),
        ("REPORT", "https://bugs.acme.example/7"),
    ]
    with unit_of_work(session_factory) as db:
        assert db.scalar(select(func.count(Advisory.id))) == 0


def test_every_osv_reference_type_is_offered() -> None:
    enum = validation.schema()["properties"]["references"]["items"]["properties"]["type"]["enum"]
    assert [value for value, _ in editor.REFERENCE_TYPES] == enum
