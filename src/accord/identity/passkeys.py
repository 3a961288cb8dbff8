"""WebAuthn passkeys and security keys (W3C Web Authentication Level 2), with py_webauthn.

The relying party is the hub's public URL: its host is the RP ID (``ACCORD_WEBAUTHN_RP_ID``
overrides it, e.g. to the parent domain) and its origin the only one accepted, so an assertion
made for another site is refused. Each ceremony's challenge is stored on the browser's session
row and spent by the answer, whichever way it goes. The stored signature counter must grow
with each assertion (when the authenticator keeps one): a counter that does not is a sign of
a cloned key, refused. Attestation is not asked for: the hub trusts the user's choice of key.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from accord.clock import utcnow
from accord.config import Settings
from accord.errors import InvalidInput, Message, Unauthenticated
from accord.identity import audit, factors
from accord.identity.models import FactorKind, SecondFactor, User, WebSession
from accord.identity.policy import Action, Actor, authorize
from accord.web.i18n import N_


def rp_id(settings: Settings) -> str:
    """The WebAuthn relying party id: a host name (never an IP address, which WebAuthn
    refuses; a hub reached as 127.0.0.1 must be given a base URL such as localhost)."""
    return settings.webauthn_rp_id or (urlsplit(settings.public_url).hostname or "localhost")


def origin(settings: Settings) -> str:
    """The one origin whose assertions count: the hub's public URL."""
    parts = urlsplit(settings.public_url)
    return f"{parts.scheme}://{parts.netloc}"


def _keys(db: Session, user: User) -> list[SecondFactor]:
    return list(
        db.scalars(
            select(SecondFactor).where(
                SecondFactor.user_id == user.id, SecondFactor.kind == FactorKind.WEBAUTHN
            )
        ).all()
    )


def _descriptors(keys: list[SecondFactor]) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(id=base64url_to_bytes(k.credential_id))
        for k in keys
        if k.credential_id
    ]


def registration_options(
    db: Session, *, user: User, browser: WebSession, actor: Actor, settings: Settings
) -> str:
    """The options for ``navigator.credentials.create`` (JSON), their challenge kept."""
    authorize(actor, Action.OWN_FACTORS_MANAGE)
    options = generate_registration_options(
        rp_id=rp_id(settings),
        rp_name=settings.hub_name,
        user_id=f"accord-user-{user.id}".encode(),
        user_name=user.username,
        user_display_name=user.display_name or user.username,
        exclude_credentials=_descriptors(_keys(db, user)),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    browser.challenge = bytes_to_base64url(options.challenge)
    return options_to_json(options)


def register(
    db: Session,
    *,
    user: User,
    browser: WebSession,
    credential: str,
    name: str,
    actor: Actor,
    settings: Settings,
    keep_session: str | None,
) -> SecondFactor:
    """Store the new credential the browser made, once its answer checks out."""
    authorize(actor, Action.OWN_FACTORS_MANAGE)
    challenge = _spend(browser)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id(settings),
            expected_origin=origin(settings),
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(
            Message(N_("credential: %(exc)s"), exc=exc), field="credential"
        ) from None
    factor = SecondFactor(
        user_id=user.id,
        kind=FactorKind.WEBAUTHN,
        name=factors.clean_name(name),
        confirmed=True,
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=bytes_to_base64url(verified.credential_public_key),
        sign_count=verified.sign_count,
        last_used_at=utcnow(),
    )
    db.add(factor)
    db.flush()
    factors.added(db, user=user, factor=factor, actor=actor, settings=settings, keep=keep_session)
    return factor


def authentication_options(
    db: Session, *, user: User, browser: WebSession, settings: Settings
) -> str:
    """The options for ``navigator.credentials.get`` (JSON): the user's keys, a challenge."""
    options = generate_authentication_options(
        rp_id=rp_id(settings),
        allow_credentials=_descriptors(_keys(db, user)),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    browser.challenge = bytes_to_base64url(options.challenge)
    return options_to_json(options)


def authenticate(
    db: Session,
    *,
    user: User,
    browser: WebSession,
    credential: str,
    actor: Actor,
    settings: Settings,
) -> SecondFactor:
    """Check an assertion by one of ``user``'s keys. A refusal is an audit row in the
    caller's transaction (the caller commits it with the refusal) and names the reason."""
    challenge = _spend(browser)
    factor = None
    try:
        parsed = _credential_id(credential)
        factor = next((k for k in _keys(db, user) if k.credential_id == parsed), None)
        if factor is None or factor.public_key is None:
            raise InvalidInput(N_("credential: this key is not registered to this account"))
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id(settings),
            expected_origin=origin(settings),
            credential_public_key=base64url_to_bytes(factor.public_key),
            credential_current_sign_count=factor.sign_count,
        )
    except (WebAuthnException, InvalidInput, ValueError, KeyError, TypeError) as exc:
        reason = exc.message if isinstance(exc, InvalidInput) else str(exc)
        audit.record(
            db,
            actor=actor,
            action="auth.factor_refused",
            target=user.username,
            details={"method": "webauthn", "reason": reason[:200]},
        )
        raise Unauthenticated(
            Message(N_("credential: %(reason)s"), reason=reason), field="credential"
        ) from None
    factor.sign_count = verified.new_sign_count
    factor.last_used_at = utcnow()
    audit.record(
        db, actor=actor, action="auth.factor", target=user.username, details={"method": "webauthn"}
    )
    return factor


def _credential_id(credential: str) -> str:
    data = json.loads(credential)
    if not isinstance(data, dict) or not isinstance(data.get("rawId", data.get("id")), str):
        raise InvalidInput(N_("credential: not a WebAuthn credential"))
    return bytes_to_base64url(base64url_to_bytes(data.get("rawId") or data["id"]))


def _spend(browser: WebSession) -> bytes:
    if not browser.challenge:
        raise InvalidInput(N_("credential: no ceremony was started; reload the page"))
    challenge = base64url_to_bytes(browser.challenge)
    browser.challenge = None
    return challenge
