"""``accord advisories import`` of CSAF 2.0: the OASIS examples and the OASIS test documents
of the mandatory tests, checked against the ``csaf`` validator's command and the files'
own names (``…-6-1-NN-0M.json`` fails test 6.1.NN, ``…-1M.json`` passes)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.advisories import exports
from accord.advisories.importer import Outcome
from accord.advisories.models import Advisory, AffectedPackage
from accord.aggregation.models import CsafDocument
from accord.config import Settings
from tests.advisories.conftest import import_path, record
from tests.advisories.formats.support import run_csaf_validator
from tests.aggregation.conftest import EXAMPLES, MANDATORY

_NAME = re.compile(r"6-1-(\d+)(?:-\d+)?-(\d)\d\.json$")


def _flat(folder: Path, target: Path) -> Path:
    target.mkdir()
    for path in folder.rglob("*.json"):
        shutil.copy(path, target / path.name)
    return target


def test_every_official_example_is_taken_in_as_the_csaf_validator_judges_it(
    session_factory: sessionmaker[Session], db: Session, settings: Settings, tmp_path: Path
) -> None:
    folder = _flat(EXAMPLES, tmp_path / "examples")
    verdicts = run_csaf_validator(folder)
    failing = {name for name, text in verdicts.items() if "Overall: PASS" not in text}
    report = import_path(session_factory, folder, settings, source_name="OASIS CSAF examples")
    assert report.total == 19
    refused = {Path(r.where).name for r in report.rejections}
    assert refused == failing
    # The validator refuses one official VEX example for its "recommended" status (6.1.27).
    assert refused == {"2022-evd-uc-08-001.json"}
    (rejection,) = report.rejections
    assert "CSAF mandatory test 6.1.27" in rejection.reason
    assert rejection.record_id == "2022-EVD-UC-08-001"
    assert report.counts[Outcome.IMPORTED] == 18
    kept = db.scalars(select(CsafDocument)).all()
    assert len(kept) == 18
    for document in kept:
        assert document.signature_status == "not checked"
        assert document.source == "OASIS CSAF examples"
        original = json.loads((folder / f"{document.path.split('/')[1]}").read_text())
        assert json.loads(document.document) == original
    rhsa = db.scalar(select(Advisory).where(Advisory.osv_id == "RHSA-2021:5217"))
    assert rhsa is not None
    assert rhsa.aliases == "CVE-2021-4133"
    assert rhsa.summary.startswith("Red Hat Security Advisory")
    again = import_path(session_factory, folder, settings)
    assert again.counts[Outcome.UNCHANGED] == 18


def test_each_oasis_mandatory_test_document_is_refused_naming_its_test_or_taken_in(
    session_factory: sessionmaker[Session], db: Session, settings: Settings
) -> None:
    report = import_path(session_factory, MANDATORY, settings)
    # Each refusal names every failed test: the first in full, the others by number.
    rejections = {Path(r.where).name: r.reason for r in report.rejections}
    files = sorted(MANDATORY.glob("*.json"))
    assert len(files) == 147
    verdicts = run_csaf_validator(MANDATORY)
    for path in files:
        found = _NAME.search(path.name)
        assert found is not None
        test, fails = f"6.1.{int(found.group(1))}", found.group(2) == "0"
        assert (path.name in rejections) is fails, path.name
        # The csaf validator's command says the same of the file.
        assert ("Overall: PASS" not in verdicts[path.name]) is fails, path.name
        if not fails:
            continue
        reason = rejections[path.name]
        if test == "6.1.8":
            # An invalid CVSS object: the schema, which embeds FIRST's CVSS schemas, says so.
            assert reason.startswith("the CSAF 2.0 JSON schema failed at /vulnerabilities/")
        else:
            named = re.findall(r"6\.1\.\d+", reason)
            assert test in named, (path.name, reason)
    passing = len(files) - len(rejections)
    assert (
        report.counts[Outcome.IMPORTED]
        + report.counts[Outcome.UPDATED]
        + report.counts[Outcome.UNCHANGED]
        == passing
    )
    assert passing == 60  # the files named to pass: 6.1.NN-1M


def test_purl_products_become_osv_ranges_the_hub_matches(
    session_factory: sessionmaker[Session], db: Session, settings: Settings, tmp_path: Path
) -> None:
    """A CSAF document the hub made from an OSV record comes back as the same ranges."""
    source = record(
        "x_TEST-9",
        aliases=["CVE-2024-0001"],
        affected=[
            {
                "package": {"ecosystem": "PyPI", "name": "jinja2"},
                "ranges": [
                    {
                        "type": "ECOSYSTEM",
                        "events": [{"introduced": "2.0"}, {"fixed": "2.11.3"}],
                    }
                ],
            }
        ],
    )
    (tmp_path / "osv.json").write_text(json.dumps(source))
    import_path(session_factory, tmp_path / "osv.json", settings)
    advisory = db.scalar(select(Advisory).where(Advisory.osv_id == "x_TEST-9"))
    assert advisory is not None
    document = json.loads(exports.csaf_export(advisory, settings).text)
    db.rollback()
    document["document"]["tracking"]["id"] = "PYSEC-2099-1"
    (tmp_path / "csaf.json").write_text(json.dumps(document))
    report = import_path(session_factory, tmp_path / "csaf.json", settings)
    assert report.counts[Outcome.IMPORTED] == 1, report.rejections
    imported = db.scalar(select(Advisory).where(Advisory.osv_id == "PYSEC-2099-1"))
    assert imported is not None
    stored = json.loads(imported.document or "{}")
    (entry,) = stored["affected"]
    assert entry["package"]["ecosystem"] == "PyPI"
    assert entry["package"]["name"] == "jinja2"
    assert entry["ranges"] == [
        {"type": "ECOSYSTEM", "events": [{"introduced": "2.0"}, {"fixed": "2.11.3"}]}
    ]
    assert "CVE-2024-0001" in imported.aliases
    indexed = db.scalars(
        select(AffectedPackage.name).where(AffectedPackage.advisory_id == imported.id)
    ).all()
    assert indexed == ["jinja2"]


def test_the_advisory_page_names_the_csaf_source_and_its_signature(
    session_factory: sessionmaker[Session], settings: Settings, client: TestClient
) -> None:
    import_path(
        session_factory, EXAMPLES / "rhsa-2021_5217.json", settings, source_name="Red Hat CSAF"
    )
    page = client.get("/advisories/RHSA-2021:5217")
    assert page.status_code == 200
    text = page.text
    assert "CSAF document" in text
    assert "<code>RHSA-2021:5217</code>" in text
    assert "from Red Hat CSAF" in text
    assert "not checked (imported from a file)" in text


def test_the_command_names_the_failed_test_and_imports_the_valid_document(
    tmp_path: Path,
) -> None:
    from tests.advisories.test_cli import _accord, _counts

    folder = tmp_path / "csaf"
    folder.mkdir()
    shutil.copy(EXAMPLES / "bsi-2022-0001.json", folder)
    shutil.copy(MANDATORY / "oasis_csaf_tc-csaf_2_0-2021-6-1-01-01.json", folder)
    done = _accord(tmp_path / "data", "advisories", "import", str(folder), "--create")
    assert done.returncode == 0, done.stderr
    counts = _counts(done.stdout)
    assert (counts["imported"], counts["rejected"]) == ("1", "1")
    assert "CSAF mandatory test 6.1.1 (Missing Definition of Product ID) failed" in done.stdout
    assert "oasis_csaf_tc-csaf_2_0-2021-6-1-01-01.json" in done.stdout
