"""The index kept beside a snapshot: the same answers as the archive, checked like it, and
never trusted when modified (thrown away and rebuilt from the archive, which is refused if
it fails)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from accord.advisories import importer
from accord.check import archive, inputs, services
from accord.check.findings import Filters
from accord.check.sources import containers
from accord.check.sources.snapshot import SnapshotRefused, SnapshotSource
from accord.transparency import note
from tests.check.conftest import DATA
from tests.check.test_snapshot import INPUTS, _download, _key, _rewrite

Answers = list[tuple[str, str, str, tuple[str, ...]]]


def _answers(source: SnapshotSource) -> Answers:
    readings = inputs.read_all([*INPUTS, DATA / "poetry.lock", DATA / "package-lock.json"])
    report = services.check(readings=readings, source=source, filters=Filters())
    source.close()
    return [
        (f.dependency.name, f.dependency.version, f.advisory.id, f.fixed_in)
        for f in report.findings
    ]


@pytest.fixture
def snapshot(client: TestClient, pypa_hub: importer.Report, tmp_path: Path) -> Path:
    """A snapshot as the hub serves it (not indexed yet)."""
    return _download(client, tmp_path)


@pytest.fixture
def verifier(client: TestClient) -> note.Verifier:
    return _key(client)


def _archive_answers(snapshot: Path, verifier: note.Verifier) -> Answers:
    return _answers(SnapshotSource(snapshot, verifier=verifier, keep_index=False))


def test_the_first_check_indexes_and_the_next_reads_the_index(
    snapshot: Path, verifier: note.Verifier
) -> None:
    expected = _archive_answers(snapshot, verifier)
    assert expected
    index = containers.index_path(snapshot)
    assert not index.exists()
    first = SnapshotSource(snapshot, verifier=verifier)
    assert not first.from_index
    assert _answers(first) == expected
    assert index.exists()
    second = SnapshotSource(snapshot, verifier=verifier)
    assert second.from_index
    assert second.info == first.info
    assert _answers(second) == expected
    assert second.from_index  # nothing failed: the archive was not opened


def _member_at(index: Path, name: str) -> int:
    """Where a member's bytes start in the index file."""
    data = index.read_bytes()
    size_line = data[len(containers.MAGIC) :].split(b"\n", 1)[0]
    start = len(containers.MAGIC) + len(size_line) + 1
    header = json.loads(data[start : start + int(size_line)])
    return start + int(size_line) + int(header["members"][name][0])


def _flip(index: Path, at: int) -> None:
    data = bytearray(index.read_bytes())
    data[at] ^= 0x01
    index.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "where",
    [
        "records/PYSEC-2019-217.json",  # a record (found only when it is read)
        archive.MANIFEST,
        archive.BUNDLE,
        "header",
        "cut short",
    ],
)
def test_a_modified_index_is_not_trusted(
    snapshot: Path, verifier: note.Verifier, where: str
) -> None:
    expected = _archive_answers(snapshot, verifier)
    SnapshotSource(snapshot, verifier=verifier).verify_all()
    index = containers.index_path(snapshot)
    if where == "header":
        _flip(index, len(containers.MAGIC) + 12)
    elif where == "cut short":
        index.write_bytes(index.read_bytes()[:-4000])
    else:
        _flip(index, _member_at(index, where) + 20)
    source = SnapshotSource(snapshot, verifier=verifier)
    assert _answers(source) == expected
    assert not source.from_index  # the archive answered
    # ... and the index was made again from it, whole.
    again = SnapshotSource(snapshot, verifier=verifier)
    assert again.from_index
    again.verify_all()
    assert _answers(SnapshotSource(snapshot, verifier=verifier)) == expected


def test_a_tampered_archive_is_refused_beside_a_good_index(
    snapshot: Path, verifier: note.Verifier, tmp_path: Path
) -> None:
    SnapshotSource(snapshot, verifier=verifier).verify_all()
    assert containers.index_path(snapshot).exists()
    tampered = tmp_path / "tampered.zip"
    _rewrite(snapshot, tampered, "records/PYSEC-2019-217.json", b'{"id": "PYSEC-2019-217"}')
    tampered.replace(snapshot)  # the archive changed under its index
    source = SnapshotSource(snapshot, verifier=verifier)
    assert not source.from_index  # the index names the old archive's digest
    with pytest.raises(SnapshotRefused, match=r"PYSEC-2019-217\.json does not match the SHA-256"):
        _answers(source)


def test_a_tampered_proof_is_refused_beside_a_good_index(
    snapshot: Path, verifier: note.Verifier, tmp_path: Path
) -> None:
    SnapshotSource(snapshot, verifier=verifier).verify_all()
    with zipfile.ZipFile(snapshot) as original:
        bundle = json.loads(original.read(archive.BUNDLE))
    bundle["inclusion"]["hashes"][0] = "A" * 43 + "="
    tampered = tmp_path / "tampered.zip"
    _rewrite(snapshot, tampered, archive.BUNDLE, json.dumps(bundle).encode())
    tampered.replace(snapshot)
    with pytest.raises(SnapshotRefused, match="refused: inclusion proof"):
        SnapshotSource(snapshot, verifier=verifier)


def test_another_key_is_refused_even_with_an_index(snapshot: Path, verifier: note.Verifier) -> None:
    SnapshotSource(snapshot, verifier=verifier).verify_all()
    other = note.Verifier(verifier.name, bytes(32))
    with pytest.raises(SnapshotRefused, match="refused: checkpoint"):
        SnapshotSource(snapshot, verifier=other)


def test_an_unwritable_folder_means_no_index(
    snapshot: Path, verifier: note.Verifier, tmp_path: Path
) -> None:
    expected = _archive_answers(snapshot, verifier)
    elsewhere = tmp_path / "missing-folder" / "snapshot.zip.index"
    source = SnapshotSource(snapshot, verifier=verifier, index=elsewhere)
    assert _answers(source) == expected
    assert not elsewhere.exists()
