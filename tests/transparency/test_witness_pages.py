"""The operators' witnessing page: add and remove witnessed logs and witnesses, see each
one's state and the quorum, with malformed keys said beside their field and input kept."""

from __future__ import annotations

import html

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.policy import SYSTEM
from accord.transparency import services, witness_pages, witnessing
from accord.transparency.cosignature import CosignatureVerifier
from accord.transparency.models import LogCosignature, LogWitness, WitnessedLog
from accord.transparency.note import Verifier
from tests.factories import Factories, Person, csrf_of, sign_in
from tests.transparency.c2sp import FakeLog

PAGE = "/admin/log/witnessing"
OPER = Person("oper")


@pytest.fixture
def operator_client(client: TestClient, make: Factories) -> TestClient:
    make.user(OPER.username, operator=True)
    sign_in(client, OPER)
    return client


def post(client: TestClient, action: str, data: dict[str, str]) -> httpx.Response:
    token = csrf_of(client.get(PAGE).text)
    return client.post(action, data={**data, "csrf_token": token}, follow_redirects=False)


def witness_key(name: str = "witness.example") -> str:
    raw = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    return CosignatureVerifier(name, raw).encode()


def test_a_log_is_added_shown_by_fingerprint_then_removed(
    operator_client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    log = FakeLog()
    answer = post(operator_client, PAGE + "/logs", {"log_key": log.vkey, "origin": ""})
    assert answer.status_code == 303, answer.text
    page = operator_client.get(PAGE).text
    assert log.origin in page
    assert witness_pages.fingerprint(Verifier.parse(log.vkey)) in html.unescape(page)
    with unit_of_work(session_factory) as db:
        assert db.get(WitnessedLog, log.origin) is not None

    answer = post(operator_client, PAGE + "/logs/remove", {"origin": log.origin})
    assert answer.status_code == 303
    with unit_of_work(session_factory) as db:
        assert db.get(WitnessedLog, log.origin) is None


def test_a_malformed_log_key_is_said_beside_its_field_and_kept(
    operator_client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    answer = post(operator_client, PAGE + "/logs", {"log_key": "not a key", "origin": "o.example"})
    assert answer.status_code == 422
    assert 'id="log_key-error"' in answer.text
    assert "C2SP Ed25519 note key" in answer.text
    assert 'value="not a key"' in answer.text
    assert 'value="o.example"' in answer.text
    with unit_of_work(session_factory) as db:
        assert db.get(WitnessedLog, "o.example") is None


def test_a_log_already_witnessed_is_said_beside_the_origin(operator_client: TestClient) -> None:
    log = FakeLog()
    assert post(operator_client, PAGE + "/logs", {"log_key": log.vkey}).status_code == 303
    answer = post(operator_client, PAGE + "/logs", {"log_key": log.vkey})
    assert answer.status_code == 422
    assert 'id="origin-error"' in answer.text
    assert "witnesses that log already" in answer.text


def test_a_witness_is_added_with_its_state_and_the_quorum(
    operator_client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    key = witness_key()
    form = {"url": "https://witness.example/", "witness_key": key}
    assert post(operator_client, PAGE + "/witnesses", form).status_code == 303
    with unit_of_work(session_factory) as db:
        stored = db.get(LogWitness, "witness.example")
        assert stored is not None
        stored.last_error = "the witness answered 503"
    page = operator_client.get(PAGE).text
    assert "witness.example" in page
    assert "the witness answered 503" in page
    assert "ACCORD_LOG_WITNESS_QUORUM" in page

    bad = post(operator_client, PAGE + "/witnesses", {"url": "ftp://x", "witness_key": "junk"})
    assert bad.status_code == 422
    assert 'id="url-error"' in bad.text
    assert 'id="witness_key-error"' in bad.text
    assert 'value="ftp://x"' in bad.text

    answer = post(operator_client, PAGE + "/witnesses/remove", {"name": "witness.example"})
    assert answer.status_code == 303
    with unit_of_work(session_factory) as db:
        assert witnessing.witnesses(db) == []


def test_the_page_is_refused_to_a_member(client: TestClient, make: Factories) -> None:
    make.user("someone")
    sign_in(client, Person("someone"))
    assert client.get(PAGE).status_code == 403


def test_the_page_says_whether_the_latest_checkpoint_meets_the_quorum(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    two_of_two = settings.model_copy(update={"log_witness_quorum": 2})
    with unit_of_work(session_factory) as db:
        latest = services.current_checkpoint(db, settings=settings)
        for name in ("a.example", "b.example"):
            witnessing.add_witness(
                db, actor=SYSTEM, url=f"https://{name}/", verifier_key=witness_key(name)
            )
        db.add(LogCosignature(size=latest.size, witness="a.example", line="x", timestamp=1))
        db.flush()
        state = witness_pages._state(db, two_of_two)
        assert (state["cosigned"], state["quorum_met"]) == (1, False)
        db.add(LogCosignature(size=latest.size, witness="b.example", line="y", timestamp=1))
        db.flush()
        state = witness_pages._state(db, two_of_two)
        assert (state["cosigned"], state["quorum_met"]) == (2, True)
        assert [size for _, _, size in state["witnesses"]] == [latest.size, latest.size]
