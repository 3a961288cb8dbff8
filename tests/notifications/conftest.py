"""A real SMTP server (aiosmtpd) and a real HTTP receiver on 127.0.0.1, and a worker."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import make_sessionmaker
from accord.jobs.worker import Worker

SMTP_USER = "hub"
SMTP_PASSWORD = "smtp-password-never-logged"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Mailbox:
    """What the SMTP server accepted: (envelope recipients, parsed message)."""

    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(  # noqa: N802 (the name aiosmtpd calls)
        self,
        server: Any,
        session: Any,
        envelope: Any,
    ) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login == SMTP_USER.encode()
            and data.password == SMTP_PASSWORD.encode()
        )
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServer:
    port: int
    mailbox: Mailbox


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=mailbox.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield SmtpServer(port=port, mailbox=mailbox)
    finally:
        controller.stop()


@dataclass
class Receiver:
    """An HTTP endpoint recording each POST; answers with the statuses queued, then 200."""

    url: str
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.requests.append((dict(self.headers.items()), body))
            self.send_response(state.statuses.pop(0) if state.statuses else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def open_settings(settings: Settings) -> Settings:
    """The test settings, with http:// and loopback webhooks allowed (the receiver's)."""
    return settings.model_copy(
        update={
            "webhook_allow_http": True,
            "outbound_allow_private_addresses": True,
            # Retries wait a minute: a test reaches them by running the worker "later".
            "job_backoff_base_seconds": 60.0,
            "job_backoff_max_seconds": 600.0,
        }
    )


def make_worker(settings: Settings, engine: Engine) -> Worker:
    return Worker(
        settings=settings,
        sessions=make_sessionmaker(engine),
        readers=make_sessionmaker(engine, read_only=True),
    )


@pytest.fixture
def readers(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine, read_only=True)
