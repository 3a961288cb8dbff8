"""The offline snapshot's file format, written by the hub and read by ``accord check``.

A zip archive holding:

- ``manifest.json``: ``{"format": "accord-snapshot/1", "origin", "created", "records": [{"id",
  "modified", "sha256", "packages": [[ecosystem, name], ...], "plain_summary"?}, ...]}``;
  the SHA-256 of these exact bytes is what the hub's transparency log records (entry type
  ``advisory.snapshot``);
- ``records/<id>.json``: each record, byte for byte as the hub stores it, whose SHA-256 the
  manifest gives;
- ``log-bundle.json``: the log's proof, added when the snapshot is served: the entry, its
  inclusion proof and the signed checkpoint it leads to (``accord-log-bundle/1``).

So a snapshot is checked with the log's key alone: the checkpoint's signature, the entry's
inclusion, the manifest's digest in the entry, and each record's digest in the manifest.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

FORMAT = "accord-snapshot/1"
ENTRY_TYPE = "advisory.snapshot"
MANIFEST = "manifest.json"
BUNDLE = "log-bundle.json"
RECORDS = "records/"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the same content always makes the same bytes


@dataclass(frozen=True)
class RecordFile:
    """One record as it goes into a snapshot."""

    osv_id: str
    modified: str
    text: str
    packages: tuple[tuple[str, str], ...]
    plain_summary: str = ""


def manifest_bytes(*, origin: str, created: str, records: Iterable[RecordFile]) -> bytes:
    """The manifest for ``records`` (compact JSON, keys sorted, records by id)."""
    entries = []
    for record in sorted(records, key=lambda r: r.osv_id):
        entry: dict[str, Any] = {
            "id": record.osv_id,
            "modified": record.modified,
            "sha256": hashlib.sha256(record.text.encode()).hexdigest(),
            "packages": [list(p) for p in record.packages],
        }
        if record.plain_summary:
            entry["plain_summary"] = record.plain_summary
        entries.append(entry)
    body = {"format": FORMAT, "origin": origin, "created": created, "records": entries}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def record_path(osv_id: str) -> str:
    """Where a record sits in the archive."""
    return f"{RECORDS}{osv_id}.json"


def write(manifest: bytes, records: Iterable[RecordFile]) -> bytes:
    """The archive of a manifest and its records (without the log bundle)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        _put(archive, MANIFEST, manifest)
        for record in sorted(records, key=lambda r: r.osv_id):
            _put(archive, record_path(record.osv_id), record.text.encode())
    return buffer.getvalue()


def with_bundle(archive_bytes: bytes, bundle_json: str) -> bytes:
    """The archive with the log bundle appended (the stored bytes are not changed)."""
    buffer = io.BytesIO(archive_bytes)
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        _put(archive, BUNDLE, bundle_json.encode())
    return buffer.getvalue()


def _put(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)
