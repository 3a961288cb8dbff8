"""Turning registry rows into wire models, shared by the API and the pages."""

from __future__ import annotations

from accord.config import Settings
from accord.identity.schemas import OrgRead
from accord.registry.models import Application, Departure, SecurityTxtCheck, Signature
from accord.registry.profiles import Listed, Profile
from accord.registry.schemas import (
    AccountSetup,
    ApplicationRead,
    CheckRead,
    Decision,
    DepartureRead,
    ProfileRead,
    SignatoryRead,
    SignatureRead,
)
from accord.registry.services import Approval


def application_read(application: Application) -> ApplicationRead:
    """An application as operators see it."""
    return ApplicationRead(
        id=application.id,
        status=application.status,
        name=application.name,
        kind=application.kind,
        proposal=application.proposal,
        contact_name=application.contact_name,
        contact_email=application.contact_email,
        username=application.username,
        accord_version=application.accord_version.number,
        submitted_at=application.submitted_at,
        decided_at=application.decided_at,
        decided_by=application.decided_by,
        reason=application.reason,
        organization_slug=application.organization.slug if application.organization else None,
    )


def signature_read(signature: Signature) -> SignatureRead:
    """A signature's public facts."""
    return SignatureRead(
        accord_version=signature.accord_version.number,
        signed_at=signature.signed_at,
        approved_by=signature.approved_by,
        log_index=signature.log_index,
    )


def decision(approval: Approval, settings: Settings) -> Decision:
    """The answer to an approval, with the one-time set-up link if an account was created."""
    account = None
    if approval.account is not None:
        account = AccountSetup(
            username=approval.account.username,
            setup_url=approval.account.setup_url(settings),
            expires_at=approval.account.expires_at,
        )
    return Decision(
        application=application_read(approval.application),
        organization=OrgRead.model_validate(approval.organization),
        signature=signature_read(approval.signature) if approval.signature else None,
        account=account,
    )


def check_read(check: SecurityTxtCheck) -> CheckRead:
    """A stored check."""
    return CheckRead.model_validate(check)


def listed_read(entry: Listed) -> SignatoryRead:
    """An entry of the public lists."""
    return SignatoryRead(
        slug=entry.slug,
        name=entry.name,
        kind=entry.kind,
        country=entry.country,
        profile_url=f"/signatories/{entry.slug}",
        signed_at=entry.signed_at,
        accord_version=entry.accord_version,
        left_at=entry.left_at,
        departure=entry.departure,
    )


def profile_read(found: Profile) -> ProfileRead:
    """A public profile."""
    return ProfileRead(
        organization=OrgRead.model_validate(found.organization),
        signatures=[signature_read(s) for s in found.signatures],
        security_txt=check_read(found.latest_check) if found.latest_check else None,
        departure=departure_read(found.departure) if found.departure else None,
    )


def departure_read(departure: Departure) -> DepartureRead:
    """A departure's public facts."""
    return DepartureRead(
        kind=departure.kind.value,
        reason=departure.reason,
        departed_at=departure.departed_at,
        decided_by=departure.decided_by,
        log_index=departure.log_index,
    )
