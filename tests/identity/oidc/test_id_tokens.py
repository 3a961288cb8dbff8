"""ID tokens the hub must refuse, each on its way back from the real provider.

The provider issues a genuine answer; the test changes its ID token on the way (what an
attacker between the two, or a provider's bug, would do), and the hub must refuse the
sign-in for that reason, say so on a page (401, never a 500) and write an audit row. The
re-signed tokens use the provider's own key, so that only the claim under test is wrong.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.identity.models import AuditEvent, User, WebSession
from accord.identity.oidc import protocol
from tests.identity.oidc.conftest import walk
from tests.identity.oidc.support import CLIENT_ID, Provider

ALICE = {"alice-1": {"email": "alice@acme.example", "email_verified": True}}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def _on_the_way(monkeypatch: pytest.MonkeyPatch, change: Callable[[str], str]) -> None:
    real = protocol.exchange_code

    def exchange(*args: Any, **kwargs: Any) -> dict[str, Any]:
        answer = real(*args, **kwargs)
        return {**answer, "id_token": change(answer["id_token"])}

    monkeypatch.setattr(protocol, "exchange_code", exchange)


def _refused(client: TestClient, db: Session, reason: str, shown: str) -> None:
    done = walk(client, email="alice@acme.example")
    assert done.response.status_code == 401, done.response.text
    assert shown in done.response.text
    db.rollback()
    refusals = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "oidc.refused").order_by(AuditEvent.id)
    ).all()
    assert [r.details["reason"] for r in refusals] == [reason]
    assert db.scalars(select(WebSession)).all() == []
    assert db.scalars(select(User)).all() == []


def _tampered(token: str) -> str:
    header, _, signature = token.split(".")
    claims = _claims(token) | {"email": "mallory@acme.example"}
    return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"


def _unsigned(token: str) -> str:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{token.split('.')[1]}."


def test_a_tampered_id_token_is_refused(
    client: TestClient, db: Session, provider: Provider, acme: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider.people(ALICE)
    _on_the_way(monkeypatch, _tampered)
    _refused(client, db, "signature", "the ID token&#39;s signature is not valid")


def test_an_id_token_with_alg_none_is_refused(
    client: TestClient, db: Session, provider: Provider, acme: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider.people(ALICE)
    _on_the_way(monkeypatch, _unsigned)
    _refused(client, db, "signature", "signature is not valid")


def test_an_hmac_keyed_with_the_providers_public_key_is_refused(
    client: TestClient, db: Session, provider: Provider, acme: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The classic confusion: HS256 whose secret is the public key everyone can fetch.
    public = provider.key.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def hs256(token: str) -> str:
        header = _b64(json.dumps({"alg": "HS256", "kid": provider.key.kid}).encode())
        signing_input = f"{header}.{token.split('.')[1]}"
        mac = hmac.new(public, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(mac)}"

    provider.people(ALICE)
    _on_the_way(monkeypatch, hs256)
    _refused(client, db, "signature", "signature is not valid")


@pytest.mark.parametrize(
    ("change", "reason", "shown"),
    [
        ({"iss": "https://login.attacker.example"}, "issuer", "comes from another issuer"),
        ({"aud": "another-client"}, "audience", "issued to another client"),
        ({"aud": [CLIENT_ID, "another-client"], "azp": "another-client"}, "azp", "another client"),
        ({"nonce": "a-nonce-from-another-sign-in"}, "nonce", "does not answer this sign-in"),
        ({"exp": 1_000_000_000}, "expired", "has expired"),
    ],
)
def test_a_claim_that_does_not_fit_is_refused(
    client: TestClient,
    db: Session,
    provider: Provider,
    acme: str,
    monkeypatch: pytest.MonkeyPatch,
    change: dict[str, Any],
    reason: str,
    shown: str,
) -> None:
    provider.people(ALICE)
    _on_the_way(monkeypatch, lambda token: provider.sign(_claims(token) | change))
    _refused(client, db, reason, shown)


def test_the_genuine_token_re_signed_unchanged_is_accepted(
    client: TestClient, db: Session, provider: Provider, acme: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The control for the cases above: the re-signing itself is not what they refuse.
    provider.people(ALICE)
    _on_the_way(monkeypatch, lambda token: provider.sign(_claims(token)))
    assert walk(client, email="alice@acme.example").response.status_code == 303
