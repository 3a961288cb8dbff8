"""An offline snapshot: signed by the hub's log key, evaluated on this machine.

Opening a snapshot checks, against the key the user pinned: the checkpoint's signature, the
inclusion of the snapshot's log entry, that the entry records the manifest's SHA-256, and
that the entry is a snapshot's. Every record read is checked against the manifest's SHA-256.
Any failure refuses the snapshot with the reason (:class:`SnapshotRefused`).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accord.advisories import ecosystems
from accord.check import archive
from accord.check.evaluate import Evaluator
from accord.check.interface import Dependency, Progress
from accord.check.sources import SourceError
from accord.transparency import note
from accord.transparency.bundles import VerificationFailed, verify_bundle
from accord.transparency.monitor import parse_bundle


class SnapshotRefused(SourceError):
    """The snapshot failed a check: it is not used."""

    code = "snapshot_refused"


@dataclass(frozen=True)
class SnapshotInfo:
    """What a verified snapshot says about itself."""

    origin: str
    created: str
    records: int
    log_index: int
    tree_size: int
    manifest_sha256: str


class SnapshotSource:
    """Advisories from a verified snapshot file; nothing leaves the machine."""

    def __init__(self, path: Path, *, verifier: note.Verifier) -> None:
        self.path = path
        try:
            self.zip = zipfile.ZipFile(path)
        except (OSError, zipfile.BadZipFile) as exc:
            raise SnapshotRefused(f"{path}: not a snapshot archive ({exc})") from None
        manifest = self._member(archive.MANIFEST)
        digest = hashlib.sha256(manifest).hexdigest()
        bundle_text = self._member(archive.BUNDLE).decode(errors="replace")
        try:
            bundle = parse_bundle(bundle_text)
            verified = verify_bundle(bundle, verifier=verifier, document_sha256=digest)
        except VerificationFailed as exc:
            raise SnapshotRefused(f"{path}: refused: {exc.message}") from None
        if verified.envelope.type != archive.ENTRY_TYPE:
            raise SnapshotRefused(
                f"{path}: refused: the log entry is a {verified.envelope.type}, not a snapshot"
            )
        self.bundle_checkpoint = bundle.checkpoint
        body = _manifest(manifest, path)
        self.info = SnapshotInfo(
            origin=str(body["origin"]),
            created=str(body["created"]),
            records=len(body["records"]),
            log_index=verified.index,
            tree_size=verified.checkpoint.size,
            manifest_sha256=digest,
        )
        self.description = (
            f"the snapshot {path.name} of {self.info.origin} ({self.info.records} advisories, "
            f"made {self.info.created})"
        )
        self._digests: dict[str, str] = {}
        self._plain: dict[str, str] = {}
        self._by_package: dict[tuple[str, str], list[str]] = defaultdict(list)
        for entry in body["records"]:
            osv_id = str(entry["id"])
            self._digests[osv_id] = str(entry["sha256"])
            if entry.get("plain_summary"):
                self._plain[osv_id] = str(entry["plain_summary"])
            for ecosystem, name in entry.get("packages", []):
                self._by_package[(ecosystem, name)].append(osv_id)
        self._records: dict[str, dict[str, Any]] = {}
        self._evaluator = Evaluator()

    def _member(self, name: str) -> bytes:
        try:
            return self.zip.read(name)
        except KeyError:
            raise SnapshotRefused(f"{self.path}: refused: {name} is missing") from None
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise SnapshotRefused(f"{self.path}: refused: {name} is unreadable ({exc})") from None

    def record(self, osv_id: str) -> dict[str, Any]:
        """A record, once its bytes match the manifest's digest."""
        found = self._records.get(osv_id)
        if found is None:
            data = self._member(archive.record_path(osv_id))
            if hashlib.sha256(data).hexdigest() != self._digests[osv_id]:
                raise SnapshotRefused(
                    f"{self.path}: refused: {archive.record_path(osv_id)} does not match the "
                    "SHA-256 its manifest gives"
                )
            found = self._records[osv_id] = json.loads(data)
        return found

    def verify_all(self) -> None:
        """Check every record against the manifest (``accord snapshot verify`` and ``pull``)."""
        for osv_id in self._digests:
            self.record(osv_id)
        self._records.clear()

    def affecting(
        self, dependencies: Sequence[Dependency], *, progress: Progress | None = None
    ) -> list[list[dict[str, Any]]]:
        """The OSV evaluation of the snapshot's records for each dependency."""
        answers: list[list[dict[str, Any]]] = []
        for count, dependency in enumerate(dependencies, start=1):
            ecosystem = ecosystems.base(dependency.ecosystem)
            key = (ecosystem, ecosystems.normalize_name(ecosystem, dependency.name))
            found = []
            for osv_id in sorted(set(self._by_package.get(key, ()))):
                record = self.record(osv_id)
                if self._evaluator.affects(record, dependency):
                    found.append(record)
            answers.append(found)
            if progress is not None and count % 100 == 0:
                progress.advance(100)
        if progress is not None:
            progress.advance(len(dependencies) % 100)
        return answers

    def plain_summaries(self, ids: Sequence[str]) -> dict[str, str]:
        """The plain summaries the manifest carries."""
        return {i: self._plain[i] for i in ids if i in self._plain}

    def close(self) -> None:
        """Close the archive."""
        self.zip.close()


def _manifest(data: bytes, path: Path) -> dict[str, Any]:
    try:
        body = json.loads(data)
    except ValueError:
        raise SnapshotRefused(f"{path}: refused: the manifest is not JSON") from None
    if not isinstance(body, dict) or body.get("format") != archive.FORMAT:
        raise SnapshotRefused(f"{path}: refused: the manifest is not {archive.FORMAT}")
    if not isinstance(body.get("records"), list):
        raise SnapshotRefused(f"{path}: refused: the manifest lists no records")
    return body
