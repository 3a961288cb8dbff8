"""Tables of single sign-on: providers, the people they vouch for, sign-ins under way."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accord.clock import utcnow
from accord.db import Base, UTCDateTime
from accord.identity.models import Organization, User

# The one hub-wide provider's key in ``OidcProvider.scope``; an organization's is "org:<id>".
HUB_SCOPE = "hub"


class OidcProvider(Base):
    """An OpenID Connect provider registered by an organization's admins (or, hub-wide, by
    operators). The client secret is kept sealed (``sealing.py``) and never shown again."""

    __tablename__ = "oidc_providers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # One provider per organization and one for the hub: a unique key both databases enforce
    # the same way (a unique nullable organization_id would let many hub-wide rows in).
    scope: Mapped[str] = mapped_column(String(32), unique=True)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(200))
    client_secret_sealed: Mapped[str] = mapped_column(Text)
    # Lower-case e-mail domains whose addresses this provider may vouch for.
    allowed_domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Whether the organization's members may still sign in with a password.
    passwords_allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organization: Mapped[Organization | None] = relationship()


class OidcLink(Base):
    """A person a provider vouched for: its ``sub`` (stable, unlike an e-mail address) and
    the hub account it signs in. ``granted_membership`` says the provider's answer made the
    membership, so that the provider's refusal may take it away again."""

    __tablename__ = "oidc_links"
    __table_args__ = (UniqueConstraint("provider_id", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("oidc_providers.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    granted_membership: Mapped[bool] = mapped_column(Boolean, default=False)
    # Sealed; lets the scheduled check ask the provider whether it still knows the person.
    refresh_token_sealed: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    provider: Mapped[OidcProvider] = relationship()
    user: Mapped[User] = relationship()


class OidcLogin(Base):
    """A sign-in sent to a provider and not back yet: what the callback must find again.

    Kept in the database so that any hub process can take the callback; the ``state`` is
    also in a cookie of the browser that started it, so a callback carried to another
    browser (login CSRF) is refused. Each row is used once.
    """

    __tablename__ = "oidc_logins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("oidc_providers.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(64))
    code_verifier: Mapped[str] = mapped_column(String(128))
    next_path: Mapped[str] = mapped_column(String(500), default="/")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
