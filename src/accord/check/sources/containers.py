"""Where a snapshot's members are read from: its zip archive, or the index kept beside it.

The index (``<snapshot>.index``) holds the same bytes as the archive, uncompressed and at
known offsets, so an offline check reads the few records it needs with a seek each instead
of opening the archive's directory of every record and inflating each one. It is written
only from a snapshot whose every record was verified, and it is **not trusted**: it carries
the manifest and the log bundle themselves, so the source checks it exactly as it checks an
archive (the checkpoint's signature, the inclusion proof, the manifest's digest in the log
entry, each record's digest in the manifest). A modified index fails those checks and is
thrown away; the archive is then opened and checked instead (and refused if it fails).

It names the SHA-256 of the archive it was made from, so a snapshot replaced by another
(a newer pull, a different file) is not answered from the index of the old one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, Protocol

MAGIC = b"accord-snapshot-index/1\n"
_HEADER_LIMIT = 64 * 2**20  # bytes: far above any real snapshot's header


class Unreadable(Exception):
    """A member is missing or cannot be read (the message says which and why)."""


class Container(Protocol):
    """A snapshot's members by name."""

    def read(self, name: str) -> bytes:
        """The member's bytes; :class:`Unreadable` if it is missing or unreadable."""
        ...

    def close(self) -> None:
        """Release the file."""
        ...


class ZipContainer:
    """The snapshot archive itself."""

    def __init__(self, path: Path) -> None:
        self.zip = zipfile.ZipFile(path)  # OSError, BadZipFile: the caller's to report

    def read(self, name: str) -> bytes:
        """The member's bytes, inflated."""
        try:
            return self.zip.read(name)
        except KeyError:
            raise Unreadable(f"{name} is missing") from None
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise Unreadable(f"{name} is unreadable ({exc})") from None

    def names(self) -> list[str]:
        """Every member's name."""
        return self.zip.namelist()

    def close(self) -> None:
        """Close the archive."""
        self.zip.close()


class IndexContainer:
    """The index file: a header of offsets, then every member's bytes one after another."""

    def __init__(self, path: Path, *, archive_sha256: str) -> None:
        """Open ``path`` if it was made from the archive of that digest, else
        :class:`Unreadable`."""
        try:
            self.file = path.open("rb")
        except OSError as exc:
            raise Unreadable(str(exc)) from None
        try:
            self._members, self._base = _header(self.file, archive_sha256)
            end = max((o + n for o, n in self._members.values()), default=0)
            if os.fstat(self.file.fileno()).st_size != self._base + end:
                raise Unreadable("not the size its header gives")
        except Unreadable:
            self.file.close()
            raise

    def read(self, name: str) -> bytes:
        """The member's bytes, at the offset the header gives."""
        where = self._members.get(name)
        if where is None:
            raise Unreadable(f"{name} is missing")
        offset, length = where
        self.file.seek(self._base + offset)
        data = self.file.read(length)
        if len(data) != length:
            raise Unreadable(f"{name} is cut short")
        return data

    def close(self) -> None:
        """Close the file."""
        self.file.close()


def _header(file: BinaryIO, archive_sha256: str) -> tuple[dict[str, tuple[int, int]], int]:
    # The header is JSON: {"archive_sha256": "...", "members": {name: [offset, length]}}.
    read = file.read
    if read(len(MAGIC)) != MAGIC:
        raise Unreadable("not a snapshot index")
    size_line = read(24).split(b"\n", 1)[0]
    try:
        size = int(size_line)
    except ValueError:
        raise Unreadable("not a snapshot index") from None
    if not 0 < size < _HEADER_LIMIT:
        raise Unreadable("not a snapshot index")
    start = len(MAGIC) + len(size_line) + 1
    file.seek(start)
    try:
        header = json.loads(read(size))
        if header["archive_sha256"] != archive_sha256:
            raise Unreadable("made from another archive")
        members = {str(k): (int(v[0]), int(v[1])) for k, v in header["members"].items()}
    except (ValueError, KeyError, TypeError, IndexError):
        raise Unreadable("not a snapshot index") from None
    return members, start + size


def index_path(snapshot: Path) -> Path:
    """Where the index of ``snapshot`` is kept: beside it."""
    return snapshot.with_name(snapshot.name + ".index")


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def write_index(path: Path, *, archive_sha256: str, members: Iterable[tuple[str, bytes]]) -> None:
    """Write the index atomically (a reader sees the old file or the whole new one); a folder
    that cannot be written to is not an error: the check reads the archive then."""
    members_at: dict[str, list[int]] = {}
    blobs: list[bytes] = []
    offset = 0
    for name, data in members:
        members_at[name] = [offset, len(data)]
        blobs.append(data)
        offset += len(data)
    header = json.dumps(
        {"archive_sha256": archive_sha256, "members": members_at}, separators=(",", ":")
    ).encode()
    with contextlib.suppress(OSError):
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (renamed into place below)
            dir=path.parent, prefix=path.name, suffix=".part", delete=False
        )
        try:
            with handle:
                handle.write(MAGIC + str(len(header)).encode() + b"\n" + header)
                for blob in blobs:
                    handle.write(blob)
            os.replace(handle.name, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(handle.name)


def discard(path: Path) -> None:
    """Remove an index that failed a check (it is rebuilt from the archive)."""
    with contextlib.suppress(OSError):
        path.unlink()
