"""The hub as a C2SP tlog-witness: ``POST /witness/add-checkpoint`` as the specification says,
checked with a log the test plays and a cosignature verifier written from the C2SP texts."""

from __future__ import annotations

import base64
import threading

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.models import AuditEvent
from accord.identity.policy import SYSTEM
from accord.transparency import keys, witness
from accord.transparency.models import WitnessedLog
from tests.transparency.c2sp import FakeLog, cosigners, log_vkey

URL = "/witness/add-checkpoint"


@pytest.fixture
def log(session_factory: sessionmaker[Session]) -> FakeLog:
    fake = FakeLog()
    with unit_of_work(session_factory) as db:
        witness.add_log(db, actor=SYSTEM, verifier_key=fake.vkey)
    return fake


def witness_vkey(settings: Settings) -> str:
    return keys.load_cosigner(settings).verifier.encode()


def test_cosigns_a_new_log_then_each_consistent_checkpoint(
    client: TestClient, log: FakeLog, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    log.append(5)
    answer = client.post(URL, content=log.request(0))
    assert answer.status_code == 200, answer.text
    assert answer.text.startswith("\u2014 testserver/witness ")
    assert answer.text.endswith("\n")
    found = cosigners(log.checkpoint() + answer.text, [witness_vkey(settings)])
    assert list(found) == ["testserver/witness"]

    log.append(300)
    answer = client.post(URL, content=log.request(5))
    assert answer.status_code == 200, answer.text
    assert cosigners(log.checkpoint() + answer.text, [witness_vkey(settings)])
    # The same checkpoint again is cosigned again (old size = its size, same root).
    assert client.post(URL, content=log.request(305)).status_code == 200
    with unit_of_work(session_factory) as db:
        stored = db.get(WitnessedLog, log.origin)
        assert stored is not None
        assert stored.size == 305


def test_a_stale_old_size_gets_409_with_the_known_size(client: TestClient, log: FakeLog) -> None:
    log.append(7)
    assert client.post(URL, content=log.request(0)).status_code == 200
    log.append(3)
    answer = client.post(URL, content=log.request(0))
    assert answer.status_code == 409
    assert answer.headers["content-type"] == "text/x.tlog.size"
    assert answer.text == "7\n"


def test_a_split_view_is_refused_with_409(client: TestClient, log: FakeLog) -> None:
    log.append(10)
    assert client.post(URL, content=log.request(0)).status_code == 200
    forged = FakeLog(log.origin)
    forged.key = log.key  # the log's own key signing another tree of the same size
    forged.append(10, tag="forged ")
    answer = client.post(URL, content=forged.request(10))
    assert answer.status_code == 409
    assert answer.text == "10\n"
    # And a larger forged tree cannot be proved consistent with the cosigned one.
    forged.append(5, tag="forged ")
    body = forged.request(10).replace(b"old 10\n", b"old 10\n", 1)
    assert client.post(URL, content=body).status_code == 422


def test_refusals_follow_the_specification(
    client: TestClient, log: FakeLog, settings: Settings
) -> None:
    log.append(20)
    assert client.post(URL, content=log.request(0)).status_code == 200
    log.append(20)
    good = log.request(20)

    other = FakeLog("elsewhere.example/log")
    other.append(3)
    assert client.post(URL, content=other.request(0)).status_code == 404
    impostor = FakeLog(log.origin)  # the right origin, another key
    impostor.append(40)
    assert client.post(URL, content=impostor.request(20)).status_code == 403
    # A flipped proof hash: the proof does not verify.
    head, _, rest = good.partition(b"\n")
    line, _, tail = rest.partition(b"\n")
    flipped = bytearray(base64.b64decode(line))
    flipped[0] ^= 1
    bad_proof = head + b"\n" + base64.b64encode(bytes(flipped)) + b"\n" + tail
    assert client.post(URL, content=bad_proof).status_code == 422
    # A proof from size 0 must be empty.
    with_proof = log.request(0).replace(b"old 0\n", b"old 0\n" + line + b"\n")
    answer = client.post(URL, content=with_proof)
    assert answer.status_code == 409  # the old size is checked before the proof
    assert client.post(URL, content=good.replace(b"old 20", b"old 41")).status_code == 400
    # Nothing was recorded by any of these: the honest request still goes through.
    assert client.post(URL, content=good).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"garbage",
        b"\xff\xfe\x00\n\n",
        b"old 01\n\nlog.example/test\n1\nAAAA\n",
        b"old -1\n\nx\n",
        b"old 0\nnot base64!\n\nx\n",
        b"old 0\n" + base64.b64encode(b"short") + b"\n\nx\n",
        b"old 0\n" + (base64.b64encode(bytes(32)) + b"\n") * 64 + b"\nx\n",
        b"old 0\n\nlog.example/test\n1\n",
        b"old 0\n\nlog.example/test\nten\nAAAA\n\n\xe2\x80\x94 a AAAAAAAA\n",
        b"old 0\n\nlog.example/test\n1\n" + base64.b64encode(bytes(32)) + b"\n\nno dash\n",
        b"old 99999999999999999999\n\nx\n",
    ],
)
def test_malformed_bodies_get_400(client: TestClient, log: FakeLog, body: bytes) -> None:
    answer = client.post(URL, content=body)
    assert answer.status_code == 400, answer.text
    assert answer.text.strip()


def test_sizes_beyond_a_bigint_get_400(client: TestClient, log: FakeLog) -> None:
    log.append(1)
    body = log.request(0, size=2**63, root=bytes(32))
    assert client.post(URL, content=body).status_code == 400
    body = log.request(0).replace(b"old 0\n", b"old 9999999999999999999\n")
    assert client.post(URL, content=body).status_code == 400


def test_a_huge_body_is_refused_without_reading_it_all(client: TestClient, log: FakeLog) -> None:
    answer = client.post(URL, content=b"old 0\n" + b"A" * (600 * 1024))
    assert answer.status_code == 413


def test_requests_are_rate_limited_per_address(
    client: TestClient, log: FakeLog, settings: Settings
) -> None:
    state = client.app.state  # type: ignore[attr-defined]
    saved = state.settings
    state.settings = saved.model_copy(update={"witness_requests_per_minute": 3})
    try:
        statuses = [client.post(URL, content=b"garbage").status_code for _ in range(5)]
    finally:
        state.settings = saved
    assert statuses == [400, 400, 400, 429, 429]


def test_racing_requests_never_cosign_two_roots_for_one_size(
    log: FakeLog, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    """Eight requests from the same state, each with another tree of the same size."""
    bodies = []
    for number in range(8):
        fork = FakeLog(log.origin)
        fork.key = log.key
        fork.append(6, tag=f"fork {number} ")
        bodies.append(fork.request(0))
    outcomes: list[str] = []
    gate = threading.Barrier(len(bodies))

    def post(body: bytes) -> None:
        gate.wait()
        try:
            with unit_of_work(session_factory) as db:
                witness.add_checkpoint(db, settings=settings, body=body)
            outcomes.append("cosigned")
        except witness.WitnessRefusal as exc:
            outcomes.append(str(exc.status_code))

    threads = [threading.Thread(target=post, args=(b,)) for b in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["409"] * 7 + ["cosigned"]


def test_operators_add_and_remove_logs_with_an_audit_row(
    session_factory: sessionmaker[Session],
) -> None:
    fake = FakeLog("other.example/log")
    with unit_of_work(session_factory) as db:
        witness.add_log(db, actor=SYSTEM, verifier_key=fake.vkey)
        assert db.query(AuditEvent).filter_by(action="witness.log_added").count() == 1
    with unit_of_work(session_factory) as db, pytest.raises(witness.Conflict):
        witness.add_log(db, actor=SYSTEM, verifier_key=fake.vkey)
    with unit_of_work(session_factory) as db, pytest.raises(witness.InvalidInput):
        witness.add_log(db, actor=SYSTEM, verifier_key="not a key")
    with unit_of_work(session_factory) as db:
        witness.remove_log(db, actor=SYSTEM, origin=fake.origin)
        assert witness.witnessed_logs(db) == []


def test_follows_a_key_rotation_signed_by_the_old_and_the_new_key(
    client: TestClient, log: FakeLog, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    log.append(4)
    assert client.post(URL, content=log.request(0)).status_code == 200
    old_key, new_key = log.key, Ed25519PrivateKey.generate()
    announcement = log.announcement(new_key, signers=[old_key, new_key])
    answer = client.post(URL, content=log.request_with(4, announcement))
    assert answer.status_code == 200, answer.text
    assert cosigners(announcement + answer.text, [witness_vkey(settings)])

    log.key = new_key
    log.append(3)
    answer = client.post(URL, content=log.request(4))
    assert answer.status_code == 200, answer.text
    # The retired key signs nothing new, and consistency is still checked under the new key.
    log.key = old_key
    log.append(1)
    assert client.post(URL, content=log.request(7)).status_code == 403
    log.key = new_key
    assert client.post(URL, content=log.request(7, root=b"\x07" * 32)).status_code == 422
    with unit_of_work(session_factory) as db:
        stored = db.get(WitnessedLog, log.origin)
        assert stored is not None
        assert (stored.size, stored.verifier_key) == (7, log_vkey(log.origin, new_key))


@pytest.mark.parametrize("signed_by", ["new", "old"])
def test_an_announcement_missing_a_signature_is_refused(
    client: TestClient, log: FakeLog, session_factory: sessionmaker[Session], signed_by: str
) -> None:
    log.append(2)
    assert client.post(URL, content=log.request(0)).status_code == 200
    old_key, new_key = log.key, Ed25519PrivateKey.generate()
    forged = log.announcement(new_key, signers=[new_key if signed_by == "new" else old_key])
    answer = client.post(URL, content=log.request_with(2, forged))
    assert answer.status_code == 403, answer.text
    expected = "checkpoint signature" if signed_by == "new" else "the announced key did not"
    assert answer.text.startswith(expected)
    # The new key is not trusted: its checkpoints stay refused, the old key's still pass.
    log.key = new_key
    log.append(1)
    assert client.post(URL, content=log.request(2)).status_code == 403
    log.key = old_key
    assert client.post(URL, content=log.request(2)).status_code == 200
    with unit_of_work(session_factory) as db:
        stored = db.get(WitnessedLog, log.origin)
        assert stored is not None
        assert stored.verifier_key == log_vkey(log.origin, old_key)
        assert stored.size == 3
        # The operators' page shows the last refusal: the new key's checkpoint.
        assert stored.refused_at is not None
        assert (stored.last_refusal or "").startswith("checkpoint signature")
