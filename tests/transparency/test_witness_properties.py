"""Property test: whatever the sequence of appends, restarts, database restores (with the
published checkpoint kept, or moved away by an operator forcing a fork) and witness requests,
no witness ever cosigns two different roots for one size, and no hub signs a tree that does
not extend what it published unless the published checkpoint was moved away."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.policy import SYSTEM
from accord.transparency import keys, published, services, witness, witnessing
from accord.transparency.note import Checkpoint, split_note
from accord.transparency.store import LogIntegrityError
from tests.transparency.c2sp import cosigners
from tests.transparency.test_published import _dump, _restore

STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(1, 4)),
        # Publications on the cadence: appended unsigned, then one checkpoint for them all.
        st.tuples(st.just("publish"), st.integers(1, 4)),
        st.tuples(st.just("sign"), st.just(0)),
        st.tuples(st.just("snapshot"), st.just(0)),
        st.tuples(st.just("restore"), st.just(0)),
        st.tuples(st.just("force"), st.just(0)),
        st.tuples(st.just("restart"), st.just(0)),
        st.tuples(st.just("witness"), st.just(0)),
    ),
    min_size=1,
    max_size=14,
)


class Witness:
    """The witness side, reached through httpx's mock transport; remembers what it cosigned."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings, self.sessions = settings, sessions
        self.cosigned: list[tuple[int, bytes, str]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = request.content
        try:
            with unit_of_work(self.sessions) as db:
                line = witness.add_checkpoint(db, settings=self.settings, body=body)
        except witness.WitnessRefusal as exc:
            if exc.known_size is not None:
                return httpx.Response(
                    exc.status_code,
                    content=f"{exc.known_size}\n".encode(),
                    headers={"content-type": witnessing.SIZE_TYPE},
                )
            return httpx.Response(exc.status_code, text=exc.message)
        note = witness.parse_request(body).note
        checkpoint = Checkpoint.parse(split_note(note)[0])
        self.cosigned.append((checkpoint.size, checkpoint.root_hash, note + line))
        return httpx.Response(200, text=line)

    def client(self, _: object) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handle))


def _reset(engine: Engine, hub: Settings) -> None:
    with engine.begin() as conn:
        for table in ("log_cosignatures", "log_witnesses", "witness_logs", "log_checkpoints"):
            conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608
        for table in ("log_records", "log_segments", "log_tiles", "log_head"):
            conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608
    published.path(hub).unlink(missing_ok=True)


@pytest.fixture
def hub(settings: Settings, tmp_path: Path) -> Settings:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    return settings.model_copy(
        update={"data_dir": data, "database_url": settings.resolved_database_url}
    )


def test_no_two_cosigned_roots_for_one_size(
    hub: Settings, engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    @settings(
        max_examples=50,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(steps=STEPS)
    # The two ways a restore can fork, always tried besides the random sequences.
    @example(steps=[("append", 2), ("restore", 0), ("append", 2), ("restart", 0)])
    @example(steps=[("append", 2), ("force", 0), ("append", 2), ("witness", 0)])
    @example(steps=[("publish", 3), ("sign", 0), ("snapshot", 0), ("publish", 2), ("sign", 0),
                    ("restore", 0), ("publish", 3), ("sign", 0), ("restart", 0)])  # fmt: skip
    def check(steps: list[tuple[str, int]]) -> None:
        _reset(engine, hub)
        other = Witness(hub, session_factory)
        with unit_of_work(session_factory) as db:
            vkey = services.log_verifier(db, settings=hub).encode()
            witness.add_log(db, actor=SYSTEM, verifier_key=vkey)
            cosigner = keys.load_cosigner(hub).verifier
            witnessing.add_witness(
                db, actor=SYSTEM, url="http://witness.test/witness", verifier_key=cosigner.encode()
            )
        snapshot = _dump_hub(engine)  # a backup of the empty hub, until the next one
        forced = False
        signed: dict[int, bytes] = {}
        for step, count in steps:
            if step == "append":
                _append(session_factory, hub, count)
                # The job that follows every checkpoint.
                witnessing.gather(settings=hub, sessions=session_factory, client=other.client)
            elif step == "publish":
                _publish(session_factory, hub, count)
            elif step == "sign":
                _sign(session_factory, hub)
                witnessing.gather(settings=hub, sessions=session_factory, client=other.client)
            elif step == "snapshot":
                snapshot = _dump_hub(engine)
            elif step in ("restore", "force"):
                _restore_hub(engine, snapshot)
                if step == "force":
                    published.path(hub).unlink(missing_ok=True)
                    forced = True
            elif step == "restart":
                _restart(session_factory, hub)
            elif step == "witness":
                witnessing.gather(settings=hub, sessions=session_factory, client=other.client)
            if not forced:  # the hub alone never signs two roots for one size either
                for size, root in _signed(engine):
                    assert signed.setdefault(size, root) == root, f"hub forked at {size}"
        roots: dict[int, bytes] = {}
        for size, root, note in other.cosigned:
            assert roots.setdefault(size, root) == root, f"two cosigned roots for size {size}"
            assert cosigners(note, [cosigner.encode()])  # each one verifies independently

    check()


_NUMBERS = itertools.count()


def _append(sessions: sessionmaker[Session], hub: Settings, count: int) -> None:
    # One entry a transaction, so every size is signed; entries never repeat, so a tree
    # rebuilt after a restore differs from the lost one.
    for _ in range(count):
        try:
            with unit_of_work(sessions) as db:
                entry = b"entry %d" % next(_NUMBERS)
                services.append_entries(db, settings=hub, entries=[entry])
        except (published.BehindPublished, LogIntegrityError):
            return  # refused: the database is behind what was published


def _publish(sessions: sessionmaker[Session], hub: Settings, count: int) -> None:
    cadence = hub.model_copy(update={"log_checkpoint_seconds": 3600.0})
    for _ in range(count):
        with unit_of_work(sessions) as db:
            services.append(
                db,
                settings=cadence,
                entry_type="registry.signature",
                subject_id="org",
                document={"n": next(_NUMBERS)},
            )


def _sign(sessions: sessionmaker[Session], hub: Settings) -> None:
    try:
        services.sign_pending(sessions, settings=hub)
    except (published.BehindPublished, LogIntegrityError):
        return  # refused: the database is behind what was published


def _signed(engine: Engine) -> list[tuple[int, bytes]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT size, root_hash FROM log_checkpoints"))
        return [(int(r[0]), bytes(r[1])) for r in rows]


def _restart(sessions: sessionmaker[Session], hub: Settings) -> None:
    with unit_of_work(sessions) as db:
        verifier = services.log_verifier(db, settings=hub)
        try:
            published.check_at_start(db, settings=hub, verifier=verifier)
        except published.BehindPublished:
            return  # the hub would not start; the next steps are the operator's


def _dump_hub(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    dump = _dump(engine)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM log_witnesses"))
        dump["log_witnesses"] = [dict(r._mapping) for r in rows]
    return dump


def _restore_hub(engine: Engine, dump: dict[str, list[dict[str, Any]]]) -> None:
    _restore(engine, {k: v for k, v in dump.items() if k != "log_witnesses"})
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM log_witnesses"))
        for row in dump["log_witnesses"]:
            names = ", ".join(row)
            values = ", ".join(f":{c}" for c in row)
            conn.execute(text(f"INSERT INTO log_witnesses ({names}) VALUES ({values})"), row)  # noqa: S608
