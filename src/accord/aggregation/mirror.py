"""The hub as a CSAF aggregator (CSAF 2.0 section 7.1.22, requirements 21 to 23).

``/.well-known/csaf-aggregator/aggregator.json`` lists every registered provider: the ones
whose documents the hub mirrors (mode "aggregated"), with the mirror's URL, and the ones it
only lists. With at least one mirror the hub is an ``aggregator``, else a ``lister``. Each
mirror is ``/.well-known/csaf-aggregator/<provider>/``: a ``provider-metadata.json`` (the
provider's own, its canonical URL and distribution pointed at the mirror, its keys kept, so
that the original signatures still verify), ``index.txt``, ``changes.csv`` and
``<year>/<file>.json`` with ``.sha256``, ``.sha512`` and the provider's own ``.asc``: the
exact bytes the provider served.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.aggregation.models import CsafDocument, CsafProvider
from accord.aggregation.views import MIRROR_BASE
from accord.clock import utcnow
from accord.config import Settings
from accord.errors import N_, Message, NotFound


def _time(moment: datetime | None) -> str:
    return (moment or utcnow()).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def aggregator(db: Session, *, settings: Settings) -> dict[str, Any]:
    """The hub's aggregator.json."""
    rows = db.scalars(select(CsafProvider).order_by(CsafProvider.id)).all()
    base = f"{settings.public_url.rstrip('/')}{MIRROR_BASE}"
    entries = []
    for provider in rows:
        if not provider.provider_metadata:
            continue
        metadata = json.loads(provider.provider_metadata)
        entry: dict[str, Any] = {
            "metadata": {
                "last_updated": metadata.get("last_updated") or _time(provider.last_run_at),
                "publisher": metadata["publisher"],
                "role": metadata.get("role", "csaf_provider"),
                "url": provider.metadata_url,
            }
        }
        if provider.mode == "aggregated":
            entry["mirrors"] = [f"{base}/{provider.slug}/provider-metadata.json"]
        entries.append(entry)
    mirrors = any("mirrors" in e for e in entries)
    last = db.scalar(select(func.max(CsafProvider.last_run_at)))
    return {
        "aggregator": {
            "category": "aggregator" if mirrors else "lister",
            "contact_details": f"{settings.hub_name}: {settings.public_url}",
            "name": settings.hub_name,
            "namespace": settings.public_url,
        },
        "aggregator_version": "2.0",
        "canonical_url": f"{base}/aggregator.json",
        "csaf_providers": entries,
        "last_updated": _time(last),
    }


def _provider(db: Session, slug: str) -> CsafProvider:
    provider = db.scalar(select(CsafProvider).where(CsafProvider.slug == slug))
    if provider is None or provider.mode != "aggregated" or not provider.provider_metadata:
        raise NotFound(Message(N_("no mirrored provider %(slug)s"), slug=slug), field="provider")
    return provider


def provider_metadata(db: Session, slug: str, *, settings: Settings) -> dict[str, Any]:
    """The mirror's provider-metadata.json."""
    provider = _provider(db, slug)
    metadata: dict[str, Any] = json.loads(provider.provider_metadata or "{}")
    base = f"{settings.public_url.rstrip('/')}{MIRROR_BASE}/{slug}"
    metadata["canonical_url"] = f"{base}/provider-metadata.json"
    metadata["distributions"] = [{"directory_url": base}]
    metadata["last_updated"] = _time(provider.last_run_at)
    return metadata


def index_txt(db: Session, slug: str) -> str:
    """The mirror's ``index.txt``: one document path a line."""
    provider = _provider(db, slug)
    paths = db.scalars(
        select(CsafDocument.path)
        .where(CsafDocument.provider_id == provider.id)
        .order_by(CsafDocument.path)
    ).all()
    return "".join(f"{p}\n" for p in paths)


def changes_csv(db: Session, slug: str) -> str:
    """The mirror's ``changes.csv``: path and time of change, newest first."""
    provider = _provider(db, slug)
    rows = db.execute(
        select(CsafDocument.path, CsafDocument.changed_at, CsafDocument.fetched_at)
        .where(CsafDocument.provider_id == provider.id)
        .order_by(CsafDocument.fetched_at.desc())
    ).all()
    return "".join(f'"{p}","{_time(c or f)}"\n' for p, c, f in rows)


def document_file(db: Session, slug: str, path: str) -> tuple[str, str]:
    """A mirrored file (the document, a hash or the signature) and its media type."""
    provider = _provider(db, slug)
    stem, suffix = path, ""
    for ending in (".sha256", ".sha512", ".asc"):
        if path.endswith(ending):
            stem, suffix = path[: -len(ending)], ending
    kept = db.scalar(
        select(CsafDocument).where(
            CsafDocument.provider_id == provider.id, CsafDocument.path == stem
        )
    )
    if kept is None:
        raise NotFound(Message(N_("no mirrored document %(path)s"), path=path), field="path")
    name = stem.rsplit("/", 1)[-1]
    if suffix == ".sha256":
        return f"{kept.sha256}  {name}\n", "text/plain; charset=utf-8"
    if suffix == ".sha512":
        return f"{kept.sha512}  {name}\n", "text/plain; charset=utf-8"
    if suffix == ".asc":
        if kept.signature is None:
            raise NotFound(
                Message(N_("the provider published no signature of %(stem)s"), stem=stem),
                field="path",
            )
        return kept.signature, "application/pgp-signature"
    return kept.document, "application/json"
