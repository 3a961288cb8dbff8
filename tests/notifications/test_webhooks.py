"""Webhooks: registration, signed deliveries to a real HTTP receiver, retries, refusals."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.models import AuditEvent, MemberRole, Organization
from accord.jobs.models import Job
from accord.notifications.services import Notice, notify
from accord.web.app import create_app
from accord.web.i18n import LANGUAGE_COOKIE
from tests.factories import Factories, csrf_of, sign_in
from tests.jobs.test_worker import LATER
from tests.notifications.conftest import Receiver, make_worker
from tests.outbound_holds import probing


def _expected_signature(secret: str, body: bytes) -> str:
    # An implementation apart from the hub's (which uses the standard library's hmac).
    mac = crypto_hmac.HMAC(secret.encode(), hashes.SHA256())
    mac.update(body)
    return "sha256=" + mac.finalize().hex()


@pytest.fixture
def open_client(open_settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(open_settings, engine=engine)) as c:
        yield c


@pytest.fixture
def vendor(make: Factories) -> tuple[str, dict[str, str]]:
    slug = make.org("Vendor")
    admin = make.user("vendoradmin")
    make.member(admin, slug, MemberRole.ADMIN)
    return slug, make.bearer(admin)


def _register(client: TestClient, slug: str, auth: dict[str, str], url: str) -> dict[str, str]:
    response = client.post(f"/api/v1/orgs/{slug}/webhooks", json={"url": url}, headers=auth)
    assert response.status_code == 201, response.text
    created: dict[str, str] = response.json()
    return created


def _notify_org(factory: sessionmaker[Session], settings: Settings, slug: str) -> None:
    with unit_of_work(factory) as db:
        org_id = db.scalars(select(Organization.id).where(Organization.slug == slug)).one()
        notify(
            db,
            settings=settings,
            notice=Notice(
                kind="case.status_changed",
                subject="A case changed",
                text="A vendor's status changed.",
                link="/cases/ACCORD-2026-0002",
                org_ids=(org_id,),
            ),
        )


def test_a_registered_webhook_receives_a_signed_delivery(
    open_client: TestClient,
    open_settings: Settings,
    engine: Engine,
    session_factory: sessionmaker[Session],
    vendor: tuple[str, dict[str, str]],
    receiver: Receiver,
    db: Session,
) -> None:
    slug, auth = vendor
    created = _register(open_client, slug, auth, receiver.url)
    secret = created["secret"]
    assert secret.startswith("whsec_")
    listed = open_client.get(f"/api/v1/orgs/{slug}/webhooks", headers=auth).json()
    assert [h["url"] for h in listed] == [receiver.url]
    assert secret not in json.dumps(listed)
    assert db.scalars(select(AuditEvent.action)).all().count("webhook.create") == 1

    _notify_org(session_factory, open_settings, slug)
    db.rollback()
    assert secret not in json.dumps([j.payload for j in db.scalars(select(Job))])
    before = int(utcnow().timestamp())
    # Members' emails wait for SMTP; the webhook delivery is the one that succeeds.
    make_worker(open_settings, engine).run_until_idle()
    ((headers, body),) = receiver.requests
    assert headers["X-Accord-Signature-256"] == _expected_signature(secret, body)
    document = json.loads(body)
    assert headers["X-Accord-Delivery"] == document["delivery"]
    assert headers["X-Accord-Timestamp"] == str(document["timestamp"])
    assert before <= document["timestamp"] <= int(utcnow().timestamp())
    assert headers["X-Accord-Event"] == "case.status_changed"
    assert headers["Content-Type"] == "application/json"
    assert document["event"] == {
        "kind": "case.status_changed",
        "subject": "A case changed",
        "text": "A vendor's status changed.",
        "link": "http://testserver/cases/ACCORD-2026-0002",
        "organization": slug,
        "created_at": document["event"]["created_at"],
    }
    deliveries = open_client.get(f"/api/v1/orgs/{slug}/webhook-deliveries", headers=auth).json()
    assert [(d["state"], d["delivery_id"]) for d in deliveries] == [("done", document["delivery"])]


def test_a_failing_receiver_is_retried_with_the_same_delivery_id_then_succeeds(
    open_client: TestClient,
    open_settings: Settings,
    engine: Engine,
    session_factory: sessionmaker[Session],
    vendor: tuple[str, dict[str, str]],
    receiver: Receiver,
) -> None:
    slug, auth = vendor
    secret = _register(open_client, slug, auth, receiver.url)["secret"]
    receiver.statuses = [500, 503]
    _notify_org(session_factory, open_settings, slug)
    worker = make_worker(open_settings, engine)
    worker.run_until_idle()
    url = f"/api/v1/orgs/{slug}/webhook-deliveries"
    (first,) = open_client.get(url, headers=auth).json()
    assert (first["state"], first["attempts"]) == ("failed", 1)
    assert first["last_error"] == "DeliveryFailed: the receiver answered HTTP 500"
    assert first["next_attempt_at"] is not None
    worker.run_until_idle(now=utcnow() + LATER)
    (second,) = open_client.get(url, headers=auth).json()
    assert second["last_error"] == "DeliveryFailed: the receiver answered HTTP 503"
    worker.run_until_idle(now=utcnow() + 2 * LATER)
    (third,) = open_client.get(url, headers=auth).json()
    assert (third["state"], third["attempts"], third["last_error"]) == ("done", 3, None)
    assert len(receiver.requests) == 3
    ids = {json.loads(body)["delivery"] for _, body in receiver.requests}
    assert ids == {first["delivery_id"]}  # receivers can drop what they already have
    for headers, body in receiver.requests:
        assert headers["X-Accord-Signature-256"] == _expected_signature(secret, body)


def test_a_receiver_that_never_accepts_leaves_a_dead_delivery_for_admins_and_operators(
    open_client: TestClient,
    open_settings: Settings,
    engine: Engine,
    session_factory: sessionmaker[Session],
    vendor: tuple[str, dict[str, str]],
    receiver: Receiver,
    make: Factories,
) -> None:
    slug, auth = vendor
    _register(open_client, slug, auth, receiver.url)
    receiver.statuses = [500] * 10
    settings = open_settings.model_copy(update={"job_max_attempts": 2})
    _notify_org(session_factory, settings, slug)
    worker = make_worker(settings, engine)
    worker.run_until_idle()
    worker.run_until_idle(now=utcnow() + LATER)
    (delivery,) = open_client.get(f"/api/v1/orgs/{slug}/webhook-deliveries", headers=auth).json()
    assert (delivery["state"], delivery["attempts"]) == ("dead", 2)
    operator = make.bearer(make.user("op", operator=True))
    dead = open_client.get("/api/v1/jobs?state=dead", headers=operator).json()
    assert [(j["id"], j["last_error"]) for j in dead if j["kind"] == "notifications.webhook"] == [
        (delivery["id"], "DeliveryFailed: the receiver answered HTTP 500")
    ]
    receiver.statuses = []  # the receiver is repaired; an operator retries
    retried = open_client.post(f"/api/v1/jobs/{delivery['id']}/retry", headers=operator)
    assert retried.json()["state"] == "queued"
    worker.run_until_idle()
    (delivery,) = open_client.get(f"/api/v1/orgs/{slug}/webhook-deliveries", headers=auth).json()
    assert delivery["state"] == "done"
    assert len(receiver.requests) == 3


def test_internal_and_plain_http_urls_are_refused(
    client: TestClient, vendor: tuple[str, dict[str, str]]
) -> None:
    slug, auth = vendor
    for url, why in [
        ("http://1.1.1.1/hook", "https://"),
        ("https://127.0.0.1/hook", "not a public one"),
        ("https://10.0.0.8/hook", "not a public one"),
        ("https://user:pw@1.1.1.1/hook", "user name"),
        ("not a url", "https://"),
    ]:
        response = client.post(f"/api/v1/orgs/{slug}/webhooks", json={"url": url}, headers=auth)
        assert response.status_code == 422, url
        assert response.json()["field"] == "url"
        assert why in response.json()["message"]


def test_delivery_checks_the_address_again(
    open_client: TestClient,
    settings: Settings,
    open_settings: Settings,
    engine: Engine,
    session_factory: sessionmaker[Session],
    vendor: tuple[str, dict[str, str]],
    receiver: Receiver,
) -> None:
    slug, auth = vendor
    _register(open_client, slug, auth, receiver.url)
    strict = open_settings.model_copy(update={"outbound_allow_private_addresses": False})
    _notify_org(session_factory, strict, slug)
    make_worker(strict, engine).run_until_idle()
    (delivery,) = open_client.get(f"/api/v1/orgs/{slug}/webhook-deliveries", headers=auth).json()
    assert delivery["state"] == "failed"
    assert "not a public one" in delivery["last_error"]
    assert receiver.requests == []


def test_a_removed_webhook_gets_nothing_and_the_ping_reaches_a_live_one(
    open_client: TestClient,
    open_settings: Settings,
    engine: Engine,
    session_factory: sessionmaker[Session],
    vendor: tuple[str, dict[str, str]],
    receiver: Receiver,
) -> None:
    slug, auth = vendor
    gone = _register(open_client, slug, auth, receiver.url + "/gone")
    _notify_org(session_factory, open_settings, slug)
    removed = open_client.delete(f"/api/v1/orgs/{slug}/webhooks/{gone['id']}", headers=auth)
    assert removed.status_code == 204
    live = _register(open_client, slug, auth, receiver.url)
    ping = open_client.post(f"/api/v1/orgs/{slug}/webhooks/{live['id']}/ping", headers=auth)
    assert ping.status_code == 202
    make_worker(open_settings, engine).run_until_idle()
    ((headers, body),) = receiver.requests
    assert headers["X-Accord-Event"] == "webhook.ping"
    assert headers["X-Accord-Signature-256"] == _expected_signature(live["secret"], body)


def test_the_webhooks_page_shows_the_secret_once(
    open_client: TestClient, make: Factories, receiver: Receiver
) -> None:
    slug = make.org("Paged")
    admin = make.user("pageadmin")
    make.member(admin, slug, MemberRole.ADMIN)
    sign_in(open_client, admin)
    page = open_client.get(f"/orgs/{slug}/webhooks")
    assert page.status_code == 200
    created = open_client.post(
        f"/orgs/{slug}/webhooks",
        data={"url": receiver.url, "description": "tracker", "csrf_token": csrf_of(page.text)},
    )
    assert created.status_code == 201
    secret = created.text.split("<code>whsec_", 1)[1].split("</code>", 1)[0]
    assert len(secret) > 30
    again = open_client.get(f"/orgs/{slug}/webhooks")
    assert receiver.url in again.text
    assert secret not in again.text
    bad = open_client.post(
        f"/orgs/{slug}/webhooks",
        data={"url": "ftp://x.example/", "csrf_token": csrf_of(again.text)},
    )
    assert bad.status_code == 422
    # This hub allows http:// for its local test receiver, and says so.
    assert "starting with https:// or http://" in bad.text
    # In Japanese, the whole sentence is Japanese: no English of the outbound rules in it.
    open_client.cookies.set(LANGUAGE_COOKIE, "ja")
    said = open_client.post(
        f"/orgs/{slug}/webhooks",
        data={"url": "ftp://x.example/", "csrf_token": csrf_of(again.text)},
    )
    assert said.status_code == 422
    beside = re.search(r'id="url-error">([^<]*)</p>', said.text)
    assert beside is not None
    assert "https://" in beside.group(1)
    assert not re.search(r"\b(must|URL|be)\b", beside.group(1)), beside.group(1)
    assert 'value="ftp://x.example/"' in said.text


def test_no_transaction_is_held_while_the_receiver_answers(
    open_client: TestClient,
    open_settings: Settings,
    engine: Engine,
    session_factory: sessionmaker[Session],
    vendor: tuple[str, dict[str, str]],
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The delivery job reads its webhook in a read-only session closed before the POST
    (issue 26): the receiver's wait holds no transaction, so another write goes through."""
    slug, auth = vendor
    _register(open_client, slug, auth, receiver.url)
    _notify_org(session_factory, open_settings, slug)
    probe = probing(monkeypatch, engine, session_factory)
    make_worker(open_settings, engine).run_until_idle()
    assert len(receiver.requests) == 1
    assert probe.seen == [False]
