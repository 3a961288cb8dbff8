"""What other domains' pages show of a kept CSAF document."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.aggregation.models import CsafDocument, CsafProvider

MIRROR_BASE = "/.well-known/csaf-aggregator"


@dataclass(frozen=True)
class KeptCsaf:
    """Where an advisory's CSAF document came from and what its signature was found to be."""

    tracking_id: str
    tracking_version: str
    source: str
    url: str
    signature_status: str
    signature_key: str | None
    mirror_path: str | None


def kept_for(db: Session, advisory_id: int) -> KeptCsaf | None:
    """The CSAF document kept for an advisory, if it came from one."""
    row = db.execute(
        select(CsafDocument, CsafProvider.slug, CsafProvider.mode)
        .outerjoin(CsafProvider, CsafProvider.id == CsafDocument.provider_id)
        .where(CsafDocument.advisory_id == advisory_id)
    ).first()
    if row is None:
        return None
    kept, slug, mode = row
    mirror = f"{MIRROR_BASE}/{slug}/{kept.path}" if slug and mode == "aggregated" else None
    return KeptCsaf(
        kept.tracking_id,
        kept.tracking_version,
        kept.source,
        kept.url,
        kept.signature_status,
        kept.signature_key,
        mirror,
    )
