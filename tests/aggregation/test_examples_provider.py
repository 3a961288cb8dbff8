"""The official CSAF 2.0 examples and the OASIS test documents of the mandatory tests, served
by a provider over HTTPS (hashes and signatures published) and read by one aggregation pass:
every document the PyPI ``csaf`` validator passes is stored, every one it fails is refused
naming the mandatory test that fails (the test documents' names say which), and the two
agree on every document."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.aggregation import passes, services
from accord.aggregation.models import CsafDocument, CsafFailure
from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.policy import SYSTEM
from tests.advisories.formats.support import run_csaf_validator
from tests.aggregation.conftest import EXAMPLES, MANDATORY
from tests.aggregation.provider import Provider
from tests.registry.servers import StaticServer

_NAME = re.compile(r"6-1-(\d+)(?:-\d+)?-(\d)\d\.json$")
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _flat(folder: Path, target: Path) -> Path:
    target.mkdir()
    for path in folder.rglob("*.json"):
        shutil.copy(path, target / path.name)
    return target


@pytest.mark.slow
def test_the_official_documents_served_by_a_provider_agree_with_the_csaf_validator(
    session_factory: sessionmaker[Session],
    db: Session,
    local_settings: Settings,
    https_server: StaticServer,
    tmp_path: Path,
) -> None:
    examples = _flat(EXAMPLES, tmp_path / "examples")
    files = sorted(examples.glob("*.json")) + sorted(MANDATORY.glob("*.json"))
    assert len(files) == 19 + 147
    verdicts = {**run_csaf_validator(examples), **run_csaf_validator(MANDATORY)}
    passing = {name for name, report in verdicts.items() if "Overall: PASS" in report}
    provider = Provider(https_server)
    for index, path in enumerate(files):
        provider.publish(f"2024/{path.name}", path.read_bytes(), when=T0 + timedelta(seconds=index))
    with unit_of_work(session_factory) as session:
        provider_id = services.register(
            session, actor=SYSTEM, settings=local_settings, given=provider.metadata_url
        ).id

    summary = passes.run(session_factory, provider_id=provider_id, settings=local_settings)

    assert summary.listed == len(files)
    assert summary.stored == len(passing)
    assert summary.failed == len(files) - len(passing)
    failures = {
        f.url.rsplit("/", 1)[1]: f
        for f in db.scalars(select(CsafFailure).where(CsafFailure.provider_id == provider_id))
    }
    # The aggregator and the validator agree on every document.
    assert set(failures) == {p.name for p in files} - passing
    for name, failure in failures.items():
        assert failure.code == "mandatory_test", (name, failure.code, failure.reason)
        found = _NAME.search(name)
        if found is None:  # an official example: one fails, for its "recommended" status
            assert (name, failure.test) == ("2022-evd-uc-08-001.json", "6.1.27")
            continue
        test = f"6.1.{int(found.group(1))}"
        assert found.group(2) == "0", name  # named to fail
        if test == "6.1.8":  # an invalid CVSS object: FIRST's schemas in the CSAF schema say so
            assert failure.test is None
            assert failure.reason.startswith("the CSAF 2.0 JSON schema failed at /vulnerabilities/")
        else:
            assert test in re.findall(r"6\.1\.\d+", failure.reason), (name, failure.reason)
    # Every passing document is named to pass (-1N, -3N: not -0N), and kept verified.
    for name in passing:
        found = _NAME.search(name)
        assert found is None or found.group(2) != "0", name
    kept = db.scalars(select(CsafDocument).where(CsafDocument.provider_id == provider_id)).all()
    assert {k.signature_status for k in kept} == {"verified"}
    tracking = {
        json.loads(p.read_bytes())["document"]["tracking"]["id"] for p in files if p.name in passing
    }
    assert {k.tracking_id for k in kept} == tracking
