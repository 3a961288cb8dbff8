"""The hub's side of offline checks: build, log and serve snapshots of public advisories.

A snapshot holds every published TLP:CLEAR advisory. The first request after the public set
changed builds a new one, in one transaction with its transparency-log entry (the manifest's
SHA-256, entry type ``advisory.snapshot``); later requests serve it as stored, with a fresh
log bundle. Only the newest few are kept: older ones stay provable through the log.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from accord.advisories.models import Advisory, AdvisoryStatus, AffectedPackage, Tlp
from accord.advisories.visibility import can_read
from accord.check import archive
from accord.check.models import Snapshot
from accord.clock import utcnow
from accord.config import Settings
from accord.identity.policy import Actor
from accord.transparency import keys, store
from accord.transparency import services as log
from accord.transparency.bundles import build_bundle

KEEP = 3

_PUBLIC = (Advisory.status == AdvisoryStatus.PUBLISHED, Advisory.tlp == Tlp.CLEAR)


def fingerprint(db: Session) -> str:
    """A digest of the public set: each record's id and digest, and its plain summary."""
    digest = hashlib.sha256()
    rows = db.execute(
        select(Advisory.osv_id, Advisory.document_sha256, Advisory.plain_summary)
        .where(*_PUBLIC)
        .order_by(Advisory.osv_id)
    )
    for osv_id, sha256, plain in rows:
        digest.update(
            f"{osv_id}\0{sha256}\0{hashlib.sha256(plain.encode()).hexdigest()}\n".encode()
        )
    return digest.hexdigest()


def newest(db: Session) -> Snapshot | None:
    """The most recent snapshot, if any."""
    return db.scalars(select(Snapshot).order_by(Snapshot.id.desc()).limit(1)).first()


def current(db: Session, *, settings: Settings) -> Snapshot:
    """The snapshot of the public set as it stands, built and logged if there is none.

    Builders queue on the log's head lock, and the one that comes second finds the first
    one's snapshot instead of building another.
    """
    wanted = fingerprint(db)
    found = db.scalars(select(Snapshot).where(Snapshot.fingerprint == wanted)).first()
    if found is not None:
        return found
    store.lock_head(db, origin=keys.origin_for(settings))
    found = db.scalars(select(Snapshot).where(Snapshot.fingerprint == wanted)).first()
    if found is not None:
        return found
    return _build(db, settings=settings, wanted=wanted)


def _build(db: Session, *, settings: Settings, wanted: str) -> Snapshot:
    packages: dict[int, set[tuple[str, str]]] = defaultdict(set)
    rows = db.execute(
        select(AffectedPackage.advisory_id, AffectedPackage.ecosystem, AffectedPackage.name)
        .join(Advisory, Advisory.id == AffectedPackage.advisory_id)
        .where(*_PUBLIC)
    )
    for advisory_id, ecosystem, name in rows:
        packages[advisory_id].add((ecosystem, name))
    records = [
        archive.RecordFile(
            osv_id=osv_id,
            modified=modified or "",
            text=document or "",
            packages=tuple(sorted(packages[advisory_id])),
            plain_summary=plain,
        )
        for advisory_id, osv_id, modified, document, plain in db.execute(
            select(
                Advisory.id,
                Advisory.osv_id,
                Advisory.osv_modified,
                Advisory.document,
                Advisory.plain_summary,
            ).where(*_PUBLIC, Advisory.document.is_not(None))
        )
    ]
    origin = log.log_verifier(db, settings=settings).name
    created = utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    manifest = archive.manifest_bytes(origin=origin, created=created, records=records)
    digest = hashlib.sha256(manifest).hexdigest()
    ref = log.append(
        db,
        settings=settings,
        entry_type=archive.ENTRY_TYPE,
        subject_id=f"snapshot@{created}",
        document=None,
        document_sha256=digest,
        sign=True,  # on demand: the snapshot is served at once with its entry's proof
    )
    snapshot = Snapshot(
        fingerprint=wanted,
        manifest_sha256=digest,
        log_index=ref.index,
        records=len(records),
        content=archive.write(manifest, records),
    )
    db.add(snapshot)
    db.flush()
    old = select(Snapshot.id).order_by(Snapshot.id.desc()).offset(KEEP)
    db.execute(delete(Snapshot).where(Snapshot.id.in_(old)))
    return snapshot


def served(db: Session, *, settings: Settings, snapshot: Snapshot) -> bytes:
    """The snapshot's archive with the log bundle of its entry against the newest checkpoint."""
    bundle = build_bundle(db, settings=settings, index=snapshot.log_index)
    return archive.with_bundle(snapshot.content, bundle.model_dump_json())


def plain_summaries(db: Session, *, ids: list[str], actor: Actor) -> dict[str, str]:
    """The plain-language summaries, by id, of the advisories ``actor`` may read that have one."""
    rows = db.execute(
        select(
            Advisory.osv_id,
            Advisory.plain_summary,
            Advisory.status,
            Advisory.tlp,
            Advisory.organization_id,
        ).where(Advisory.osv_id.in_(ids), Advisory.plain_summary != "")
    )
    return {
        osv_id: plain
        for osv_id, plain, status, tlp, org in rows
        if can_read(actor, status=status, tlp=tlp, organization_id=org)
    }
