"""``accord demo``: an empty hub gets the example hub through the real services; a hub with
data refuses it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.accountability.models import ProgressReport
from accord.accountability.reports import ENTRY_TYPE
from accord.advisories.models import Advisory
from accord.config import Settings
from accord.disclosure.models import CaseStatus, DisclosureCase
from accord.identity.models import Organization
from accord.sharing.models import StixObject
from accord.sharing.tlp import Tlp
from accord.transparency.models import LogRecord
from tests.cli.test_cli import accord
from tests.factories import Factories
from tests.sharing import stixgen


@pytest.mark.slow
def test_demo_fills_an_empty_hub_and_its_pages_render(
    cli_settings: Settings, db: Session, client: TestClient, make: Factories
) -> None:
    coordinator = make.user("coordinator", operator=True)  # an account alone is not data
    # The first operator's first page offers the demo while the hub is empty.
    make.session(client, coordinator)
    assert 'id="offer-demo"' in client.get("/account").text
    loaded = accord(cli_settings, "demo")
    assert loaded.returncode == 0, loaded.stderr
    assert "case published: ACCORD-" in loaded.stdout
    assert loaded.stderr.startswith("wrote to ")

    db.rollback()
    orgs = db.scalars(select(Organization)).all()
    assert len(orgs) == 3
    assert all("(fictional)" in o.name and "accord demo" in o.description for o in orgs)
    statuses = set(db.scalars(select(DisclosureCase.status)))
    assert statuses == set(CaseStatus)
    tlps = set(db.scalars(select(StixObject.tlp)))
    assert tlps == {t.value for t in Tlp}
    assert db.scalar(select(func.count()).select_from(ProgressReport)) == 1
    osv_ids = set(db.scalars(select(Advisory.osv_id)))
    assert {"PYSEC-2019-217", "PYSEC-2023-74"} <= osv_ids
    assert any(i.startswith("x_ACCORD-") for i in osv_ids)  # the published case's advisory
    # Through the transparency log, as real data: two signatures, six advisory versions
    # (five imported, one published from the case) and the progress report.
    logged = list(db.scalars(select(LogRecord.entry_type)))
    assert logged.count("registry.signature") == 2
    assert logged.count("advisory.version") == 6
    assert logged.count(ENTRY_TYPE) == 1

    for path in ("/", "/signatories", "/advisories", "/advisories/PYSEC-2019-217"):
        page = client.get(path)
        assert page.status_code == 200, path
    signatories = client.get("/signatories").text
    assert "Example Widgets Ltd (fictional)" in signatories
    make.session(client, coordinator)
    assert 'id="offer-demo"' not in client.get("/account").text
    opened = db.scalar(select(DisclosureCase).where(DisclosureCase.status == CaseStatus.OPEN))
    assert opened is not None
    case_page = client.get(f"/disclosure/cases/{opened.ref}")
    assert case_page.status_code == 200
    assert "Stored cross-site scripting on the dashboard" in case_page.text
    inbox = client.get("/disclosure")
    assert inbox.status_code == 200
    assert opened.ref in inbox.text


def test_demo_refuses_a_hub_with_data(cli_settings: Settings, db: Session, make: Factories) -> None:
    make.org("A Real Vendor")
    result = accord(cli_settings, "demo")
    assert result.returncode == 2
    assert result.stderr == (
        "error: this hub has data already; the demo loads only into an empty hub "
        "(start one with a new ACCORD_DATA_DIR or database)\n"
    )
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Organization)) == 1


@pytest.mark.slow
def test_the_shared_objects_are_valid_stix(cli_settings: Settings, db: Session) -> None:
    assert accord(cli_settings, "demo").returncode == 0
    db.rollback()
    stixgen.assert_valid_stix([json.loads(o.body) for o in db.scalars(select(StixObject))])


def test_serve_on_an_empty_hub_offers_the_demo(tmp_path: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    environ.update(
        {"ACCORD_DATA_DIR": str(tmp_path / "data"), "PYTHONUNBUFFERED": "1", "COLUMNS": "300"}
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with subprocess.Popen(
        [sys.executable, "-m", "accord", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=environ,
    ) as server:
        assert server.stdout is not None
        shown = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            if not line:
                break
            shown.append(line)
            if "accord demo" in line:
                break
        server.terminate()
        server.wait(timeout=30)
    assert any(line.startswith("The hub is empty.") for line in shown), shown
    assert shown[-1].rstrip().endswith("run in another terminal: accord demo")
