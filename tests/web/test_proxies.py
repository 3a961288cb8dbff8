"""X-Forwarded-For is believed only from the proxies in ACCORD_TRUSTED_PROXIES."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from accord.config import Settings, load_settings
from accord.errors import ConfigError
from accord.identity.models import AuditEvent
from accord.web.app import create_app
from accord.web.security import TrustedProxies
from tests.factories import Factories, Person, csrf_of

SPOOFED = "198.51.100.9"


def _login_ips(db: Session) -> list[str | None]:
    db.rollback()
    return list(
        db.scalars(
            select(AuditEvent.ip_address)
            .where(AuditEvent.action == "auth.login")
            .order_by(AuditEvent.id)
        )
    )


def _sign_in(client: TestClient | httpx.Client, person: Person, forwarded: str) -> None:
    token = csrf_of(client.get("/login").text)
    r = client.post(
        "/login",
        data={"username": person.username, "password": person.password, "csrf_token": token},
        headers={"x-forwarded-for": forwarded},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.slow
def test_accord_serve_ignores_x_forwarded_for_from_a_local_client(
    settings: Settings, engine: Engine, make: Factories, db: Session
) -> None:
    person = make.user("alice")
    port = _free_port()
    env = {
        **os.environ,
        "ACCORD_DATA_DIR": str(settings.data_dir),
        "ACCORD_DATABASE_URL": settings.resolved_database_url,
        "ACCORD_WORKER_IN_PROCESS": "false",
        "ACCORD_BASE_URL": f"http://127.0.0.1:{port}",
    }
    env.pop("ACCORD_TRUSTED_PROXIES", None)
    env.pop("FORWARDED_ALLOW_IPS", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "accord", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    client.get("/healthz")
                    break
                except httpx.TransportError:
                    assert server.poll() is None, "accord serve stopped"
                    assert time.monotonic() < deadline, "accord serve did not start"
                    time.sleep(0.2)
            _sign_in(client, person, SPOOFED)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert _login_ips(db) == ["127.0.0.1"]


@pytest.fixture
def proxied(settings: Settings, engine: Engine, app: FastAPI) -> FastAPI:
    """A hub behind proxies in 10.0.0.0/8 and at 2001:db8::1 (``app`` shares its stores)."""
    return create_app(
        settings.model_copy(update={"trusted_proxies": ("10.0.0.0/8", "2001:db8::1/128")}),
        engine=engine,
    )


def test_a_trusted_proxy_names_the_client(proxied: FastAPI, make: Factories, db: Session) -> None:
    person = make.user("alice")
    with TestClient(proxied, base_url="http://testserver", client=("10.1.2.3", 5000)) as c:
        # The left-most entry is the client's own claim; the proxy appended the real peer.
        _sign_in(c, person, f"203.0.113.1, {SPOOFED}, 10.0.0.7")
    assert _login_ips(db) == [SPOOFED]


def test_an_untrusted_peer_is_the_client_whatever_it_forwards(
    proxied: FastAPI, make: Factories, db: Session
) -> None:
    person = make.user("alice")
    with TestClient(proxied, base_url="http://testserver", client=("192.0.2.50", 5000)) as c:
        _sign_in(c, person, SPOOFED)
    assert _login_ips(db) == ["192.0.2.50"]


@pytest.mark.parametrize(
    ("peer", "chain", "client"),
    [
        ("10.0.0.2", ["192.0.2.1"], "192.0.2.1"),
        ("10.0.0.2", ["6.6.6.6", "192.0.2.1", "10.9.9.9"], "192.0.2.1"),
        ("10.0.0.2", ["10.0.0.3", "10.0.0.4"], "10.0.0.3"),
        ("10.0.0.2", ["192.0.2.1:4711"], "192.0.2.1"),
        ("10.0.0.2", ["[2001:db8::5]:443"], "2001:db8::5"),
        ("::ffff:10.0.0.2", ["192.0.2.1"], "192.0.2.1"),
        ("2001:db8::1", ["2001:db8::7"], "2001:db8::7"),
    ],
)
def test_the_client_is_the_right_most_untrusted_hop(
    peer: str, chain: list[str], client: str
) -> None:
    proxies = TrustedProxies(app=None, networks=["10.0.0.0/8", "2001:db8::1"])  # type: ignore[arg-type]
    assert proxies.trusted(peer)
    assert proxies.client_of(chain) == client
    assert not proxies.trusted("192.0.2.1")


def test_trusted_proxies_read_as_a_list_and_refuse_what_is_no_address() -> None:
    parsed = load_settings(trusted_proxies="10.0.0.1, 192.168.0.0/16 ::1")
    assert parsed.trusted_proxies == ("10.0.0.1/32", "192.168.0.0/16", "::1/128")
    assert load_settings().trusted_proxies == ()
    with pytest.raises(ConfigError, match="ACCORD_TRUSTED_PROXIES"):
        load_settings(trusted_proxies="proxy.example")
