"""Reading records to import: a file, a folder, a zip archive or a URL, JSON or YAML, each
within the bounds of :mod:`accord.limits` (what is done with them is in ``importer.py``)."""

from __future__ import annotations

import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import yaml

from accord import limits, outbound
from accord.config import Settings
from accord.errors import N_, AccordError, Message

SUFFIXES = (".json", ".yaml", ".yml")


@dataclass(frozen=True)
class Source:
    """One record as read: where it came from, and its parsed content or why it failed."""

    where: str
    content: Any = None
    error: str | None = None


class _YamlLoader(yaml.CSafeLoader):
    """Safe YAML that keeps timestamps as the text written (OSV timestamps are strings)."""


_YamlLoader.add_constructor(
    "tag:yaml.org,2002:timestamp",
    lambda loader, node: loader.construct_scalar(node),  # type: ignore[arg-type]
)


def parse(text: str | bytes, *, name: str, where: str | None = None) -> Any:
    """JSON or YAML by the file name's suffix, within the bounds of :mod:`accord.limits`
    (past one, :class:`~accord.limits.LimitExceeded` names ``where`` the document is)."""
    if name.lower().endswith(".json"):
        return limits.load_json(text, what=where or name)
    return limits.load_yaml(text, what=where or name, loader=_YamlLoader)


def read(location: str, *, settings: Settings) -> Iterator[Source]:
    """Every record at ``location``: a file, a folder, a zip archive, or an http(s) URL
    (fetched under the outbound rules of :mod:`accord.outbound`)."""
    if location.startswith(("http://", "https://")):
        yield from _read_url(location, settings)
        return
    path = Path(location)
    if path.is_dir():
        for file in sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES):
            yield from _read_file(file.name, str(file), partial(_read_path, file), one_of_many=True)
    elif path.suffix.lower() == ".zip":
        yield from _read_zip(path, location)
    elif path.is_file():
        yield from _read_file(path.name, str(path), partial(_read_path, path))
    else:
        raise AccordError(Message(N_("%(location)s: no such file or folder"), location=location))


def count(location: str) -> int | None:
    """How many files ``location`` holds, for a progress bar (None if unknown ahead)."""
    path = Path(location)
    if path.is_dir():
        return sum(1 for p in path.rglob("*") if p.suffix.lower() in SUFFIXES)
    if path.suffix.lower() == ".zip" and path.is_file():
        with zipfile.ZipFile(path) as archive:
            return sum(1 for n in archive.namelist() if n.lower().endswith(SUFFIXES))
    return None


def _read_path(path: Path) -> bytes:
    limit = limits.MAX_JSON_BYTES if path.suffix.lower() == ".json" else limits.MAX_YAML_BYTES
    limits.check_size(path.stat().st_size, limit, what=str(path))
    return path.read_bytes()


def _read_file(
    name: str, where: str, load: Callable[[], bytes], *, one_of_many: bool = False
) -> Iterator[Source]:
    """The records of one file. A file past a per-file bound is one rejection among many
    (in a folder or an archive: the others are still imported), or, given alone, refuses the
    import with the bound it passed."""
    try:
        content = parse(load(), name=name, where=where)
    except limits.LimitExceeded as exc:
        if not one_of_many:
            raise
        yield Source(where, error=exc.reason)
        return
    except (ValueError, yaml.YAMLError, UnicodeDecodeError) as exc:
        yield Source(where, error=f"not valid {Path(name).suffix[1:].upper()}: {_first_line(exc)}")
        return
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        # A member whose data does not match its header (CRC, size) or is cut short.
        yield Source(where, error=f"unreadable in the archive: {_first_line(exc)}")
        return
    if isinstance(content, list):  # some databases publish all records in one JSON array
        for index, item in enumerate(content):
            yield Source(f"{where}[{index}]", item)
    else:
        yield Source(where, content)


def _read_zip(path: Path, where: str) -> Iterator[Source]:
    # OSV.dev's per-ecosystem archives: one <ID>.json per record at the top level.
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise AccordError(
            Message(N_("%(where)s: not a zip archive (%(exc)s)"), where=where, exc=exc)
        ) from None
    with archive:
        for member in limits.zip_members(archive, what=where):
            if member.is_dir() or not member.filename.lower().endswith(SUFFIXES):
                continue
            name, inside = member.filename, f"{where}!{member.filename}"
            read_member = partial(limits.read_zip_member, archive, member, what=inside)
            yield from _read_file(name, inside, read_member, one_of_many=True)


def _read_url(url: str, settings: Settings) -> Iterator[Source]:
    with tempfile.TemporaryDirectory() as folder:
        name = url.rstrip("/").rsplit("/", 1)[-1].split("?")[0] or "download.json"
        target = Path(folder) / name
        _download(url, target, settings)
        if target.suffix.lower() == ".zip" or zipfile.is_zipfile(target):
            yield from _read_zip(target, url)
        else:
            yield from _read_file(name, url, partial(_read_path, target))


def _download(url: str, target: Path, settings: Settings) -> None:
    received = 0
    # Redirects are followed, each to an address checked as the first one was: a public URL
    # must not lead the hub into its own network.
    try:
        with (
            outbound.client(settings, follow_redirects=True) as client,
            client.stream("GET", url) as response,
        ):
            response.raise_for_status()
            with target.open("wb") as out:
                for chunk in response.iter_bytes():
                    received += len(chunk)
                    limits.check_size(received, limits.MAX_DOWNLOAD_BYTES, what=url)
                    out.write(chunk)
    except httpx.HTTPError as exc:
        raise AccordError(
            Message(N_("%(url)s: download failed: %(exc)s"), url=url, exc=exc)
        ) from None
    except outbound.Refused as exc:
        raise AccordError(
            Message(
                N_(
                    "%(url)s: not fetched: %(message)s (private addresses only with "
                    "--allow-private-network or ACCORD_OUTBOUND_ALLOW_PRIVATE_ADDRESSES)"
                ),
                url=url,
                message=exc.message,
            )
        ) from None


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
