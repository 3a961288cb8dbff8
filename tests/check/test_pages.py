"""The public "Am I affected?" page: the same answers as the OSV evaluation, nothing stored."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

from fastapi.testclient import TestClient
from packaging.utils import canonicalize_name
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.advisories import importer
from accord.check.inputs import read_text
from accord.db import Base
from tests.check.conftest import DATA, expected_findings
from tests.factories import csrf_of

ROWS = re.compile(
    r"<tr><td>([^<]+)</td><td>([^<]+)</td><td><a href=\"/advisories/([^\"]+)\">", re.S
)


def _form(client: TestClient) -> dict[str, str]:
    page = client.get("/check")
    assert page.status_code == 200
    return {"csrf_token": csrf_of(page.text)}


def _found(html: str) -> set[tuple[str, str, str]]:
    return {
        (str(canonicalize_name(unescape(n))), unescape(v), unescape(i))
        for n, v, i in ROWS.findall(html)
    }


def _pinned(name: str) -> list[tuple[str, str]]:
    reading = read_text((DATA / name).read_text(), name=Path(name), shown=name)
    return [(d.name, d.version) for d in reading.dependencies if d.ecosystem == "PyPI"]


def _row_counts(db: Session) -> dict[str, int]:
    db.rollback()
    # Rate counters count the request itself (a table on PostgreSQL, a side file on SQLite).
    tables = [t for t in Base.metadata.sorted_tables if t.name != "rate_counters"]
    return {t.name: db.scalar(select(func.count()).select_from(t)) or 0 for t in tables}


def test_pasted_requirements_get_what_the_osv_evaluation_says(
    client: TestClient, pypa_hub: importer.Report, db: Session
) -> None:
    text = (DATA / "requirements.txt").read_text()
    expected = expected_findings(_pinned("requirements.txt"))
    assert expected, "the fixture pins vulnerable versions"
    before = _row_counts(db)

    page = client.post("/check", data={**_form(client), "text": text})

    assert page.status_code == 200, page.text
    assert _found(page.text) == expected
    assert "known vulnerabilit" in page.text
    # Read while answering, never stored: not one row more anywhere.
    assert _row_counts(db) == before


def test_an_uploaded_lock_file_is_recognized_by_its_name(
    client: TestClient, pypa_hub: importer.Report
) -> None:
    expected = expected_findings(_pinned("poetry.lock"))
    content = (DATA / "poetry.lock").read_bytes()

    page = client.post(
        "/check", data=_form(client), files={"upload": ("poetry.lock", content, "text/plain")}
    )

    assert page.status_code == 200, page.text
    assert _found(page.text) == expected


def test_nothing_affected_says_no_in_plain_words(
    client: TestClient, pypa_hub: importer.Report
) -> None:
    page = client.post("/check", data={**_form(client), "text": "requests==99.0.0\n"})
    assert page.status_code == 200
    assert "No: none of the advisories on this hub affects the 1 package you sent." in unescape(
        page.text
    )


def test_a_broken_file_is_named_and_the_pasted_text_still_checked(
    client: TestClient, pypa_hub: importer.Report
) -> None:
    page = client.post(
        "/check",
        data={**_form(client), "text": "jinja2==2.10\n"},
        files={"upload": ("package-lock.json", b'{"lockfileVersion": 3, "packages": [', "x")},
    )
    assert page.status_code == 200
    html = unescape(page.text)
    assert "What could not be read" in html
    assert "package-lock.json" in html
    assert ("jinja2", "2.10") in {(n, v) for n, v, _ in _found(page.text)}


def test_an_empty_form_is_a_422_naming_what_to_send(client: TestClient) -> None:
    page = client.post("/check", data=_form(client))
    assert page.status_code == 422
    assert "Paste a file or choose one to upload." in page.text


def test_the_form_needs_its_csrf_token(client: TestClient) -> None:
    client.get("/check")
    assert client.post("/check", data={"text": "jinja2==2.10"}).status_code == 403


def test_the_page_speaks_spanish(client: TestClient, pypa_hub: importer.Report) -> None:
    headers = {"Accept-Language": "es"}
    form = client.get("/check", headers=headers)
    assert "¿Me afecta?" in form.text
    page = client.post(
        "/check",
        data={"csrf_token": csrf_of(form.text), "text": "requests==99.0.0\n"},
        headers=headers,
    )
    assert "No: ninguno de los avisos de este hub afecta al paquete que envió (1)." in unescape(
        page.text
    )
