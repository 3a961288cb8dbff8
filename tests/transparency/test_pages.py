"""The public log page, an entry's page, and "verify this document"."""

from __future__ import annotations

import hashlib
import json
import re

from fastapi.testclient import TestClient

from accord.transparency.envelope import document_digest
from tests.factories import csrf_of
from tests.transparency.conftest import Publish

DOCUMENT = {"signatory": "Example Corp", "accord": "Cybersecurity Tech Accord", "version": 1}


def _no_inline_code(html: str) -> None:
    # The CSP forbids inline script and style: the page must not need them.
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "<style" not in html
    assert " style=" not in html
    assert " on" + "click=" not in html


def test_log_page_shows_size_checkpoint_and_recent_entries(
    client: TestClient, publish: Publish
) -> None:
    empty = client.get("/log")
    assert empty.status_code == 200
    assert "The log is empty" in empty.text
    publish(DOCUMENT, subject_id="example-corp")
    publish(None, entry_type="disclosure.event", subject_id="case-7", document_sha256="ab" * 32)
    page = client.get("/log")
    assert "<strong>2</strong> entries" in page.text
    assert "<br>— testserver/log " in page.text  # the signed note, line by line
    assert 'href="/log/entries/0"' in page.text
    assert "example-corp" in page.text
    assert "digest only" in page.text
    assert "content-security-policy" in page.headers
    _no_inline_code(page.text)


def test_verify_finds_an_uploaded_document_by_its_canonical_form(
    client: TestClient, publish: Publish
) -> None:
    ref = publish(DOCUMENT)
    token = csrf_of(client.get("/log").text)
    pretty = json.dumps(DOCUMENT, indent=4).encode()  # not the canonical bytes
    response = client.post(
        "/log/verify",
        data={"csrf_token": token},
        files={"document": ("signature.json", pretty, "application/json")},
    )
    assert response.status_code == 200
    assert "Found." in response.text
    assert f'href="/log/entries/{ref.index}"' in response.text
    assert document_digest(DOCUMENT) in response.text
    assert hashlib.sha256(pretty).hexdigest() in response.text
    _no_inline_code(response.text)


def test_verify_by_pasted_digest_and_not_found(client: TestClient, publish: Publish) -> None:
    publish(DOCUMENT)
    token = csrf_of(client.get("/log").text)
    digest = document_digest(DOCUMENT)
    found = client.post("/log/verify", data={"csrf_token": token, "text": digest.upper()})
    assert "Found." in found.text
    missing = client.post("/log/verify", data={"csrf_token": token, "text": "not published"})
    assert "Not found." in missing.text
    nothing = client.post("/log/verify", data={"csrf_token": token, "text": "  "})
    assert nothing.status_code == 422
    assert "Choose a file" in nothing.text


def test_verify_needs_the_csrf_token(client: TestClient) -> None:
    client.get("/log")
    response = client.post("/log/verify", data={"text": "x"})
    assert response.status_code == 403


def test_entry_page_shows_the_document_and_the_bundle_link(
    client: TestClient, publish: Publish
) -> None:
    publish(DOCUMENT)
    page = client.get("/log/entries/0")
    assert page.status_code == 200
    assert "Example Corp" in page.text
    assert 'href="/api/v1/log/bundle/0"' in page.text
    assert client.get("/log/entries/1").status_code == 404
    _no_inline_code(page.text)
