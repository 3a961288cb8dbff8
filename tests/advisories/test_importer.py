"""Import: the real PyPA database, formats, zip archives, URLs, idempotence, history, atomicity."""

from __future__ import annotations

import json
import shutil
import threading
import zipfile
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from accord import limits
from accord.advisories import import_reading, importer
from accord.advisories.importer import Outcome
from accord.advisories.models import Advisory, AdvisoryVersion, AffectedPackage
from accord.config import Settings
from accord.identity.models import AuditEvent
from tests import thirdparty
from tests.advisories.conftest import KNOWN_BAD, PYPA, VULNS, import_path, record


def _count(db: Session, model: type) -> int:
    # Each read in its own snapshot, ended at once: after a rollback the test session is no
    # longer marked read-only, and on SQLite an open snapshot would then hold the write lock.
    db.rollback()
    found = db.scalar(select(func.count()).select_from(model)) or 0
    db.rollback()
    return found


# The real database is imported in slices, one test each, so that pytest-xdist's workers share
# it (whole, it was the suite's longest test, about 8 minutes on a loaded machine). The slices
# are disjoint and together hold every record (checked in each); every record is imported,
# checked and imported again, as the whole database was.
PYPA_SLICES = 4


def _pypa_records() -> list[Path]:
    """Every record of the database, in the order the importer reads a folder."""
    return sorted(p for p in PYPA.rglob("*") if p.suffix.lower() in import_reading.SUFFIXES)


def _pypa_slice(number: int, folder: Path) -> set[str]:
    """Copy slice ``number`` of the database into ``folder`` (same layout); its record ids."""
    records = _pypa_records()
    assert len(records) == 2661
    ids = {p.stem for p in records}
    assert len(ids) == 2661
    assert ids >= KNOWN_BAD
    chosen = records[number::PYPA_SLICES]
    for path in chosen:
        target = folder / path.relative_to(PYPA)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return {p.stem for p in chosen}


@pytest.mark.slow
@pytest.mark.parametrize("number", range(PYPA_SLICES))
def test_the_real_database_imports_whole_but_the_seven_malformed_git_ranges(
    session_factory: sessionmaker[Session], db: Session, tmp_path: Path, number: int
) -> None:
    ids = _pypa_slice(number, tmp_path / "pypa")
    report = import_path(session_factory, tmp_path / "pypa")
    assert report.total == len(ids)
    assert report.counts[Outcome.IMPORTED] == len(ids)
    assert report.rejections == []
    assert {d.record_id for d in report.dropped} == KNOWN_BAD & ids
    assert len(report.dropped) == len(KNOWN_BAD & ids)
    for drop in report.dropped:
        assert "GIT ranges must use full-length commit hashes" in drop.reason
        assert drop.where.endswith(f"{drop.record_id}.yaml")
    assert _count(db, Advisory) == len(ids)
    if "PYSEC-2020-342" in ids:
        # An unquoted YAML timestamp is kept as the text written, not re-rendered from a
        # datetime.
        stored = json.loads(
            db.scalar(select(Advisory.document).where(Advisory.osv_id == "PYSEC-2020-342")) or "{}"
        )
        db.rollback()
        text = (VULNS / "apache-skywalking" / "PYSEC-2020-342.yaml").read_text()
        assert f"\nmodified: {stored['modified']}\n" in text
    again = import_path(session_factory, tmp_path / "pypa")
    assert again.counts[Outcome.UNCHANGED] == len(ids)
    assert again.counts[Outcome.IMPORTED] == again.counts[Outcome.UPDATED] == 0
    assert again.rejections == []
    assert len(again.dropped) == len(KNOWN_BAD & ids)
    assert _count(db, AdvisoryVersion) == len(ids)


def test_yaml_timestamps_stay_the_text_that_was_written(tmp_path: Path, settings: Settings) -> None:
    source = tmp_path / "PYSEC-1.yaml"
    source.write_text("id: PYSEC-1\nmodified: 2021-07-05T00:01:22.043149Z\n")
    (found,) = importer.read(str(source), settings=settings)
    assert found.content["modified"] == "2021-07-05T00:01:22.043149Z"


def test_a_newer_modified_replaces_the_current_and_keeps_the_old(
    session_factory: sessionmaker[Session], db: Session, tmp_path: Path
) -> None:
    first = record("x_TEST-7", summary="first")
    second = record("x_TEST-7", summary="second", modified="2024-02-01T00:00:00Z")
    older = record("x_TEST-7", summary="older", modified="2023-01-01T00:00:00Z")
    for name, content, outcome in [
        ("a.json", first, Outcome.IMPORTED),
        ("a.json", first, Outcome.UNCHANGED),
        ("b.json", second, Outcome.UPDATED),
        ("c.json", older, Outcome.UNCHANGED),
    ]:
        (tmp_path / name).write_text(json.dumps(content))
        assert import_path(session_factory, tmp_path / name).counts[outcome] == 1
    db.rollback()
    advisory = db.scalar(select(Advisory).where(Advisory.osv_id == "x_TEST-7"))
    assert advisory is not None
    assert advisory.summary == "second"
    history = importer.history(db, advisory)
    assert [v.number for v in history] == [1, 2]
    assert [json.loads(v.document)["summary"] for v in history] == ["first", "second"]


def test_malformed_files_and_records_are_reported_never_kept(
    session_factory: sessionmaker[Session], db: Session, tmp_path: Path
) -> None:
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "broken.yaml").write_text("id: [unclosed")
    (tmp_path / "noid.json").write_text(json.dumps({"modified": "2024-01-01T00:00:00Z"}))
    bad_vector = record(
        "x_TEST-2",
        severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
    )
    (tmp_path / "vector.json").write_text(json.dumps(bad_vector))
    (tmp_path / "good.json").write_text(json.dumps(record("x_TEST-3")))
    report = import_path(session_factory, tmp_path)
    reasons = {Path(r.where).name: r.reason for r in report.rejections}
    assert report.counts[Outcome.IMPORTED] == 1
    assert reasons["broken.json"].startswith("not valid JSON")
    assert reasons["broken.yaml"].startswith("not valid YAML")
    assert "'id' is a required property" in reasons["noid.json"]
    assert "severity[0].score" in reasons["vector.json"]
    assert "AV:X" in reasons["vector.json"]
    # The rejected record left nothing behind: no advisory, version or index row.
    db.rollback()
    assert db.scalars(select(Advisory.osv_id)).all() == ["x_TEST-3"]
    assert _count(db, AdvisoryVersion) == 1
    assert _count(db, AffectedPackage) == 1


def _osv_dev_zip(path: Path, names: list[str]) -> Path:
    # OSV.dev's per-ecosystem all.zip: one <ID>.json per record at the top level.
    with zipfile.ZipFile(path, "w") as archive:
        for name in names:
            content = yaml.load((VULNS / name).read_text(), Loader=importer._YamlLoader)  # noqa: S506
            archive.writestr(f"{content['id']}.json", json.dumps(content))
    return path


def test_zip_archives_in_osv_dev_layout(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    names = [
        "jinja2/PYSEC-2014-8.yaml",
        "jinja2/PYSEC-2019-217.yaml",
        "binderhub/PYSEC-2021-371.yaml",
    ]
    archive = _osv_dev_zip(tmp_path / "all.zip", names)
    report = import_path(session_factory, archive)
    assert report.counts[Outcome.IMPORTED] == 3
    assert [d.record_id for d in report.dropped] == ["PYSEC-2021-371"]
    assert report.dropped[0].where.endswith("all.zip!PYSEC-2021-371.json")


@pytest.fixture
def http_folder(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    server.shutdown()
    server.server_close()


def test_urls_of_zip_archives_and_files(
    session_factory: sessionmaker[Session],
    http_folder: tuple[str, Path],
    db: Session,
    settings: Settings,
) -> None:
    base, folder = http_folder
    _osv_dev_zip(folder / "PyPI.zip", ["jinja2/PYSEC-2014-8.yaml"])
    (folder / "one.json").write_text(json.dumps(record("x_TEST-9")))
    # The test server listens on loopback, which the outbound rules refuse unless allowed.
    with pytest.raises(importer.AccordError, match="non-public address"):
        import_path(session_factory, f"{base}/one.json")
    local = settings.model_copy(update={"outbound_allow_private_addresses": True})
    assert import_path(session_factory, f"{base}/PyPI.zip", local).counts[Outcome.IMPORTED] == 1
    assert import_path(session_factory, f"{base}/one.json", local).counts[Outcome.IMPORTED] == 1
    with pytest.raises(importer.AccordError, match="download failed"):
        import_path(session_factory, f"{base}/missing.zip", local)
    db.rollback()
    assert set(db.scalars(select(Advisory.osv_id))) == {"PYSEC-2014-8", "x_TEST-9"}
    assert db.scalar(select(AuditEvent.details).where(AuditEvent.action == "advisory.import"))


def test_a_missing_path_is_an_error(session_factory: sessionmaker[Session]) -> None:
    with pytest.raises(importer.AccordError, match="no such file"):
        import_path(session_factory, "/nonexistent/osv")


def _osv_schema_errors(document: dict[str, object]) -> list[str]:
    # The schema of the OSV project itself, not the copy the hub ships.
    schema = json.loads(thirdparty.OSV_SCHEMA.read_text())
    return [e.message for e in Draft202012Validator(schema).iter_errors(document)]


def test_a_malformed_git_range_is_dropped_and_the_valid_ranges_still_match(
    session_factory: sessionmaker[Session], client: TestClient, db: Session
) -> None:
    report = import_path(session_factory, VULNS / "matrix-synapse")
    assert report.rejections == []
    dropped = {d.record_id: d for d in report.dropped}
    assert set(dropped) == {"PYSEC-2021-424", "PYSEC-2021-425", "PYSEC-2021-436"}
    for osv_id, drop in dropped.items():
        assert drop.path == "affected[0].ranges[0]"
        assert "GIT ranges must use full-length commit hashes" in drop.reason
        served = client.get(f"/v1/vulns/{osv_id}").json()
        assert _osv_schema_errors(served) == []
        assert [r["type"] for r in served["affected"][0]["ranges"]] == ["ECOSYSTEM"]
    # OSV.dev answers 1.41.0 with all three; 1.41.1 fixes two of them, 1.47.1 the third.
    for version, expected in [
        ("1.41.0", {"PYSEC-2021-424", "PYSEC-2021-425", "PYSEC-2021-436"}),
        ("1.41.1", {"PYSEC-2021-436"}),
        ("1.47.1", set()),
    ]:
        query = {"package": {"ecosystem": "PyPI", "name": "matrix-synapse"}, "version": version}
        found = {v["id"] for v in client.post("/v1/query", json=query).json().get("vulns", [])}
        assert found & set(dropped) == expected, version
    # The dropped commits are not indexed: a commit query does not name them.
    query = {"commit": "cb35df940a"}
    assert client.post("/v1/query", json=query).json() == {}


def test_a_record_broken_elsewhere_than_a_range_is_still_rejected_whole(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    source = importer.parse(
        (VULNS / "matrix-synapse" / "PYSEC-2021-424.yaml").read_text(), name="a.yaml"
    )
    source["affected"][0]["package"]["ecosystem"] = 7
    (tmp_path / "a.json").write_text(json.dumps(source))
    report = import_path(session_factory, tmp_path / "a.json")
    assert [r.record_id for r in report.rejections] == ["PYSEC-2021-424"]
    assert report.dropped == []
    # A range dropped from an entry listing no versions would leave it saying nothing.
    del source["affected"][0]["versions"]
    source["affected"][0]["package"]["ecosystem"] = "PyPI"
    source["affected"][0]["ranges"].pop(1)
    (tmp_path / "b.json").write_text(json.dumps(source))
    report = import_path(session_factory, tmp_path / "b.json")
    assert [r.record_id for r in report.rejections] == ["PYSEC-2021-424"]
    assert "GIT ranges must use full-length commit hashes" in report.rejections[0].reason


def test_a_record_past_a_bound_is_rejected_alone_among_many(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    # A document nested deeper than the hub reads (a parser bomb) in a folder or an archive
    # is one rejection; the records beside it are still imported. Given alone, it refuses the
    # import with the bound.
    deep = "[" * 200 + "]" * 200
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "deep.json").write_text(deep)
    (folder / "good.json").write_text(json.dumps(record("x_TEST-10")))
    report = import_path(session_factory, folder)
    reasons = {Path(r.where).name: r.reason for r in report.rejections}
    assert report.counts[Outcome.IMPORTED] == 1
    assert "nested deeper than" in reasons["deep.json"]

    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("deep.json", deep)
        out.writestr("x_TEST-11.json", json.dumps(record("x_TEST-11")))
    report = import_path(session_factory, archive)
    assert report.counts[Outcome.IMPORTED] == 1
    assert [r.where.rsplit("!", 1)[-1] for r in report.rejections] == ["deep.json"]

    with pytest.raises(limits.LimitExceeded, match="nested deeper than"):
        import_path(session_factory, folder / "deep.json")
