"""Rules of the aggregator: registering a provider, reading what the hub knows of them.

Services take the session, the actor and the settings and never commit. Registering reads
the provider's metadata at once (so a wrong URL or domain is answered on the form, with what
each place the spec names answered) and queues the first pass.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.aggregation import feeds
from accord.aggregation.fetching import Fetcher, FetchFailed
from accord.aggregation.models import CsafDocument, CsafFailure, CsafProvider, CsafRun
from accord.config import Settings
from accord.errors import N_, Conflict, InvalidInput, Message, NotFound
from accord.identity import audit
from accord.identity.policy import Action, Actor, authorize
from accord.jobs import services as jobs

PASS_KIND = "aggregation.pass"  # noqa: S105 (a job kind)
MODES = ("aggregated", "listed")


def _slug(db: Session, name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "provider"
    slug, number = base, 1
    while db.scalar(select(CsafProvider.id).where(CsafProvider.slug == slug)) is not None:
        number += 1
        slug = f"{base}-{number}"
    return slug


def register(
    db: Session,
    *,
    actor: Actor,
    settings: Settings,
    given: str,
    mode: str = "aggregated",
    organization_id: int | None = None,
) -> CsafProvider:
    """Register the provider ``given`` names (metadata URL or domain) and queue its first pass.

    Operators register any provider; an organization's admins register their own.
    """
    if organization_id is None:
        authorize(actor, Action.HUB_OPERATE)
    else:
        authorize(actor, Action.ORG_EDIT, org_id=organization_id)
    given = given.strip()
    if not given or len(given) > 500:
        raise InvalidInput(N_("enter a provider-metadata.json URL or a domain"), field="given")
    if mode not in MODES:
        raise InvalidInput(N_("the mode is aggregated or listed"), field="mode")
    with Fetcher(settings) as fetcher:
        try:
            metadata = feeds.discover(fetcher, given)
        except FetchFailed as exc:
            raise InvalidInput(exc.message[:600], field="given") from None
    if db.scalar(select(CsafProvider.id).where(CsafProvider.metadata_url == metadata.url)):
        raise Conflict(
            Message(N_("%(url)s is registered already"), url=metadata.url), field="given"
        )
    publisher = metadata.content.get("publisher") or {}
    provider = CsafProvider(
        organization_id=organization_id,
        metadata_url=metadata.url,
        mode=mode,
        name=str(publisher.get("name", ""))[:300],
        namespace=str(publisher.get("namespace", ""))[:500],
        role=str(metadata.content.get("role", ""))[:40],
        slug=_slug(db, str(publisher.get("name", "")) or metadata.url),
        keys=[],
        provider_metadata=metadata.text,
    )
    db.add(provider)
    db.flush()
    audit.record(db, actor=actor, action="csaf_provider.register", target=metadata.url[:200],
                 details={"mode": mode, "organization_id": organization_id})  # fmt: skip
    queue_pass(db, provider=provider, settings=settings)
    return provider


def queue_pass(db: Session, *, provider: CsafProvider, settings: Settings) -> None:
    """Queue a pass over ``provider`` (one queued at a time)."""
    if provider.mode != "aggregated":
        return
    jobs.enqueue(db, kind=PASS_KIND, payload={"provider_id": provider.id}, settings=settings,
                 organization_id=provider.organization_id,
                 dedupe_key=f"{PASS_KIND}:{provider.id}")  # fmt: skip


def providers(
    db: Session, *, actor: Actor, organization_id: int | None = None
) -> Sequence[CsafProvider]:
    """The providers registered (by one organization, when given)."""
    if organization_id is None:
        authorize(actor, Action.HUB_READ)
        query = select(CsafProvider)
    else:
        authorize(actor, Action.ORG_PRIVATE_READ, org_id=organization_id)
        query = select(CsafProvider).where(CsafProvider.organization_id == organization_id)
    return db.scalars(query.order_by(CsafProvider.name, CsafProvider.id)).all()


@dataclass(frozen=True)
class ProviderView:
    """A provider with its documents, failures and last run, for its page."""

    provider: CsafProvider
    documents: Sequence[CsafDocument]
    document_count: int
    failures: Sequence[CsafFailure]
    failure_count: int
    last_run: CsafRun | None
    advisory_ids: dict[int, str]


def view(db: Session, *, actor: Actor, provider_id: int, limit: int = 100) -> ProviderView:
    """One provider as its page shows it (operators; or its organization's members)."""
    from accord.advisories.models import Advisory

    provider = db.get(CsafProvider, provider_id)
    if provider is None:
        raise NotFound(
            Message(N_("no CSAF provider %(provider_id)s"), provider_id=provider_id),
            field="provider",
        )
    if provider.organization_id is None:
        authorize(actor, Action.HUB_READ)
    else:
        authorize(actor, Action.ORG_PRIVATE_READ, org_id=provider.organization_id)
    docs = db.scalars(
        select(CsafDocument)
        .where(CsafDocument.provider_id == provider_id)
        .order_by(CsafDocument.fetched_at.desc(), CsafDocument.id.desc())
        .limit(limit)
    ).all()
    fails = db.scalars(
        select(CsafFailure)
        .where(CsafFailure.provider_id == provider_id)
        .order_by(CsafFailure.at.desc(), CsafFailure.id.desc())
        .limit(limit)
    ).all()
    ids = {d.advisory_id for d in docs}
    names: dict[int, str] = {
        row.id: row.osv_id
        for row in db.execute(select(Advisory.id, Advisory.osv_id).where(Advisory.id.in_(ids)))
    }
    return ProviderView(
        provider,
        docs,
        _count(db, CsafDocument, provider_id),
        fails,
        _count(db, CsafFailure, provider_id),
        db.scalar(
            select(CsafRun)
            .where(CsafRun.provider_id == provider_id)
            .order_by(CsafRun.started_at.desc(), CsafRun.id.desc())
            .limit(1)
        ),
        names,
    )


def _count(db: Session, model: type[CsafDocument] | type[CsafFailure], provider_id: int) -> int:
    return db.scalar(select(func.count()).where(model.provider_id == provider_id)) or 0
