"""The advisory list as a person scans it: package and ecosystem, a summary for records that
have none, a search over ids, aliases, package names and text, and sources named as people
name them, never by a local path."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.advisories import importer, sources
from accord.advisories.models import Advisory
from accord.db import unit_of_work
from accord.demo import services as demo
from tests.advisories.conftest import VULNS, import_path

ROW = re.compile(r'<tr>\s*<td><a href="/advisories/(?P<id>[^"]+)">.*?</tr>', re.S)


def _rows(html: str) -> dict[str, str]:
    return {m.group("id"): m.group(0) for m in ROW.finditer(html)}


def test_the_list_names_package_ecosystem_summary_and_source(
    client: TestClient, jinja2: importer.Report
) -> None:
    rows = _rows(client.get("/advisories").text)
    assert len(rows) == 5
    # PYSEC-2019-217 has no OSV summary: the first sentence of its details stands in.
    row = rows["PYSEC-2019-217"]
    assert "<strong>jinja2</strong>" in row
    assert "PyPI" in row
    assert "In Pallets Jinja before 2.10.1, str.format_map allows a sandbox escape." in row
    # Imported from a local folder: the database is named from the ids, the path never shown.
    assert "PyPA advisory database" in row
    page = client.get("/advisories").text + client.get("/advisories/PYSEC-2019-217").text
    assert str(VULNS) not in page
    assert "tests/data" not in page
    assert "imported from PyPA advisory database" in client.get("/advisories/PYSEC-2019-217").text


def test_search_matches_package_names_as_the_package_filter_does(
    client: TestClient, jinja2: importer.Report
) -> None:
    def found(**params: str) -> set[str]:
        return set(_rows(client.get("/advisories", params=params).text))

    by_filter = found(ecosystem="PyPI", package="jinja2")
    assert len(by_filter) == 5
    assert found(q="jinja2") == by_filter
    assert found(q="Jinja2") == by_filter  # case does not matter
    assert found(q="CVE-2019-10906") == {"PYSEC-2019-217"}  # an alias
    assert found(q="pysec-2014-8") >= {"PYSEC-2014-8"}  # an id, in any case
    assert found(q="format_map") == {"PYSEC-2019-217"}  # words of the details
    # What is typed is matched as itself: a wildcard matches nothing here.
    assert found(q="%") == set()
    assert found(q="j_nja2") == set()


def test_an_operator_names_the_source_and_a_url_is_named_by_its_database(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    import_path(session_factory, VULNS / "jinja2", source_name="Example mirror of PyPA")
    with unit_of_work(session_factory) as db:
        stored = set(db.scalars(select(Advisory.source)))
    assert stored == {"Example mirror of PyPA"}
    assert "Example mirror of PyPA" in client.get("/advisories").text


def test_the_demos_source_is_stored_in_english_and_shown_in_the_readers_language(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    import_path(session_factory, VULNS / "jinja2", source_name=demo.SOURCE)
    with unit_of_work(session_factory) as db:
        assert set(db.scalars(select(Advisory.source))) == {demo.SOURCE}
    japanese = {"Accept-Language": "ja"}
    listed = client.get("/advisories", headers=japanese).text
    page = client.get("/advisories/PYSEC-2019-217", headers=japanese).text
    for shown in (listed, page):
        assert "PyPA Advisory Database(CC-BY-4.0)、accord demo に同梱" in shown
        assert "bundled with accord demo" not in shown
    assert "bundled with accord demo" in client.get("/advisories").text


@pytest.mark.parametrize(
    ("origin", "osv_id", "shown"),
    [
        (
            "https://github.com/pypa/advisory-database/archive/main.zip",
            "PYSEC-1",
            "PyPA advisory database",
        ),
        (
            "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip",
            "PYSEC-1",
            "OSV.dev (PyPI)",
        ),
        ("https://feeds.example.org/osv/", "X-1", "feeds.example.org"),
        ("../mirror/pypa-advisory-database/vulns", "PYSEC-2024-1", "PyPA advisory database"),
        ("/srv/import/GHSA-aaaa-bbbb-cccc.json", "GHSA-aaaa-bbbb-cccc", "GitHub Advisory Database"),
        ("/srv/import/local.json", "LOCAL-1", None),
        (sources.LOCAL, "LOCAL-1", None),
        (
            "PyPA Advisory Database (CC-BY-4.0), bundled with accord demo",
            "PYSEC-1",
            "PyPA Advisory Database (CC-BY-4.0), bundled with accord demo",
        ),
    ],
)
def test_a_source_is_named_as_a_person_would(origin: str, osv_id: str, shown: str | None) -> None:
    assert sources.public_name(origin, osv_id) == shown
    # What an import stores is never a local path.
    stored = sources.stored_origin(origin, osv_id)
    assert not sources.is_local_path(stored)


def test_each_version_links_to_its_log_entry_page(
    client: TestClient, jinja2: importer.Report
) -> None:
    page = client.get("/advisories/PYSEC-2019-217").text
    entry = re.search(r'<a href="(/log/entries/\d+)">its transparency-log entry</a>', page)
    assert entry is not None
    shown = client.get(entry.group(1))
    assert shown.status_code == 200
    assert shown.headers["content-type"].startswith("text/html")
    assert "PYSEC-2019-217" in shown.text
