"""The notification interface other domains call, and an organization's webhooks.

:func:`notify` turns a :class:`Notice` into deliveries, one job per email address and per
webhook, queued in the caller's transaction: if the caller's change rolls back, nobody is
told; once it commits, each delivery is retried on its own until it succeeds or goes dead,
and stays visible either way.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.config import Settings
from accord.disclosure.models import TimeZonePreference
from accord.errors import N_, Message, NotFound
from accord.identity import audit
from accord.identity.models import Membership, Organization, User
from accord.identity.policy import Action, Actor, authorize
from accord.jobs.models import Job, JobState
from accord.jobs.services import enqueue, list_jobs
from accord.notifications.models import Webhook
from accord.notifications.urls import checked_webhook_url
from accord.texts import Text, render
from accord.web.i18n import DEFAULT_ZONE, LANGUAGES, SOURCE_LANGUAGE, Viewer, moments_in

EMAIL_KIND = "notifications.email"
WEBHOOK_KIND = "notifications.webhook"
PING_KIND = "webhook.ping"
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)


@dataclass(frozen=True)
class Notice:
    """Something to tell people; never embargoed details beyond a link to the hub.

    ``subject`` and ``text`` are :class:`~accord.texts.Text` (English msgids with their
    values) so that each email is written in its reader's language and zone; a plain string
    is sent as it is, its RFC 3339 moments moved to the reader's zone.
    """

    kind: str  # e.g. "case.vendor_invited"; in webhook payloads and for filtering
    subject: str | Text  # never embargoed details
    text: str | Text  # plain-text body; never embargoed details beyond a link
    link: str  # a path on the hub, e.g. "/cases/ACCORD-2026-0001"
    user_ids: tuple[int, ...] = ()  # users to email
    org_ids: tuple[int, ...] = ()  # each active member is emailed, each webhook called
    emails: tuple[str, ...] = ()  # bare addresses (e.g. an anonymous reporter's contact)
    # The language of a bare address without an account (the one its sender used), if known.
    language: str | None = None


@dataclass(frozen=True)
class _Reader:
    address: str
    zone: str | None
    language: str | None


def written(value: str | Text, reader: Viewer | None) -> str:
    """A notice's subject or text for ``reader`` (None: a machine, English and RFC 3339)."""
    if isinstance(value, Text):
        return render(value, reader)
    return value if reader is None else moments_in(value, reader)


def notify(db: Session, *, settings: Settings, notice: Notice) -> list[Job]:
    """Queue the deliveries for notice in the caller's transaction (nothing is sent before
    commit); returns their jobs, whose states say later whether anyone was told."""
    if not notice.kind or not notice.link.startswith("/") or notice.link.startswith("//"):
        raise ValueError("a notice needs a kind and a link that is a path on the hub")
    link = settings.public_url + notice.link
    now = utcnow()
    jobs: list[Job] = []
    for one in _addresses(db, notice):
        # Written for its reader: their language, else English; moments in the zone they
        # saved, else UTC, in the one format of the pages (web.i18n.format_when).
        language = one.language if one.language in LANGUAGES else SOURCE_LANGUAGE
        reader = Viewer(language=language, zone=one.zone or DEFAULT_ZONE)
        job = enqueue(
            db,
            kind=EMAIL_KIND,
            settings=settings,
            payload={
                "delivery_id": str(uuid.uuid4()),
                "to": one.address,
                "notice": notice.kind,
                # A header cannot carry a line break: the subject is folded onto one line.
                "subject": " ".join(written(notice.subject, reader).split()),
                "text": written(notice.text, reader),
                "link": link,
                "language": language,
            },
        )
        jobs.append(job)
    orgs = db.scalars(select(Organization).where(Organization.id.in_(notice.org_ids))).all()
    for org in orgs:
        event = {
            "kind": notice.kind,
            "subject": " ".join(written(notice.subject, None).split()),
            "text": written(notice.text, None),
            "link": link,
            "organization": org.slug,
            "created_at": now.isoformat(),
        }
        for hook in db.scalars(select(Webhook).where(Webhook.organization_id == org.id)):
            jobs.append(_queue_webhook(db, settings=settings, hook=hook, event=event))
    return jobs


def _addresses(db: Session, notice: Notice) -> list[_Reader]:
    """Every address to email once: users, active members of the organizations, bare ones;
    each with the zone and language its user saved (a bare address that is a user's is read
    as theirs; else the notice's language, and no zone)."""
    found: dict[str, _Reader] = {}
    users = list(
        db.scalars(select(User).where(User.id.in_(notice.user_ids), User.is_active.is_(True)))
    )
    users += db.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id.in_(notice.org_ids), User.is_active.is_(True))
        .order_by(User.id)
    )
    bare = [e.strip() for e in notice.emails if e.strip()]
    if bare:
        lowered = [e.lower() for e in bare]
        users += db.scalars(
            select(User).where(func.lower(User.email).in_(lowered), User.is_active.is_(True))
        )
    saved = select(TimeZonePreference.user_id, TimeZonePreference.time_zone).where(
        TimeZonePreference.user_id.in_([u.id for u in users])
    )
    zones: dict[int, str] = {row.user_id: row.time_zone for row in db.execute(saved)}
    readers = [_Reader(u.email.strip(), zones.get(u.id), u.language) for u in users]
    readers += [_Reader(e, None, notice.language) for e in bare]
    for reader in readers:
        if reader.address:
            found.setdefault(reader.address.lower(), reader)
    return list(found.values())


def _queue_webhook(db: Session, *, settings: Settings, hook: Webhook, event: dict[str, str]) -> Job:
    # The URL is copied for the delivery list; the secret never enters a job's payload
    # (operators and the organization's admins read payloads), it is read at send time.
    return enqueue(
        db,
        kind=WEBHOOK_KIND,
        settings=settings,
        organization_id=hook.organization_id,
        payload={
            "delivery_id": str(uuid.uuid4()),
            "webhook_id": hook.id,
            "url": hook.url,
            "event": event,
        },
    )


# -- an organization's webhooks -------------------------------------------------------------


def create_webhook(
    db: Session,
    *,
    org: Organization,
    url: str,
    description: str,
    actor: Actor,
    settings: Settings,
) -> tuple[Webhook, str]:
    """Register a webhook; returns it and its signing secret, which is shown only now."""
    authorize(actor, Action.WEBHOOKS_MANAGE, org_id=org.id)
    checked = checked_webhook_url(url, settings=settings)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    hook = Webhook(
        organization_id=org.id,
        url=checked,
        description=description.strip(),
        secret=secret,
        secret_hint=secret[: len(SECRET_PREFIX) + 4],
        created_by_user_id=actor.user_id,
    )
    db.add(hook)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="webhook.create",
        target=f"webhook:{hook.id}",
        organization_id=org.id,
        details={"url": checked},
    )
    return hook, secret


def list_webhooks(db: Session, *, org: Organization, actor: Actor) -> Sequence[Webhook]:
    """An organization's webhooks, oldest first (its admins)."""
    authorize(actor, Action.WEBHOOKS_READ, org_id=org.id)
    return db.scalars(
        select(Webhook).where(Webhook.organization_id == org.id).order_by(Webhook.id)
    ).all()


def get_webhook(db: Session, *, org: Organization, webhook_id: int) -> Webhook:
    """One of ``org``'s webhooks, or :class:`NotFound` (also for another organization's)."""
    hook = db.get(Webhook, webhook_id)
    if hook is None or hook.organization_id != org.id:
        raise NotFound(
            Message(
                N_("no webhook %(webhook_id)s in %(slug)s"), webhook_id=webhook_id, slug=org.slug
            )
        )
    return hook


def delete_webhook(db: Session, *, org: Organization, webhook_id: int, actor: Actor) -> None:
    """Remove a webhook; deliveries still queued for it are dropped when their turn comes."""
    authorize(actor, Action.WEBHOOKS_MANAGE, org_id=org.id)
    hook = get_webhook(db, org=org, webhook_id=webhook_id)
    audit.record(
        db,
        actor=actor,
        action="webhook.delete",
        target=f"webhook:{hook.id}",
        organization_id=org.id,
        details={"url": hook.url},
    )
    db.delete(hook)


def ping_webhook(
    db: Session, *, org: Organization, webhook_id: int, actor: Actor, settings: Settings
) -> Job:
    """Queue a test delivery to one webhook, so that its admins can check their receiver."""
    authorize(actor, Action.WEBHOOKS_MANAGE, org_id=org.id)
    hook = get_webhook(db, org=org, webhook_id=webhook_id)
    event = {
        "kind": PING_KIND,
        "subject": "Test delivery",
        "text": "A test delivery asked for by an admin of the organization.",
        "link": f"{settings.public_url}/orgs/{org.slug}/webhooks",
        "organization": org.slug,
        "created_at": utcnow().isoformat(),
    }
    return _queue_webhook(db, settings=settings, hook=hook, event=event)


def deliveries(
    db: Session,
    *,
    org: Organization,
    actor: Actor,
    state: JobState | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> Sequence[Job]:
    """The organization's webhook deliveries, newest first, with their state and last error."""
    authorize(actor, Action.WEBHOOKS_READ, org_id=org.id)
    return list_jobs(
        db,
        kind=WEBHOOK_KIND,
        organization_id=org.id,
        state=state,
        before_id=before_id,
        limit=limit,
    )
