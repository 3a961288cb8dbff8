"""Rules for the accord's versions and for applications to join.

Every function takes the session it works in and the acting :class:`Actor`; none commits.
Approval happens in the caller's one transaction: the organization, its signature, the first
admin's account and the audit rows are stored together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.config import Settings
from accord.errors import N_, Conflict, InvalidInput, Message, NotFound
from accord.identity import audit
from accord.identity.models import Organization, OrgKind
from accord.identity.policy import Action, Actor, authorize
from accord.identity.schemas import OrgCreate
from accord.identity.services import insert_org, slugify
from accord.registry import accounts, profiles
from accord.registry.accord_text import FIRST_TEXT, FIRST_TITLE
from accord.registry.accord_translations import FIRST_TRANSLATIONS
from accord.registry.models import (
    AccordTranslation,
    AccordVersion,
    Application,
    ApplicationStatus,
    Signature,
)
from accord.registry.schemas import AccordVersionCreate, ApplicationCreate, Approve, Reject
from accord.transparency import services as log

# -- the accord ----------------------------------------------------------------------------


def current_version(db: Session) -> AccordVersion:
    """The newest version of the accord; a hub without one gets the first text now."""
    found = db.scalar(select(AccordVersion).order_by(AccordVersion.number.desc()).limit(1))
    return found if found is not None else _seed(db)


def _seed(db: Session) -> AccordVersion:
    # Two processes may seed a fresh hub at once; the unique number lets one win, and the
    # savepoint keeps the loser's transaction usable.
    try:
        with db.begin_nested():
            first = AccordVersion(
                number=1, title=FIRST_TITLE, text=FIRST_TEXT, published_by="system"
            )
            db.add(first)
            db.flush()
            # Its translations, each read as one, the signed English text named beside it.
            for language, (title, text) in FIRST_TRANSLATIONS.items():
                db.add(AccordTranslation(accord_version_id=first.id, language=language,
                                         title=title, text=text, added_by="system"))  # fmt: skip
        return first
    except IntegrityError:
        return get_version(db, 1)


def get_version(db: Session, number: int) -> AccordVersion:
    """Version ``number`` of the accord."""
    current_version(db)
    found = db.scalar(select(AccordVersion).where(AccordVersion.number == number))
    if found is None:
        raise NotFound(
            Message(N_("no version %(number)s of the accord"), number=number), field="number"
        )
    return found


def list_versions(db: Session) -> Sequence[AccordVersion]:
    """Every version, newest first."""
    current_version(db)
    return db.scalars(select(AccordVersion).order_by(AccordVersion.number.desc())).all()


def publish_version(db: Session, *, data: AccordVersionCreate, actor: Actor) -> AccordVersion:
    """Publish a new text (operators). Earlier versions stay readable and keep their signers."""
    authorize(actor, Action.HUB_OPERATE)
    latest = current_version(db)
    version = AccordVersion(
        number=latest.number + 1,
        title=data.title,
        text=data.text,
        published_by=actor.label,
        published_by_user_id=actor.user_id,
    )
    db.add(version)
    try:
        db.flush()
    except IntegrityError:
        raise Conflict(N_("another version was published at the same moment; retry")) from None
    audit.record(
        db,
        actor=actor,
        action="accord.publish",
        target=f"v{version.number}",
        details={"title": data.title},
    )
    return version


# -- applications --------------------------------------------------------------------------


def submit_application(db: Session, *, data: ApplicationCreate, actor: Actor) -> Application:
    """Store an application to join; anyone may apply (the caller rate-limits)."""
    authorize(actor, Action.PUBLIC_SUBMIT)
    version = current_version(db)
    if data.accord_version != version.number:
        raise Conflict(
            Message(
                N_(
                    "accord_version: version %(accord_version)s is not the current text; read "
                    "version %(number)s and agree to it"
                ),
                accord_version=data.accord_version,
                number=version.number,
            ),
            field="accord_version",
        )
    _ensure_new_org(db, data)
    application = Application(
        status=ApplicationStatus.PENDING,
        name=data.name,
        kind=data.kind,
        proposal=data.model_dump(mode="json", by_alias=True, include=set(OrgCreate.model_fields)),
        contact_name=data.contact_name,
        contact_email=data.contact_email,
        username=data.username,
        accord_version_id=version.id,
    )
    db.add(application)
    db.flush()
    return application


def _ensure_new_org(db: Session, data: ApplicationCreate) -> None:
    # Organizations are public, so telling an applicant that one exists reveals nothing.
    if db.scalar(select(Organization.id).where(func.lower(Organization.name) == data.name.lower())):
        raise Conflict(
            Message(N_("an organization named %(name)s is already a member"), name=repr(data.name)),
            field="name",
        )
    slug = data.slug or slugify(data.name)
    if db.scalar(select(Organization.id).where(Organization.slug == slug)):
        raise Conflict(
            Message(N_("the slug %(slug)s is taken; choose another"), slug=repr(slug)), field="slug"
        )


def list_applications(
    db: Session,
    *,
    actor: Actor,
    status: ApplicationStatus | None = ApplicationStatus.PENDING,
    before_id: int | None = None,
    limit: int = 100,
) -> Sequence[Application]:
    """Applications, newest first, filtered by status; ``before_id`` pages backwards."""
    authorize(actor, Action.HUB_READ)
    query = select(Application).order_by(Application.id.desc()).limit(limit)
    if status is not None:
        query = query.where(Application.status == status)
    if before_id is not None:
        query = query.where(Application.id < before_id)
    return db.scalars(query).all()


def get_application(db: Session, *, application_id: int, actor: Actor) -> Application:
    """One application (operators)."""
    authorize(actor, Action.HUB_READ)
    found = db.get(Application, application_id)
    if found is None:
        raise NotFound(
            Message(N_("no application %(application_id)s"), application_id=application_id),
            field="application_id",
        )
    return found


def _pending(db: Session, application_id: int) -> Application:
    # Locked, so that two operators deciding at once cannot both succeed.
    found = db.scalar(select(Application).where(Application.id == application_id).with_for_update())
    if found is None:
        raise NotFound(
            Message(N_("no application %(application_id)s"), application_id=application_id),
            field="application_id",
        )
    if found.status is not ApplicationStatus.PENDING:
        raise Conflict(
            Message(
                N_("application %(application_id)s was already %(status)s"),
                application_id=application_id,
                status=found.status.value,
            ),
            field="application_id",
        )
    return found


def _decide(application: Application, status: ApplicationStatus, reason: str, actor: Actor) -> None:
    application.status = status
    application.reason = reason
    application.decided_at = utcnow()
    application.decided_by = actor.label
    application.decided_by_user_id = actor.user_id


@dataclass(frozen=True)
class Approval:
    """What an approval created. ``setup_secret`` is the one-time link's secret, shown once."""

    application: Application
    organization: Organization
    signature: Signature | None
    account: accounts.FirstAdmin | None


def approve(
    db: Session, *, application_id: int, data: Approve, actor: Actor, settings: Settings
) -> Approval:
    """Approve: create the organization, record the signature, optionally its first admin."""
    authorize(actor, Action.HUB_OPERATE)
    application = _pending(db, application_id)
    org = insert_org(db, data=OrgCreate.model_validate(application.proposal), actor=actor)
    if data.signed_on is not None and data.signed_on > utcnow().date():
        raise InvalidInput(
            N_("signed_on: the day of signing cannot be in the future"), field="signed_on"
        )
    signature = None
    if org.kind is OrgKind.SIGNATORY:
        signature = Signature(
            signed_at=datetime.combine(data.signed_on, time(), tzinfo=UTC)
            if data.signed_on is not None
            else utcnow(),
            organization=org,
            accord_version=application.accord_version,
            approved_by=actor.label,
            approved_by_user_id=actor.user_id,
            application_id=application.id,
        )
        db.add(signature)
    account = None
    if data.create_account:
        account = accounts.first_admin(
            db,
            org=org,
            email=application.contact_email,
            display_name=application.contact_name,
            username=data.username or application.username,
            actor=actor,
            settings=settings,
        )
    _decide(application, ApplicationStatus.APPROVED, data.reason, actor)
    application.organization = org
    db.flush()
    if signature is not None:
        # In the approval's transaction: a signature without its log entry cannot exist.
        signature.log_index = log.append(
            db,
            settings=settings,
            entry_type="registry.signature",
            subject_id=org.slug,
            document=profiles.signature_document(signature),
        ).index
    audit.record(
        db,
        actor=actor,
        action="application.approve",
        target=f"application/{application.id}",
        organization_id=org.id,
        details={
            "organization": org.slug,
            "kind": org.kind.value,
            "accord_version": application.accord_version.number if signature else None,
            "account": account.username if account else None,
        },
    )
    return Approval(application, org, signature, account)


def reject(db: Session, *, application_id: int, data: Reject, actor: Actor) -> Application:
    """Reject with a reason; nothing is created, and the application keeps the reason."""
    authorize(actor, Action.HUB_OPERATE)
    application = _pending(db, application_id)
    _decide(application, ApplicationStatus.REJECTED, data.reason, actor)
    audit.record(
        db,
        actor=actor,
        action="application.reject",
        target=f"application/{application.id}",
        details={"name": application.name, "reason": data.reason},
    )
    return application
