"""Plain words first: one upgrade per package, most severe first, the answer as a file."""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from packaging.version import InvalidVersion, Version
from sqlalchemy.orm import Session, sessionmaker

from accord.advisories import scoring
from accord.check import services
from accord.check.advice import by_package
from accord.check.findings import Filters
from accord.check.inputs import read_text
from accord.check.outputs import table
from accord.check.sources.local import LocalSource
from accord.config import Settings
from accord.identity.policy import ANONYMOUS
from tests.advisories.conftest import VULNS, import_path
from tests.check.conftest import osv_affected, pypa_records
from tests.factories import csrf_of

INSTALLED = "3.2"  # Django 3.2.0: dozens of advisories, fixed on the 3.2, 4.x and 5.x branches
PASTED = f"Django=={INSTALLED}\njinja2==2.10\nrequests==2.19.0\n"


@pytest.fixture
def django_hub(session_factory: sessionmaker[Session], settings: Settings) -> None:
    for package in ("django", "jinja2", "requests"):
        report = import_path(session_factory, VULNS / package, settings)
        assert not report.rejections, report.rejections


def _expected_upgrade(name: str, installed: str) -> tuple[str, int]:
    """The smallest version named as fixed that no affecting record affects, and how many
    records affect ``installed``: the OSV evaluation written apart (tests/check/conftest.py)."""
    affecting = [r for r in pypa_records((name,)) if osv_affected(r, name, installed)]
    fixed = set()
    for record in affecting:
        for entry in record["affected"]:
            for range_ in entry.get("ranges", []):
                fixed.update(e["fixed"] for e in range_["events"] if "fixed" in e)
    ordered = []
    for version in fixed:
        try:
            if Version(version) > Version(installed):
                ordered.append(Version(version))
        except InvalidVersion:
            continue
    for version in sorted(ordered):
        if not any(osv_affected(r, name, str(version)) for r in affecting):
            return str(version), len(affecting)
    raise AssertionError("no version fixes them all")


def _form(client: TestClient) -> dict[str, str]:
    return {"csrf_token": csrf_of(client.get("/check").text)}


def test_many_django_advisories_get_one_upgrade(client: TestClient, django_hub: None) -> None:
    expected, count = _expected_upgrade("django", INSTALLED)
    assert count > 10, "the fixture is the case the issue names: many advisories"

    page = client.post("/check", data={**_form(client), "text": PASTED})

    assert page.status_code == 200, page.text
    html = unescape(page.text)
    assert html.count(f"Upgrade Django to {expected}.") == 1
    assert "or later." not in html  # no more one sentence per advisory
    assert f"It fixes {count} known vulnerabilities" in html
    assert "UNKNOWN" not in html


def test_packages_come_most_severe_first(client: TestClient, django_hub: None) -> None:
    page = client.post("/check", data={**_form(client), "text": PASTED})
    badges = re.findall(r"<h4>[^<]+<span class=\"badge[^\"]*\">([^<]+)</span></h4>", page.text)
    assert len(badges) == 3
    ranks = {scoring.severity_label(r): scoring.severity_rank(r) for r in scoring.SEVERITY_LABELS}
    shown = [ranks[b] for b in badges]
    assert shown == sorted(shown, reverse=True)


def test_the_answer_downloads_as_json_sarif_and_csv(client: TestClient, django_hub: None) -> None:
    expected, _ = _expected_upgrade("django", INSTALLED)
    page = client.post("/check", data={**_form(client), "text": PASTED})
    rows = len(re.findall(r"<tr><td>", page.text))
    form = {"csrf_token": csrf_of(page.text), "text": PASTED}

    as_json = client.post("/check/download", data={**form, "format": "json"})
    as_sarif = client.post("/check/download", data={**form, "format": "sarif"})
    as_csv = client.post("/check/download", data={**form, "format": "csv"})

    assert as_json.status_code == as_sarif.status_code == as_csv.status_code == 200
    assert "attachment" in as_csv.headers["content-disposition"]
    advice = json.loads(as_json.text)["advice"]
    assert {a["name"]: a["upgrade_to"] for a in advice}["Django"] == expected
    assert len(json.loads(as_sarif.text)["runs"][0]["results"]) == rows
    table_rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert len(table_rows) == rows
    assert {r["advice"] for r in table_rows if r["package"] == "Django"} == {
        f"upgrade Django to {expected}"
    }
    assert {r["severity"] for r in table_rows} <= set(scoring.SEVERITY_LABELS.values())


def test_an_unknown_download_format_is_a_422(client: TestClient) -> None:
    form = _form(client)
    page = client.post("/check/download", data={**form, "text": "jinja2==2.10", "format": "pdf"})
    assert page.status_code == 422
    assert "Choose JSON, SARIF or CSV to download." in page.text


def test_the_command_writes_the_same_words_and_advice(
    db: Session, django_hub: None, settings: Settings
) -> None:
    expected, _ = _expected_upgrade("django", INSTALLED)
    reading = read_text(PASTED, name=Path("requirements.txt"), shown="x")
    report = services.check(
        readings=[reading], source=LocalSource(db, ANONYMOUS), filters=Filters()
    )
    text = table.render(report)
    assert f"upgrade Django to {expected} (" in text
    assert "unknown" not in text.replace("Unknown", "")
    assert [a.upgrade_to for a in by_package(report.findings) if a.dependency.name == "Django"] == [
        expected
    ]
