"""Key rotation: a new log key announced in a checkpoint that the old and the new key sign.

The announcement is read with the independent C2SP reading of the tests (tests/transparency/
c2sp.py); verifiers that pinned the old key (bundles, the monitor, ``accord log verify``)
follow it to the new one; bundles made before the rotation keep verifying; a forged or broken
chain, and a checkpoint a retired key signs after its rotation, are refused.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.transparency import audit, bundles, keys, published, rotation, services
from accord.transparency.bundles import VerificationFailed
from accord.transparency.note import Checkpoint, NoteError, Signer, Verifier, split_note
from accord.web.app import create_app
from tests.transparency import c2sp
from tests.transparency.test_cli import accord


def _publish(sessions: sessionmaker[Session], settings: Settings, n: int) -> int:
    with unit_of_work(sessions) as db:
        return services.append(
            db,
            settings=settings,
            entry_type="registry.signature",
            subject_id="o",
            document={"n": n},
        ).index


def _rotate(sessions: sessionmaker[Session], settings: Settings) -> str:
    with unit_of_work(sessions) as db:
        row = rotation.rotate(db, settings=settings)
        announcement = row.announcement
    with unit_of_work(sessions) as db:
        assert rotation.finish(db, settings=settings)
    assert announcement is not None
    return announcement


def _bundle(sessions: sessionmaker[Session], settings: Settings, index: int) -> bundles.LogBundle:
    with unit_of_work(sessions) as db:
        return bundles.build_bundle(db, settings=settings, index=index)


@pytest.fixture
def live_hub(own_log: Settings, engine: Engine) -> Iterator[str]:
    """The hub of ``own_log`` under uvicorn on 127.0.0.1 (as in test_cli), for the real CLI."""
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(own_log, engine=engine),
            host="127.0.0.1",
            port=0,
            log_level="warning",
            lifespan="off",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the test hub did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_a_rotation_is_announced_under_both_keys_and_followed(
    own_log: Settings, session_factory: sessionmaker[Session]
) -> None:
    for n in range(3):
        _publish(session_factory, own_log, n)
    with unit_of_work(session_factory) as db:
        old = services.log_verifier(db, settings=own_log)
    before = _bundle(session_factory, own_log, 1)
    announcement = _rotate(session_factory, own_log)
    with unit_of_work(session_factory) as db:
        new = services.log_verifier(db, settings=own_log)
    assert new != old
    assert new.name == old.name
    # The independent reading: one note, both keys' signatures valid, the next key named.
    assert c2sp.log_signers(announcement, [old.encode(), new.encode()]) == [
        old.encode(),
        new.encode(),
    ]
    body = split_note(announcement)[0].splitlines()
    assert body[:2] == [old.name, "3"]
    assert body[3] == f"accord-next-key {new.encode()}"
    # The announcement is the tree the old key signed last (no second root for size 3).
    with unit_of_work(session_factory) as db:
        assert services.latest_checkpoint(db).size == 3  # type: ignore[union-attr]
        assert Checkpoint.parse(split_note(announcement)[0]).root_hash == (
            services.latest_checkpoint(db).root_hash  # type: ignore[union-attr]
        )
    # Later checkpoints are the new key's alone.
    _publish(session_factory, own_log, 3)
    with unit_of_work(session_factory) as db:
        latest = services.latest_checkpoint(db)
        assert latest is not None
        assert latest.size == 4
        assert c2sp.log_signers(latest.note, [old.encode(), new.encode()]) == [new.encode()]
    after = _bundle(session_factory, own_log, 3)
    assert after.key_chain == [announcement]
    # Old bundles verify under the old key; new ones under the old key (following the chain)
    # and under the new one.
    assert bundles.verify_bundle(before, verifier=old).checkpoint.size == 3
    assert bundles.verify_bundle(after, verifier=old).checkpoint.size == 4
    assert bundles.verify_bundle(after, verifier=new).checkpoint.size == 4
    # Without the chain, the old key cannot vouch for the new checkpoint.
    with pytest.raises(VerificationFailed, match="checkpoint"):
        bundles.verify_bundle(after.model_copy(update={"key_chain": []}), verifier=old)
    # The stored log, its checkpoints under both keys, and the published file hold together.
    with unit_of_work(session_factory) as db:
        report = audit.audit(db, settings=own_log)
        assert (report.size, report.checkpoints) == (4, 4)
        published.check_at_start(
            db, settings=own_log, verifier=rotation.verifiers(db, settings=own_log)
        )
    # The replaced key is kept, the prepared one promoted.
    assert not keys.next_path(own_log).exists()
    assert len(list(own_log.data_dir.glob("transparency-log-ed25519.*.retired.pem"))) == 1


def test_two_rotations_are_followed_from_the_first_key(
    own_log: Settings, session_factory: sessionmaker[Session]
) -> None:
    _publish(session_factory, own_log, 0)
    with unit_of_work(session_factory) as db:
        first = services.log_verifier(db, settings=own_log)
    _rotate(session_factory, own_log)
    _publish(session_factory, own_log, 1)
    _rotate(session_factory, own_log)
    _publish(session_factory, own_log, 2)
    found = _bundle(session_factory, own_log, 2)
    assert len(found.key_chain) == 2
    assert bundles.verify_bundle(found, verifier=first).checkpoint.size == 3
    steps = rotation.follow(first, found.key_chain)
    assert [s.checkpoint.size for s in steps] == [1, 2]
    with unit_of_work(session_factory) as db:
        assert services.log_verifier(db, settings=own_log) == steps[-1].key
        assert audit.audit(db, settings=own_log).checkpoints == 3


def _signer(name: str) -> Signer:
    return Signer(name, Ed25519PrivateKey.generate())


def test_forged_and_broken_chains_are_refused() -> None:
    old, new, other = _signer("hub.test/log"), _signer("hub.test/log"), _signer("hub.test/log")
    tree = Checkpoint("hub.test/log", 5, b"\x01" * 32)
    good = rotation.announce(tree, old, new)
    assert rotation.follow(old.verifier, [good])[0].key == new.verifier
    # Named by the old key, but the named key never signed it: one could name anyone's key.
    body = Checkpoint(
        "hub.test/log", 5, b"\x01" * 32, (rotation.EXTENSION + other.verifier.encode(),)
    ).body()
    from accord.transparency import note

    unsigned_by_new = note.sign(body, old)
    with pytest.raises(NoteError, match="did not sign its announcement"):
        rotation.follow(old.verifier, [unsigned_by_new])
    # Signed by the new key alone: not an announcement the pinned key made; nothing followed,
    # so the new key's checkpoints stay refused.
    only_new = note.sign(body, other) + ""
    assert rotation.follow(old.verifier, [only_new]) == []
    later = note.sign_checkpoint(Checkpoint("hub.test/log", 9, b"\x02" * 32), other)
    with pytest.raises(NoteError, match="no signature on the note is by a trusted key"):
        rotation.open_following(later, old.verifier, [only_new])
    # A retired key signing a tree past its rotation: refused.
    stale = note.sign_checkpoint(Checkpoint("hub.test/log", 6, b"\x03" * 32), old)
    with pytest.raises(NoteError, match="retired at size 5"):
        rotation.open_following(stale, old.verifier, [good])
    # At or before its rotation, the old key's checkpoints stand.
    early = note.sign_checkpoint(Checkpoint("hub.test/log", 4, b"\x04" * 32), old)
    assert rotation.open_following(early, old.verifier, [good])[1] == old.verifier


def test_a_rotation_committed_but_not_finished_is_finished_before_signing(
    own_log: Settings, session_factory: sessionmaker[Session]
) -> None:
    # A crash between the commit and the promotion of the key file: the next signature
    # promotes it (never signs with the retired key).
    _publish(session_factory, own_log, 0)
    with unit_of_work(session_factory) as db:
        row = rotation.rotate(db, settings=own_log)
        new = Verifier.parse(row.verifier_key)
    assert keys.next_path(own_log).exists()
    _publish(session_factory, own_log, 1)
    with unit_of_work(session_factory) as db:
        latest = services.latest_checkpoint(db)
        assert latest is not None
        assert latest.size == 2
        assert c2sp.log_signers(latest.note, [new.encode()]) == [new.encode()]
        assert services.log_verifier(db, settings=own_log) == new
    assert not keys.next_path(own_log).exists()


def test_a_rotation_rolled_back_leaves_the_key(
    own_log: Settings, session_factory: sessionmaker[Session]
) -> None:
    _publish(session_factory, own_log, 0)
    with unit_of_work(session_factory) as db:
        old = services.log_verifier(db, settings=own_log)

    def failing() -> None:
        with unit_of_work(session_factory) as db:
            rotation.rotate(db, settings=own_log)
            raise RuntimeError("the rotation's transaction failed")

    with pytest.raises(RuntimeError):
        failing()
    with unit_of_work(session_factory) as db:
        assert not rotation.finish(db, settings=own_log)
    assert not keys.next_path(own_log).exists()
    _publish(session_factory, own_log, 1)
    with unit_of_work(session_factory) as db:
        assert services.log_verifier(db, settings=own_log) == old
        assert audit.audit(db, settings=own_log).checkpoints == 2


def test_the_monitor_pinned_to_the_old_key_follows_the_rotation(
    own_log: Settings,
    session_factory: sessionmaker[Session],
    live_hub: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = live_hub
    state = tmp_path / "state.json"
    _publish(session_factory, own_log, 0)
    with unit_of_work(session_factory) as db:
        old = services.log_verifier(db, settings=own_log).encode()
    code, out, err = accord("log", "verify", "--hub", url, "--state", state, "--key", old)
    assert code == 0, err
    # The operator rotates with the CLI (on the same database and data directory).
    monkeypatch.setenv("ACCORD_DATA_DIR", str(own_log.data_dir))
    monkeypatch.setenv("ACCORD_DATABASE_URL", own_log.resolved_database_url)
    monkeypatch.setenv("ACCORD_BASE_URL", own_log.public_url)
    code, out, err = accord("log", "rotate-key")
    assert code == 0, err
    assert out.startswith("ok: the log's key is now ")
    new = out.split("now ", 1)[1].split(",")[0]
    _publish(session_factory, own_log, 1)
    code, out, err = accord("log", "verify", "--hub", url, "--state", state)
    assert code == 0, err
    assert "consistent with the 1 seen before" in out
    assert "the key rotated" in out
    assert f'"verifier_key": "{new}"' in state.read_text()
    # From then on, the new key is pinned: the next run needs no chain.
    _publish(session_factory, own_log, 2)
    code, out, err = accord("log", "verify", "--hub", url, "--state", state)
    assert code == 0, err
    assert "the key rotated" not in out
