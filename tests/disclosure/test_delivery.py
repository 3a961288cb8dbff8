"""Case events reach people for real: mail over SMTP and signed webhooks, nothing embargoed.

The hub queues deliveries in the request's transaction; a worker (configured with the SMTP
server and allowed to reach the loopback receiver) sends them. What leaves the hub is read
back from the mailbox and the receiver, not from our own records.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.models import Organization
from accord.notifications.models import Webhook
from tests.disclosure.world import REPORT, World
from tests.factories import Factories
from tests.notifications.conftest import Receiver, SmtpServer, make_worker

SECRET = "whsec_disclosure-test-secret"
# What a notice must never carry: the report's content and the embargo.
PRIVATE = (REPORT["title"], REPORT["product"], "search", "SQL", "2.1.0", REPORT["credit"])


def _worker_settings(settings: Settings, smtp: SmtpServer) -> Settings:
    values = {
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port,
        "smtp_starttls": False,
        "smtp_username": "hub",
        "smtp_password": "smtp-password-never-logged",
        "smtp_from": "Accord hub <hub@accord.example>",
        "webhook_allow_http": True,
        "outbound_allow_private_addresses": True,
    }
    return Settings.model_validate({**settings.model_dump(), **values})


def test_case_events_are_mailed_and_signed_without_embargoed_details(
    client: TestClient,
    make: Factories,
    settings: Settings,
    engine: Engine,
    session_factory: sessionmaker[Session],
    smtp_server: SmtpServer,
    receiver: Receiver,
) -> None:
    world = World.build(make)
    with unit_of_work(session_factory) as s:
        vendor_b = s.scalars(select(Organization).where(Organization.slug == "vendor-b")).one()
        s.add(
            Webhook(organization_id=vendor_b.id, url=receiver.url, secret=SECRET, secret_hint="x")
        )
    case_id = world.open_case(client)
    embargo = world.embargo(client)

    sent = make_worker(_worker_settings(settings, smtp_server), engine).run_until_idle()

    assert sent >= 3
    mail = {rcpt: message for rcpts, message in smtp_server.mailbox.received for rcpt in rcpts}
    # Vendor A's admin heard of the report, vendor B's member of the invitation, the reporter
    # (who gave an address) of the case being opened.
    assert {"alice@example.org", "bert@example.org", REPORT["contact"]} <= set(mail)
    for message in mail.values():
        text = f"{message['Subject']}\n{message.get_content()}"
        assert all(secret not in text for secret in PRIVATE)
        assert embargo[:10] not in text
    assert f"http://testserver/disclosure/cases/{case_id}" in mail["bert@example.org"].get_content()
    assert "http://testserver/disclosure/follow" in mail[REPORT["contact"]].get_content()

    assert receiver.requests, "vendor B's webhook was called"
    for headers, body in receiver.requests:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Accord-Signature-256"], expected)
        event = json.loads(body)["event"]
        assert all(secret not in body.decode() for secret in PRIVATE)
        assert embargo[:10] not in body.decode()
        assert event["link"] == f"http://testserver/disclosure/cases/{case_id}"
