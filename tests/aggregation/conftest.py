"""Fixtures of the CSAF aggregation tests: the OASIS documents and the import helper."""

from __future__ import annotations

from tests import thirdparty

EXAMPLES = thirdparty.CSAF_DIR / "examples" / "csaf"
MANDATORY = thirdparty.CSAF_DIR / "test" / "validator" / "data" / "mandatory"


import ssl  # noqa: E402
from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from sqlalchemy import Engine  # noqa: E402

from accord.config import Settings  # noqa: E402
from accord.web.app import create_app  # noqa: E402
from tests.registry.servers import StaticServer, TlsFiles, make_tls_files  # noqa: E402


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A throw-away CA and a certificate for 127.0.0.1 signed by it."""
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def local_settings(settings: Settings, tls_files: TlsFiles) -> Settings:
    """Allowed to reach the local test servers (loopback), trusting the test CA."""
    return settings.model_copy(
        update={
            "outbound_allow_private_addresses": True,
            "outbound_timeout_seconds": 2.0,
            "csaf_ca_file": tls_files.ca_cert,
        }
    )


@pytest.fixture(scope="session")
def app(local_settings: Settings, engine: Engine) -> FastAPI:
    """The suite's app, with the local settings (registration reads the provider)."""
    return create_app(local_settings, engine=engine)


@pytest.fixture
def https_server(tls_files: TlsFiles) -> Iterator[StaticServer]:
    """An HTTPS server on 127.0.0.1 whose certificate the test CA signed."""
    with StaticServer(tls=tls_files) as server:
        yield server


@pytest.fixture
def trusting(tls_files: TlsFiles) -> ssl.SSLContext:
    """A client TLS context that trusts the test CA (and nothing else)."""
    return ssl.create_default_context(cafile=str(tls_files.ca_cert))
