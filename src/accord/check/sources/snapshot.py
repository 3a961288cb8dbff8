"""An offline snapshot: signed by the hub's log key, evaluated on this machine.

Opening a snapshot checks, against the key the user pinned: the checkpoint's signature, the
inclusion of the snapshot's log entry, that the entry records the manifest's SHA-256, and
that the entry is a snapshot's. Every record read is checked against the manifest's SHA-256.
Any failure refuses the snapshot with the reason (:class:`SnapshotRefused`).

The members are read from the index kept beside the archive when there is one made from
these very bytes (see ``containers``), else from the archive, which is then indexed. The index
goes through the same checks; one that fails them is thrown away and the archive is used.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accord.advisories import ecosystems
from accord.check import archive
from accord.check.evaluate import Evaluator
from accord.check.interface import Dependency, Progress, normalized
from accord.check.sources import SourceError
from accord.check.sources import containers as members
from accord.transparency import note
from accord.transparency.bundles import VerificationFailed, verify_bundle
from accord.transparency.monitor import parse_bundle


class SnapshotRefused(SourceError):
    """The snapshot failed a check: it is not used."""

    code = "snapshot_refused"


class _IndexFailed(Exception):
    """A member read from the index does not match the manifest: use the archive."""


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
    """Advisories from a verified snapshot file; nothing leaves the machine.

    The index of the archive is kept at ``index`` (default: beside it); with
    ``keep_index=False`` the archive alone is read and no index is written.
    """

    def __init__(
        self,
        path: Path,
        *,
        verifier: note.Verifier,
        keep_index: bool = True,
        index: Path | None = None,
    ) -> None:
        self.path = path
        self.verifier = verifier
        self.index = (index or members.index_path(path)) if keep_index else None
        self.from_index = False
        self._archive_sha256 = ""
        self._verified: dict[str, bytes] = {}  # records read and checked by verify_all
        self._container: members.Container | None = None
        if self.index is not None:
            self._open_index(self.index)
        if self._container is None:
            self._open_archive()

    def _open_index(self, index: Path) -> None:
        try:
            self._archive_sha256 = members.file_sha256(self.path)
        except OSError as exc:
            raise SnapshotRefused(f"{self.path}: not a snapshot archive ({exc})") from None
        if not index.exists():
            return
        try:
            container = members.IndexContainer(index, archive_sha256=self._archive_sha256)
        except members.Unreadable:
            members.discard(index)  # stale (another archive) or damaged: rebuilt later
            return
        try:
            self._verify(container)
        except SnapshotRefused:
            container.close()
            members.discard(index)
            return
        self._container, self.from_index = container, True

    def _open_archive(self) -> None:
        try:
            container = members.ZipContainer(self.path)
        except (OSError, zipfile.BadZipFile) as exc:
            raise SnapshotRefused(f"{self.path}: not a snapshot archive ({exc})") from None
        try:
            self._verify(container)
        except SnapshotRefused:
            container.close()
            raise
        self._container, self.from_index = container, False

    def _use_archive(self) -> None:
        # The index failed a check after it was opened: never trust it again.
        self._verified.clear()
        if self._container is not None:
            self._container.close()
        if self.index is not None:
            members.discard(self.index)
        self._container = None
        self._open_archive()

    def _verify(self, container: members.Container) -> None:
        manifest = self._member(container, archive.MANIFEST)
        digest = hashlib.sha256(manifest).hexdigest()
        bundle_text = self._member(container, archive.BUNDLE).decode(errors="replace")
        try:
            bundle = parse_bundle(bundle_text)
            verified = verify_bundle(bundle, verifier=self.verifier, document_sha256=digest)
        except VerificationFailed as exc:
            raise SnapshotRefused(f"{self.path}: refused: {exc.message}") from None
        if verified.envelope.type != archive.ENTRY_TYPE:
            raise SnapshotRefused(
                f"{self.path}: refused: the log entry is a {verified.envelope.type}, not a snapshot"
            )
        self.bundle_checkpoint = bundle.checkpoint
        body = _manifest(manifest, self.path)
        self.info = SnapshotInfo(
            origin=str(body["origin"]),
            created=str(body["created"]),
            records=len(body["records"]),
            log_index=verified.index,
            tree_size=verified.checkpoint.size,
            manifest_sha256=digest,
        )
        self.description = (
            f"the snapshot {self.path.name} of {self.info.origin} ({self.info.records} "
            f"advisories, made {self.info.created})"
        )
        self._index_manifest(body["records"])

    def _index_manifest(self, entries: Iterable[dict[str, Any]]) -> None:
        self._digests: dict[str, str] = {}
        self._plain: dict[str, str] = {}
        self._by_package: dict[tuple[str, str], list[str]] = defaultdict(list)
        for entry in entries:
            osv_id = str(entry["id"])
            self._digests[osv_id] = str(entry["sha256"])
            if entry.get("plain_summary"):
                self._plain[osv_id] = str(entry["plain_summary"])
            for ecosystem, name in entry.get("packages", []):
                self._by_package[(ecosystem, name)].append(osv_id)
        self._records: dict[str, dict[str, Any]] = {}
        self._evaluator = Evaluator()

    def _member(self, container: members.Container, name: str) -> bytes:
        try:
            return container.read(name)
        except members.Unreadable as exc:
            raise SnapshotRefused(f"{self.path}: refused: {exc}") from None

    def _record_bytes(self, osv_id: str) -> bytes:
        assert self._container is not None
        if osv_id in self._verified:
            return self._verified.pop(osv_id)
        name = archive.record_path(osv_id)
        try:
            data = self._member(self._container, name)
        except SnapshotRefused:
            if self.from_index:
                raise _IndexFailed from None
            raise
        if hashlib.sha256(data).hexdigest() != self._digests[osv_id]:
            if self.from_index:
                raise _IndexFailed
            raise SnapshotRefused(
                f"{self.path}: refused: {name} does not match the SHA-256 its manifest gives"
            )
        return data

    def record(self, osv_id: str) -> dict[str, Any]:
        """A record, once its bytes match the manifest's digest."""
        try:
            return self._record(osv_id)
        except _IndexFailed:
            self._use_archive()
            return self._record(osv_id)

    def _record(self, osv_id: str) -> dict[str, Any]:
        found = self._records.get(osv_id)
        if found is None:
            found = self._records[osv_id] = json.loads(self._record_bytes(osv_id))
        return found

    def verify_all(self) -> None:
        """Check every record of the archive against the manifest (``accord snapshot verify``
        and ``pull``), then index the archive."""
        if self.from_index:
            self._use_archive()
        self._verified = {i: self._record_bytes(i) for i in self._digests}
        self._write_index([(archive.record_path(i), d) for i, d in self._verified.items()])

    def _write_index(self, records: list[tuple[str, bytes]]) -> None:
        if self.index is None:
            return
        if not self._archive_sha256:
            self._archive_sha256 = members.file_sha256(self.path)
        assert self._container is not None
        head = [(n, self._member(self._container, n)) for n in (archive.MANIFEST, archive.BUNDLE)]
        members.write_index(self.index, archive_sha256=self._archive_sha256, members=head + records)

    def affecting(
        self, dependencies: Sequence[Dependency], *, progress: Progress | None = None
    ) -> list[list[dict[str, Any]]]:
        """The OSV evaluation of the snapshot's records for each dependency."""
        try:
            return self._affecting(dependencies, progress)
        except _IndexFailed:
            self._use_archive()
            return self._affecting(dependencies, progress)

    def _affecting(
        self, dependencies: Sequence[Dependency], progress: Progress | None
    ) -> list[list[dict[str, Any]]]:
        if self.index is not None and not self.from_index:
            # The first check of this archive: verify every record and index them all.
            self.verify_all()
        answers: list[list[dict[str, Any]]] = []
        for count, dependency in enumerate(dependencies, start=1):
            ecosystem = ecosystems.base(dependency.ecosystem)
            key = (ecosystem, normalized(ecosystem, dependency.name))
            found = []
            for osv_id in sorted(set(self._by_package.get(key, ()))):
                record = self._record(osv_id)
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
        """Close the file read."""
        if self._container is not None:
            self._container.close()


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
