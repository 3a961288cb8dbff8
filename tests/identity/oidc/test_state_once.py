"""A sign-in's ``state`` is used once (``signin.finish``), also by two callbacks carrying it
at once: the state is now spent and committed before the provider is asked, so the callback
whose delete found the row already gone must be refused, not sent on to the provider."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.credentials import digest
from accord.identity.models import Organization
from accord.identity.oidc import signin
from accord.identity.oidc.models import OidcLink, OidcLogin, OidcProvider
from accord.identity.oidc.protocol import Refusal
from tests.factories import Factories

STATE = "a-state-of-forty-three-characters-xxxxxxxxxx"


@pytest.mark.filterwarnings("ignore:DELETE statement on table")  # a warning in production
def test_a_state_spent_by_a_concurrent_callback_is_refused(
    make: Factories,
    engine: Engine,
    session_factory: sessionmaker[Session],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite: the callback holds the one writer from its first statement")
    slug = make.org("Acme Corp")
    with unit_of_work(session_factory) as db:
        org = db.scalars(select(Organization).where(Organization.slug == slug)).one()
        provider = OidcProvider(scope=f"org:{org.id}", organization_id=org.id,
                                issuer="https://idp.example", client_id="c",
                                client_secret_sealed="sealed")  # fmt: skip
        db.add(provider)
        db.flush()
        db.add(OidcLogin(state_hash=digest(STATE), provider_id=provider.id, nonce="n",
                         code_verifier="v" * 43, next_path="/account",
                         expires_at=utcnow() + timedelta(minutes=5)))  # fmt: skip
    asked: list[str] = []

    def exchanged(*args: Any, **kwargs: Any) -> Any:
        asked.append(kwargs["code"])
        raise Refusal("stop here", reason="test")

    monkeypatch.setattr(signin, "_verified_claims", exchanged)
    db = session_factory()

    @event.listens_for(db, "loaded_as_persistent")
    def other_callback(_session: Session, instance: object) -> None:
        # The other callback with the same state spends it between this one's read and delete.
        if isinstance(instance, OidcLogin) and not asked:
            asked.append("other")
            with unit_of_work(session_factory) as other:
                other.delete(other.get(OidcLogin, instance.id))

    with db, pytest.raises(Refusal) as refused:
        signin.finish(db, state=STATE, browser_state=STATE, code="code", error=None,
                      settings=settings, ip_address="192.0.2.1")  # fmt: skip
    assert refused.value.reason == "state"
    assert asked == ["other"]  # this callback's code never went to the provider


def test_a_provider_pointed_elsewhere_during_the_exchange_is_refused(
    make: Factories,
    session_factory: sessionmaker[Session],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Claims verified against one issuer must not link a person to the provider once it
    names another (an admin changed it while the old one answered): its people's subjects
    are another namespace."""
    slug = make.org("Acme Corp")
    with unit_of_work(session_factory) as db:
        org = db.scalars(select(Organization).where(Organization.slug == slug)).one()
        provider = OidcProvider(scope=f"org:{org.id}", organization_id=org.id,
                                issuer="https://idp.example", client_id="c",
                                client_secret_sealed="sealed",
                                allowed_domains=["acme.example"])  # fmt: skip
        db.add(provider)
        db.flush()
        provider_id = provider.id
        db.add(OidcLogin(state_hash=digest(STATE), provider_id=provider.id, nonce="n",
                         code_verifier="v" * 43, next_path="/account",
                         expires_at=utcnow() + timedelta(minutes=5)))  # fmt: skip

    def exchanged(*args: Any, **kwargs: Any) -> Any:
        with unit_of_work(session_factory) as other:
            changed = other.get(OidcProvider, provider_id)
            assert changed is not None
            changed.issuer = "https://another-idp.example"
        claims = {"sub": "alice-1", "email": "alice@acme.example", "email_verified": True}
        return claims, None

    monkeypatch.setattr(signin, "_verified_claims", exchanged)
    with session_factory() as db, pytest.raises(Refusal):
        signin.finish(db, state=STATE, browser_state=STATE, code="code", error=None,
                      settings=settings, ip_address="192.0.2.1")  # fmt: skip
    with session_factory() as db:
        assert db.scalars(select(OidcLink)).all() == []
