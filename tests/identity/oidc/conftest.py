"""Single sign-on fixtures: a hub allowed to reach 127.0.0.1, a real provider, a browser's walk."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.models import Organization
from accord.identity.oidc import services
from accord.identity.oidc.schemas import ProviderForm
from accord.identity.policy import SYSTEM
from accord.identity.services import get_org
from accord.web.app import create_app
from tests.factories import csrf_of
from tests.identity.oidc import support
from tests.identity.oidc.support import CLIENT_ID, CLIENT_SECRET, Provider


@pytest.fixture(scope="session")
def local_settings(settings: Settings) -> Settings:
    """The suite's settings, allowed to reach the provider on 127.0.0.1."""
    return settings.model_copy(update={"outbound_allow_private_addresses": True})


@pytest.fixture(scope="session")
def app(local_settings: Settings, engine: Engine) -> FastAPI:
    """Overrides the suite's app: sign-ins must reach the local provider."""
    return create_app(local_settings, engine=engine)


@pytest.fixture(scope="session")
def provider() -> Iterator[Provider]:
    """One real OpenID Connect provider for the session; each test sets its directory."""
    running = support.start(support.install())
    yield running
    support.stop(running)


@pytest.fixture
def acme(
    make: object,
    session_factory: sessionmaker[Session],
    local_settings: Settings,
    provider: Provider,
) -> str:
    """An organization whose admins registered the provider for acme.example."""
    slug = make.org("Acme Corp")  # type: ignore[attr-defined]
    register(session_factory, local_settings, provider, slug=slug)
    return slug


def register(
    factory: sessionmaker[Session],
    settings: Settings,
    provider: Provider,
    *,
    slug: str | None,
    domains: str = "acme.example",
    passwords_allowed: bool = True,
    issuer: str | None = None,
) -> None:
    """Register ``provider`` for the organization ``slug`` (None: hub-wide)."""
    with unit_of_work(factory) as db:
        org: Organization | None = get_org(db, slug) if slug else None
        form = ProviderForm(
            issuer=issuer or provider.issuer,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            allowed_domains=domains,
            passwords_allowed=passwords_allowed,
        )
        services.save_provider(db, org=org, data=form, actor=SYSTEM, settings=settings)


@dataclass
class Walk:
    """Where a sign-in through the provider ended: the hub's last answer."""

    response: httpx.Response
    callback: str


def walk(
    client: TestClient,
    *,
    email: str,
    provider_login: str | None = None,
    choose: int | None = None,
) -> Walk:
    """A browser's sign-in: the hub's form, the provider's login page, back to the hub.

    ``provider_login`` is the address typed at the provider (the same as ``email`` unless
    given); ``choose`` picks the organization from the list instead of typing the address.
    """
    page = client.get("/login")
    form = {"csrf_token": csrf_of(page.text), "next": "/account"}
    form |= {"provider": str(choose)} if choose is not None else {"email": email}
    started = client.post("/login/sso", data=form, follow_redirects=False)
    assert started.status_code == 303, started.text
    location = started.headers["location"]
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        while not location.startswith("http://testserver"):
            if re.search(r"/interaction/[^/]+$", urlsplit(location).path):
                shown = browser.get(location)
                assert shown.status_code == 200, shown.text
                answer = browser.post(location + "/login", data={"email": provider_login or email})
            else:
                answer = browser.get(location)
            assert answer.status_code in (302, 303), answer.text
            location = httpx.URL(location).join(answer.headers["location"]).__str__()
    path = location.removeprefix("http://testserver")
    return Walk(response=client.get(path, follow_redirects=False), callback=path)
