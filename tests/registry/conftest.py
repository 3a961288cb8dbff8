"""Registry fixtures: an app allowed to reach local test servers, and those servers."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from accord.config import Settings
from accord.web.app import create_app
from tests.registry.gpg import GnuPG, gnupg
from tests.registry.servers import StaticServer, TlsFiles, make_tls_files


@pytest.fixture(scope="session")
def local_settings(settings: Settings) -> Settings:
    """The suite's settings, allowed to fetch from 127.0.0.1 (the local test servers)."""
    return settings.model_copy(
        update={"outbound_allow_private_addresses": True, "outbound_timeout_seconds": 1.0}
    )


@pytest.fixture(scope="session")
def app(local_settings: Settings, engine: Engine) -> FastAPI:
    """Overrides the suite's app: the registry's checks must reach the local servers."""
    return create_app(local_settings, engine=engine)


@pytest.fixture
def http_server() -> Iterator[StaticServer]:
    """A plain-HTTP server on 127.0.0.1 with routes a test sets."""
    with StaticServer() as server:
        yield server


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A throw-away CA and a certificate for 127.0.0.1 signed by it."""
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def https_server(tls_files: TlsFiles) -> Iterator[StaticServer]:
    """An HTTPS server on 127.0.0.1 whose certificate the ``trusting`` context accepts."""
    with StaticServer(tls=tls_files) as server:
        yield server


@pytest.fixture
def trusting(tls_files: TlsFiles) -> ssl.SSLContext:
    """A client TLS context that trusts the test CA (and nothing else)."""
    return ssl.create_default_context(cafile=str(tls_files.ca_cert))


@pytest.fixture(scope="session")
def gpg() -> Iterator[GnuPG]:
    """GnuPG with a fresh signing key; tests that need it skip where gpg is not installed."""
    try:
        with gnupg() as instance:
            yield instance
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
