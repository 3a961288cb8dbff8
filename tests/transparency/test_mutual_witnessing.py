"""Three hubs on one machine, each a log and a witness of the other two, under a 2-of-3 policy.

Each hub publishes on its cadence (the publications append; one checkpoint is signed when asked)
and gathers its witnesses' cosignatures; every served checkpoint is checked by the project's
verifier (``accord log verify`` with the policy) and by one written from the C2SP texts
(``c2sp.py``, no code shared with ``accord.transparency``). A checkpoint of another root at a
size the witnesses cosigned, signed with the hub's real key, is refused by both of them.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from accord.cli.main import app as cli
from accord.config import Settings
from accord.db import make_engine, make_sessionmaker, unit_of_work, upgrade
from accord.identity.policy import SYSTEM
from accord.transparency import keys, services, witness, witnessing
from accord.transparency.note import Checkpoint, sign_checkpoint
from accord.web.app import create_app
from tests.flows.conftest import serving
from tests.transparency.c2sp import cosigners, log_signers


@dataclass
class Hub:
    """A hub with its own database, log key and witness key, served on 127.0.0.1."""

    settings: Settings
    sessions: sessionmaker[Session]
    url: str

    @property
    def log_vkey(self) -> str:
        with unit_of_work(self.sessions) as db:
            return services.log_verifier(db, settings=self.settings).encode()

    @property
    def witness_vkey(self) -> str:
        return keys.load_cosigner(self.settings).verifier.encode()

    @property
    def witness_name(self) -> str:
        return keys.load_cosigner(self.settings).verifier.name

    def publish(self, count: int) -> list[int]:
        indexes = []
        for n in range(count):
            with unit_of_work(self.sessions) as db:
                ref = services.append(
                    db,
                    settings=self.settings,
                    entry_type="registry.signature",
                    subject_id=f"org-{n}",
                    document={"n": n, "hub": self.settings.base_url},
                )
            indexes.append(ref.index)
        return indexes

    def gather(self) -> witnessing.Gathered:
        local = self.settings.model_copy(update={"outbound_allow_private_addresses": False})
        return witnessing.gather(settings=local, sessions=self.sessions)


@pytest.fixture
def hubs(tmp_path: Path) -> Iterator[list[Hub]]:
    with ExitStack() as stack:
        found = []
        for number in (1, 2, 3):
            settings = Settings(
                data_dir=tmp_path / f"hub{number}",
                base_url=f"http://hub{number}.test",
                worker_in_process=False,
                log_checkpoint_seconds=3600,  # the cadence signs only when asked here
            )
            settings.data_dir.mkdir()
            engine = make_engine(settings)
            upgrade(engine)
            stack.callback(engine.dispose)
            url = stack.enter_context(serving(create_app(settings, engine=engine)))
            found.append(Hub(settings, make_sessionmaker(engine), url))
        for hub in found:
            with unit_of_work(hub.sessions) as db:
                for other in found:
                    if other is hub:
                        continue
                    witness.add_log(db, actor=SYSTEM, verifier_key=other.log_vkey)
                    witnessing.add_witness(
                        db,
                        actor=SYSTEM,
                        url=f"{other.url}/witness",
                        verifier_key=other.witness_vkey,
                        allow_private=True,
                    )
        yield found


def _verify(hub: Hub, witnesses: list[str], state: Path) -> tuple[int, str]:
    args = ["log", "verify", "--hub", hub.url, "--key", hub.log_vkey, "--state", str(state)]
    for key in witnesses:
        args += ["--witness", key]
    result = CliRunner().invoke(cli, [*args, "--quorum", "2"])
    return result.exit_code, result.output


def test_three_hubs_witness_each_other_two_of_three(hubs: list[Hub], tmp_path: Path) -> None:
    policy = [hub.witness_vkey for hub in hubs]
    for round_, count in enumerate((3, 4)):
        for hub in hubs:
            hub.publish(count)
            with unit_of_work(hub.sessions) as db:  # the publications only appended
                assert services.pending(db) == count
            checkpoint = services.sign_pending(hub.sessions, settings=hub.settings)
            assert checkpoint is not None
            gathered = hub.gather()
            others = sorted(h.witness_name for h in hubs if h is not hub)
            assert (sorted(gathered.cosigned), gathered.failed) == (others, {})
        for hub in hubs:
            note = httpx.get(f"{hub.url}/log/checkpoint").text
            size = 3 if round_ == 0 else 7
            assert note.splitlines()[1] == str(size)
            # The independent reading: the log's own signature, and two of the three cosign.
            assert log_signers(note, [hub.log_vkey]) == [hub.log_vkey]
            assert sorted(cosigners(note, policy)) == sorted(
                h.witness_name for h in hubs if h is not hub
            )
            # The project's verifier, with the 2-of-3 policy (the second round also checks
            # consistency with the checkpoint kept from the first).
            code, output = _verify(hub, policy, tmp_path / f"{hub.settings.base_url[7:]}.json")
            assert code == 0, output
    # Each witness holds the size it cosigned of each other log.
    for hub in hubs:
        with unit_of_work(hub.sessions) as db:
            held = {log.origin: log.size for log in witness.witnessed_logs(db)}
        assert held == {
            other.settings.base_url[7:] + "/log": 7 for other in hubs if other is not hub
        }


def test_a_forged_split_view_is_refused_by_the_witnesses(hubs: list[Hub]) -> None:
    first = hubs[0]
    first.publish(5)
    signed = services.sign_pending(first.sessions, settings=first.settings)
    assert signed is not None
    assert len(first.gather().cosigned) == 2
    # The hub's own key signs another root for the size both witnesses cosigned (a restored
    # or forked database would): each witness refuses it with the size it holds.
    with unit_of_work(first.sessions) as db:
        origin = services.log_verifier(db, settings=first.settings).name
    signer = keys.load_signer(first.settings, origin)
    other_root = bytes(32)
    forged = sign_checkpoint(Checkpoint(origin, 5, other_root), signer)
    assert log_signers(forged, [first.log_vkey]) == [first.log_vkey]  # a valid signature
    for other in hubs[1:]:
        answer = httpx.post(
            f"{other.url}/witness/add-checkpoint", content=b"old 5\n\n" + forged.encode()
        )
        assert answer.status_code == 409, answer.text
        assert answer.text == "5\n"
        # And a larger forged tree claiming to extend the cosigned one has no valid proof.
        larger = sign_checkpoint(Checkpoint(origin, 6, other_root), signer)
        proof = base64.b64encode(bytes(32)).decode()
        body = f"old 5\n{proof}\n\n".encode() + larger.encode()
        answer = httpx.post(f"{other.url}/witness/add-checkpoint", content=body)
        assert answer.status_code == 422, answer.text
    # Nothing of it was cosigned: the witnesses still hold the honest checkpoint.
    for other in hubs[1:]:
        with unit_of_work(other.sessions) as db:
            (held,) = [log for log in witness.witnessed_logs(db) if log.origin == origin]
        assert held.size == 5
