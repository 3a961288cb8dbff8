"""The offline snapshot: served signed by the hub, pulled and checked by the CLI, evaluated
locally with the same answers as the hub, and refused when anything was altered."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from accord.advisories import importer
from accord.check import archive, inputs, services
from accord.check.findings import Filters
from accord.check.models import Snapshot
from accord.check.sources import containers
from accord.check.sources.hub import HubSource
from accord.check.sources.snapshot import SnapshotRefused, SnapshotSource
from accord.cli import main
from accord.transparency import note
from tests.check.conftest import DATA
from tests.flows.conftest import serving

INPUTS = [DATA / "requirements.txt", DATA / "oldvenv.cdx.json", DATA / "app.spdx"]


def _key(client: TestClient) -> note.Verifier:
    return note.Verifier.parse(client.get("/.well-known/accord-log-key").json()["verifier_key"])


def _download(client: TestClient, folder: Path) -> Path:
    response = client.get("/api/v1/check/snapshot")
    assert response.status_code == 200, response.text
    path = folder / "snapshot.zip"
    path.write_bytes(response.content)
    return path


def _rewrite(source: Path, target: Path, name: str, change: bytes) -> None:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            new.writestr(item, change if item.filename == name else data)


def test_offline_answers_equal_the_hub(
    client: TestClient, pypa_hub: importer.Report, tmp_path: Path, db: Session
) -> None:
    path = _download(client, tmp_path)
    offline = SnapshotSource(path, verifier=_key(client))
    offline.verify_all()
    readings = inputs.read_all(INPUTS)
    local = services.check(readings=readings, source=offline, filters=Filters())
    remote = services.check(
        readings=readings, source=HubSource("http://testserver", client=client), filters=Filters()
    )
    assert local.findings
    assert [(f.dependency, f.advisory.id, f.fixed_in) for f in local.findings] == [
        (f.dependency, f.advisory.id, f.fixed_in) for f in remote.findings
    ]
    assert offline.info.records == pypa_hub.total or offline.info.records > 0
    # The manifest's digest is a log entry; asking again serves the same snapshot.
    again = client.get("/api/v1/check/snapshot")
    assert again.headers["accord-manifest-sha256"] == offline.info.manifest_sha256
    entry = client.get(f"/api/v1/log/entries/{offline.info.log_index}").json()
    assert entry["envelope"]["type"] == archive.ENTRY_TYPE
    assert entry["envelope"]["sha256"] == offline.info.manifest_sha256
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Snapshot)) == 1


@pytest.mark.parametrize(
    ("member", "change", "reason"),
    [
        (
            "records/PYSEC-2019-217.json",
            b'{"id": "PYSEC-2019-217", "affected": []}',
            "does not match",
        ),
        (archive.MANIFEST, b'{"format": "accord-snapshot/1", "records": []}', "SHA-256"),
        (archive.BUNDLE, None, "inclusion proof"),
    ],
)
def test_a_tampered_snapshot_is_refused(
    client: TestClient,
    pypa_hub: importer.Report,
    tmp_path: Path,
    member: str,
    change: bytes | None,
    reason: str,
) -> None:
    path = _download(client, tmp_path)
    if change is None:  # a proof hash altered
        with zipfile.ZipFile(path) as snapshot:
            bundle = json.loads(snapshot.read(archive.BUNDLE))
        bundle["inclusion"]["hashes"][0] = "A" * 43 + "="
        change = json.dumps(bundle).encode()
    tampered = tmp_path / "tampered.zip"
    _rewrite(path, tampered, member, change)
    verifier = _key(client)
    with pytest.raises(SnapshotRefused, match=reason):
        SnapshotSource(tampered, verifier=verifier).verify_all()


def test_another_key_is_refused(
    client: TestClient, pypa_hub: importer.Report, tmp_path: Path
) -> None:
    path = _download(client, tmp_path)
    other = note.Verifier(_key(client).name, bytes(32))
    with pytest.raises(SnapshotRefused, match="refused: checkpoint"):
        SnapshotSource(path, verifier=other)


def _accord(*args: str, home: Path) -> Result:
    """The ``accord`` command, in this process (its start-up costs seconds), with ``home``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home))
        return CliRunner().invoke(main.app, list(args))


def test_pull_then_check_offline(app: FastAPI, pypa_hub: importer.Report, tmp_path: Path) -> None:
    with serving(app) as url:
        pulled = _accord("snapshot", "pull", "--hub", url, home=tmp_path)
        online = _accord("check", "--hub", url, "-f", "json", *map(str, INPUTS), home=tmp_path)
    assert pulled.exit_code == 0, pulled.stderr
    assert "ok: " in pulled.stdout
    assert "trusting the hub's published key on first use" in pulled.stderr
    offline = _accord("check", "--offline", "-f", "json", *map(str, INPUTS), home=tmp_path)
    assert offline.exit_code == online.exit_code == 1, offline.stderr
    assert json.loads(offline.stdout)["dependencies"] == json.loads(online.stdout)["dependencies"]
    # A tampered file is refused with the reason, exit status 2.
    (snapshot,) = (tmp_path / ".accord").glob("snapshot-*.zip")
    assert containers.index_path(snapshot).exists()  # pull indexed it, beside it
    tampered = tmp_path / "tampered.zip"
    _rewrite(snapshot, tampered, "records/PYSEC-2019-217.json", b"{}")
    key = json.loads(next((tmp_path / ".accord").glob("log-*.json")).read_text())["verifier_key"]
    refused = _accord(
        "check", "--snapshot", str(tampered), "--key", key, str(INPUTS[0]), home=tmp_path
    )
    assert refused.exit_code == 2
    assert refused.stderr.startswith("error: ")
    assert "PYSEC-2019-217.json does not match the SHA-256 its manifest gives" in refused.stderr
    verified = _accord("snapshot", "verify", str(snapshot), "--key", key, home=tmp_path)
    assert verified.exit_code == 0, verified.stderr
