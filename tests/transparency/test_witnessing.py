"""A hub's log witnessed by three witness hubs on 127.0.0.1 with a 2-of-3 policy: the cosigned
checkpoint is checked by the project's verifier (``accord log verify``, bundles) and by one
written from the C2SP texts in ``c2sp.py``; losing witnesses below the quorum is named."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from accord.cli.main import app as cli
from accord.config import Settings
from accord.db import make_engine, make_sessionmaker, unit_of_work, upgrade
from accord.identity.policy import SYSTEM
from accord.jobs.models import Job
from accord.transparency import bundles, keys, rotation, services, witness, witnessing
from accord.transparency.bundles import WitnessPolicy
from accord.transparency.models import LogCosignature, LogWitness, WitnessedLog
from accord.web.app import create_app
from tests.flows.conftest import serving
from tests.outbound_holds import probing
from tests.transparency.c2sp import cosigners
from tests.transparency.conftest import Publish


@dataclass
class WitnessHub:
    """Another hub, with its own database and keys, serving as a witness."""

    settings: Settings
    sessions: sessionmaker[Session]
    url: str
    stack: ExitStack

    @property
    def vkey(self) -> str:
        return keys.load_cosigner(self.settings).verifier.encode()

    @property
    def name(self) -> str:
        return keys.load_cosigner(self.settings).verifier.name

    def stop(self) -> None:
        self.stack.close()


def _witness_hub(tmp: Path, number: int, log_vkey: str) -> WitnessHub:
    settings = Settings(
        data_dir=tmp / f"witness{number}",
        base_url=f"http://witness{number}.test",
        worker_in_process=False,
    )
    settings.data_dir.mkdir()
    engine = make_engine(settings)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    with unit_of_work(sessions) as db:
        witness.add_log(db, actor=SYSTEM, verifier_key=log_vkey)
    stack = ExitStack()
    stack.callback(engine.dispose)
    url = stack.enter_context(serving(create_app(settings, engine=engine)))
    return WitnessHub(settings, sessions, url, stack)


def _witness_hubs(
    tmp_path: Path, sessions: sessionmaker[Session], settings: Settings, *, count: int
) -> list[WitnessHub]:
    """``count`` witness hubs that pinned this log's key, each added as one of its witnesses."""
    with unit_of_work(sessions) as db:
        log_vkey = services.log_verifier(db, settings=settings).encode()
    hubs = [_witness_hub(tmp_path, n, log_vkey) for n in range(1, count + 1)]
    with unit_of_work(sessions) as db:
        for hub in hubs:
            witnessing.add_witness(
                db,
                actor=SYSTEM,
                url=f"{hub.url}/witness",
                verifier_key=hub.vkey,
                allow_private=True,
            )
    return hubs


@pytest.fixture
def witnesses(
    tmp_path: Path, app: FastAPI, settings: Settings, session_factory: sessionmaker[Session]
) -> Iterator[list[WitnessHub]]:
    hubs = _witness_hubs(tmp_path, session_factory, settings, count=3)
    yield hubs
    for hub in hubs:
        hub.stop()


@pytest.fixture
def live_log(app: FastAPI) -> Iterator[str]:
    with serving(app) as url:
        yield url


def _gather(settings: Settings, sessions: sessionmaker[Session]) -> witnessing.Gathered:
    local = settings.model_copy(update={"outbound_allow_private_addresses": False})
    return witnessing.gather(settings=local, sessions=sessions)


def _verify(live_log: str, log_vkey: str, hubs: list[WitnessHub], state: Path) -> tuple[int, str]:
    args = ["log", "verify", "--hub", live_log, "--key", log_vkey, "--state", str(state)]
    for hub in hubs:
        args += ["--witness", hub.vkey]
    result = CliRunner().invoke(cli, [*args, "--quorum", "2"])
    return result.exit_code, result.output


def test_three_witnesses_cosign_and_a_two_of_three_policy_holds(
    witnesses: list[WitnessHub],
    live_log: str,
    publish: Publish,
    settings: Settings,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    for number in range(3):
        publish({"n": number})
    with unit_of_work(session_factory) as db:
        queued = db.scalars(select(Job).where(Job.kind == witnessing.JOB_KIND)).all()
        assert len(queued) == 1  # one job waits, whatever the number of checkpoints
        log_vkey = services.log_verifier(db, settings=settings).encode()
    gathered = _gather(settings, session_factory)
    assert (gathered.size, sorted(gathered.cosigned), gathered.failed) == (
        3,
        sorted(h.settings.base_url.split("//")[1] + "/witness" for h in witnesses),
        {},
    )
    note = httpx.get(f"{live_log}/log/checkpoint").text
    vkeys = [h.vkey for h in witnesses]
    assert sorted(cosigners(note, vkeys)) == sorted(gathered.cosigned)  # independent check
    state = tmp_path / "state.json"
    code, output = _verify(live_log, log_vkey, witnesses, state)
    assert code == 0, output
    assert "cosigned by witness1.test/witness, witness2.test/witness, witness3.test/witness" in (
        output.replace("\n", " ")
    )
    page = httpx.get(f"{live_log}/log").text  # the public page shows them too
    assert all(h.vkey in page for h in witnesses)
    assert all(line.split(" ")[2] in page for line in note.splitlines()[4:])
    for hub in witnesses:  # each witness recorded the log's size
        with unit_of_work(hub.sessions) as db:
            assert db.get(WitnessedLog, note.split("\n")[0]).size == 3  # type: ignore[union-attr]

    # One witness gone: two of three still cosign the next checkpoint.
    witnesses[2].stop()
    for number in range(3, 7):
        publish({"n": number})
    gathered = _gather(settings, session_factory)
    assert len(gathered.cosigned) == 2
    assert list(gathered.failed) == ["witness3.test/witness"]
    code, output = _verify(live_log, log_vkey, witnesses, state)
    assert code == 0, output
    with unit_of_work(session_factory) as db:
        quorum = settings.model_copy(update={"log_witness_quorum": 2})
        two_of_three = bundles.build_bundle(db, settings=quorum, index=4)
    policy = WitnessPolicy.parse(vkeys, 2)
    verified = bundles.verify_bundle(
        two_of_three, verifier=bundles.note.Verifier.parse(log_vkey), policy=policy
    )
    assert verified.checkpoint.size == 7
    assert len(cosigners(two_of_three.checkpoint, vkeys)) == 2

    # A second one gone: the newest checkpoint has one cosignature, and the check names who
    # is missing. A bundle still proves against the last checkpoint that met the quorum.
    witnesses[1].stop()
    publish({"n": 7})
    gathered = _gather(settings, session_factory)
    assert gathered.cosigned == ["witness1.test/witness"]
    code, output = _verify(live_log, log_vkey, witnesses, state)
    assert code == 1
    assert "has 1 of the 2 witness cosignatures required; missing: witness2.test/witness, " in (
        output.replace("\n", " ")
    )
    with unit_of_work(session_factory) as db:
        older = bundles.build_bundle(db, settings=quorum, index=4)
    assert (
        bundles.verify_bundle(
            older, verifier=bundles.note.Verifier.parse(log_vkey), policy=policy
        ).checkpoint.size
        == 7
    )
    bundle_file = tmp_path / "bundle.json"
    with unit_of_work(session_factory) as db:
        newest = bundles.build_bundle(db, settings=settings, index=7)
    bundle_file.write_text(json.dumps(newest.model_dump()))
    args = ["log", "verify-bundle", str(bundle_file), "--key", log_vkey, "--quorum", "2"]
    for key in vkeys:
        args += ["--witness", key]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "missing: witness2.test/witness" in result.output


def test_a_witness_ahead_of_the_database_is_reported(
    witnesses: list[WitnessHub],
    publish: Publish,
    settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    """A witness that cosigned more than the log holds means the database went back."""
    publish({"n": 1})
    with unit_of_work(witnesses[0].sessions) as db:
        found = db.scalars(select(WitnessedLog)).one()
        found.size = 50  # as if it had cosigned a tree of 50 this database lost
    gathered = _gather(settings, session_factory)
    assert (
        "beyond this log's 1: the database is behind what was published"
        in (gathered.failed["witness1.test/witness"])
    )
    assert len(gathered.cosigned) == 2


@pytest.fixture
def rotating_log(
    own_log: Settings, engine: Engine, session_factory: sessionmaker[Session], tmp_path: Path
) -> Iterator[tuple[Settings, list[WitnessHub]]]:
    """A log of its own (its key is rotated) with two witness hubs that pinned its first key."""
    hubs = _witness_hubs(tmp_path, session_factory, own_log, count=2)
    yield own_log, hubs
    for hub in hubs:
        hub.stop()
    with engine.begin() as conn:
        conn.execute(delete(LogCosignature))
        conn.execute(delete(LogWitness))


def _publish_own(sessions: sessionmaker[Session], settings: Settings, n: int) -> None:
    with unit_of_work(sessions) as db:
        services.append(
            db,
            settings=settings,
            entry_type="registry.signature",
            subject_id="org",
            document={"n": n},
        )


def _held_keys(hubs: list[WitnessHub]) -> list[tuple[str, int]]:
    found = []
    for hub in hubs:
        with unit_of_work(hub.sessions) as db:
            log = db.scalars(select(WitnessedLog)).one()
            found.append((log.verifier_key, log.size))
    return found


def test_a_rotated_key_is_announced_to_the_witnesses_before_the_next_checkpoint(
    rotating_log: tuple[Settings, list[WitnessHub]], session_factory: sessionmaker[Session]
) -> None:
    """The witnesses pinned the old key: the job sends them the announcement (signed by both
    keys) first, so they follow it and cosign what the new key signs; a second rotation with
    nothing published between is followed as well."""
    settings, hubs = rotating_log
    for n in range(3):
        _publish_own(session_factory, settings, n)
    with unit_of_work(session_factory) as db:
        services.sign_latest(db, settings=settings)
        old = services.log_verifier(db, settings=settings).encode()
    assert len(_gather(settings, session_factory).cosigned) == 2
    assert _held_keys(hubs) == [(old, 3), (old, 3)]

    with unit_of_work(session_factory) as db:
        rotation.rotate(db, settings=settings)
        # The rotation queues the job, though nothing new was signed.
        assert db.scalars(select(Job).where(Job.kind == witnessing.JOB_KIND)).first()
    with unit_of_work(session_factory) as db:
        assert rotation.finish(db, settings=settings)
        new = services.log_verifier(db, settings=settings).encode()
    assert new != old
    # Nothing published since: the witnesses learn the new key from the announcement alone.
    gathered = _gather(settings, session_factory)
    assert (gathered.cosigned, gathered.failed) == (sorted(h.name for h in hubs), {})
    assert _held_keys(hubs) == [(new, 3), (new, 3)]

    for n in range(3, 5):
        _publish_own(session_factory, settings, n)
    with unit_of_work(session_factory) as db:
        services.sign_latest(db, settings=settings)
    gathered = _gather(settings, session_factory)
    assert (gathered.size, gathered.failed, len(gathered.cosigned)) == (5, {}, 2)
    assert _held_keys(hubs) == [(new, 5), (new, 5)]
    with unit_of_work(session_factory) as db:
        latest = services.latest_checkpoint(db)
        assert latest is not None
        note = witnessing.cosigned_note(db, latest)
    assert sorted(cosigners(note, [h.vkey for h in hubs])) == sorted(gathered.cosigned)

    # Two rotations in a row, at the same size: both announcements, in order.
    for _ in range(2):
        with unit_of_work(session_factory) as db:
            rotation.rotate(db, settings=settings)
        with unit_of_work(session_factory) as db:
            assert rotation.finish(db, settings=settings)
    with unit_of_work(session_factory) as db:
        newest = services.log_verifier(db, settings=settings).encode()
    _publish_own(session_factory, settings, 5)
    with unit_of_work(session_factory) as db:
        services.sign_latest(db, settings=settings)
    gathered = _gather(settings, session_factory)
    assert (gathered.size, gathered.failed, len(gathered.cosigned)) == (6, {}, 2)
    assert _held_keys(hubs) == [(newest, 6), (newest, 6)]


def test_no_transaction_is_held_while_a_witness_answers(
    witnesses: list[WitnessHub],
    publish: Publish,
    settings: Settings,
    engine: Engine,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The job reads what it sends, asks each witness with no transaction open and stores each
    answer in a short one (issue 26): another write goes through while a witness answers."""
    for number in range(2):
        publish({"n": number})
    probe = probing(monkeypatch, engine, session_factory)
    gathered = _gather(settings, session_factory)
    assert (len(gathered.cosigned), gathered.failed) == (3, {})
    assert len(probe.seen) == 3
    assert not any(probe.seen)


def test_gathering_writes_only_what_the_witnesses_answered(
    witnesses: list[WitnessHub],
    publish: Publish,
    settings: Settings,
    session_factory: sessionmaker[Session],
    engine: Engine,
) -> None:
    # Every read (the checkpoint, the witnesses, each proof and signed size) goes through a
    # read-only session: on SQLite a write session takes the hub's one writer.
    for number in range(3):
        publish({"n": number})
    opened: list[int] = []

    def writing() -> Session:
        opened.append(1)
        return session_factory()

    local = settings.model_copy(update={"outbound_allow_private_addresses": False})
    gathered = witnessing.gather(
        settings=local,
        sessions=writing,  # type: ignore[arg-type]
        readers=make_sessionmaker(engine, read_only=True),
    )
    assert len(gathered.cosigned) == 3, gathered.failed
    assert len(opened) == 3  # one write a witness: its cosignature
