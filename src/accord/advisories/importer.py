"""Importing OSV records and CSAF 2.0 documents: files, folders, zip archives and URLs.

A file whose content is a CSAF document (``document.csaf_version``) goes to
:mod:`accord.aggregation.intake`: the CSAF schema and mandatory tests, then an advisory made
from it with the document kept whole.

Every record is validated against the official OSV schema; an invalid one is reported with the
reason and never stored, except that a range breaking the schema is dropped and reported
(range by range) when the rest of the record is valid (see ``validation.salvage``). Each
record is imported in its own savepoint, so a record is in entirely or not at all, and
re-importing is idempotent by (id, modified): the same version
changes nothing, a newer one becomes current (the old one stays in the history).
"""

from __future__ import annotations

import enum
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord import limits, outbound
from accord.advisories import documents, sources, validation
from accord.advisories.errors import BadRecord
from accord.advisories.models import Advisory, AdvisoryStatus, AdvisoryVersion, Tlp
from accord.advisories.publication import publish
from accord.aggregation.checks import is_csaf
from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import N_, AccordError, Message
from accord.identity import audit
from accord.identity.policy import Action, Actor, authorize
from accord.transparency import services as log

SUFFIXES = (".json", ".yaml", ".yml")
BATCH = 200  # records per transaction; each record still has its own savepoint


class Outcome(enum.StrEnum):
    """What importing one record did."""

    IMPORTED = "imported"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Rejection:
    """A record that was not imported, and why."""

    where: str
    record_id: str | None
    reason: str


@dataclass(frozen=True)
class Dropped:
    """A range left out of an imported record: the rest of the record was valid."""

    where: str
    record_id: str
    path: str
    reason: str


@dataclass
class Report:
    """The summary of an import."""

    counts: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))
    rejections: list[Rejection] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Records seen."""
        return sum(self.counts.values())


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


def import_record(
    db: Session,
    source: Source,
    *,
    actor: Actor,
    settings: Settings,
    origin: str,
    organization_id: int | None,
    dropped: list[Dropped] | None = None,
) -> Outcome | Rejection:
    """Import one record in its own savepoint: all of it, or nothing and the reason.

    The ranges :func:`validation.salvage` drops are appended to ``dropped`` when the record
    is stored (or found unchanged).
    """
    record = source.content
    if source.error is None and is_csaf(record):
        from accord.aggregation import intake  # the CSAF reader, loaded when a file is CSAF

        return intake.import_source(
            db, source.where, record, actor=actor, settings=settings, origin=origin,
            organization_id=organization_id,
        )  # fmt: skip
    record_id = record.get("id") if isinstance(record, dict) else None
    record_id = record_id if isinstance(record_id, str) else None
    if source.error is not None:
        return Rejection(source.where, record_id, source.error)
    if record_id is None or not isinstance(record.get("modified"), str):
        return Rejection(source.where, record_id, validation.problem(record) or "not a record")
    record, drops = validation.salvage(record)
    try:
        with db.begin_nested():
            outcome = store_record(
                db,
                record,
                actor=actor,
                settings=settings,
                origin=origin,
                organization_id=organization_id,
            )
    except BadRecord as exc:
        return Rejection(source.where, record_id, exc.message)
    if dropped is not None:
        dropped += [Dropped(source.where, record_id, d.path, d.reason) for d in drops]
    return outcome


def store_record(
    db: Session,
    record: dict[str, Any],
    *,
    actor: Actor,
    settings: Settings,
    origin: str,
    organization_id: int | None,
) -> Outcome:
    """Store one valid OSV record as a new advisory, a new version of one, or nothing
    (the same or an older version); :class:`BadRecord` for one this hub publishes itself.
    The caller holds the savepoint."""
    existing = db.scalar(select(Advisory).where(Advisory.osv_id == record["id"]))
    if existing is None:
        advisory = Advisory(
            osv_id=record["id"],
            organization_id=organization_id,
            status=AdvisoryStatus.PUBLISHED,
            tlp=Tlp.CLEAR,
            source=sources.stored_origin(origin, record["id"]),
        )
        db.add(advisory)
        db.flush()
        publish(db, advisory=advisory, record=record, actor=actor, settings=settings, sign=False)
        return Outcome.IMPORTED
    if existing.source == "hub":
        raise BadRecord(
            Message(
                N_("%(record)s is published on this hub; an import cannot replace it"),
                record=record["id"],
            )
        )
    modified = documents.parse_timestamp(record["modified"], field="modified")
    if existing.modified_at is not None and modified <= existing.modified_at:
        # The same version, or an older one than the current: still checked, never stored.
        problem = validation.problem(record)
        if problem is not None:
            raise BadRecord(problem)
        return Outcome.UNCHANGED
    publish(db, advisory=existing, record=record, actor=actor, settings=settings, sign=False)
    return Outcome.UPDATED


def run(
    factory: sessionmaker[Session],
    location: str,
    *,
    actor: Actor,
    settings: Settings,
    organization_id: int | None = None,
    on_record: Callable[[Outcome | Rejection], None] | None = None,
    source_name: str | None = None,
) -> Report:
    """Import every record at ``location``, committing every :data:`BATCH` records. The
    records are shown as coming from ``source_name``, else from what ``location`` says
    (:mod:`accord.advisories.sources`)."""
    authorize(actor, Action.HUB_OPERATE)
    report = Report()
    sources = read(location, settings=settings)
    while True:
        batch = [s for _, s in zip(range(BATCH), sources, strict=False)]
        if not batch:
            break
        with unit_of_work(factory) as db:
            for source in batch:
                result = import_record(
                    db,
                    source,
                    actor=actor,
                    settings=settings,
                    origin=source_name or location,
                    organization_id=organization_id,
                    dropped=report.dropped,
                )
                _tally(report, result)
                if on_record is not None:
                    on_record(result)
            # The batch's entries wait for the log's cadence, like every publication (one
            # checkpoint per batch when the hub signs one per transaction).
            log.sign_without_cadence(db, settings=settings)
    # No cadence runs in the command that imports: one checkpoint covers the whole import.
    log.sign_pending(factory, settings=settings)
    with unit_of_work(factory) as db:
        audit.record(
            db,
            actor=actor,
            action="advisory.import",
            target=location[:200],
            details={
                **{o.value: n for o, n in report.counts.items()},
                "dropped_ranges": len(report.dropped),
            },
        )
    return report


def _tally(report: Report, result: Outcome | Rejection) -> None:
    if isinstance(result, Rejection):
        report.counts[Outcome.REJECTED] += 1
        report.rejections.append(result)
    else:
        report.counts[result] += 1


def history(db: Session, advisory: Advisory) -> list[AdvisoryVersion]:
    """Every published version of an advisory, oldest first."""
    return list(
        db.scalars(
            select(AdvisoryVersion)
            .where(AdvisoryVersion.advisory_id == advisory.id)
            .order_by(AdvisoryVersion.number)
        )
    )
