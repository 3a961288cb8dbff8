"""Property: whatever the sequence of publications, signings, rollbacks and restarts, no two
signed checkpoints ever have one size and different roots, and each extends the one before."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from accord.config import Settings
from accord.db import make_engine, make_sessionmaker, unit_of_work
from accord.transparency import audit, merkle, services
from accord.transparency.models import LogCheckpoint
from accord.transparency.note import open_checkpoint
from tests.transparency.test_properties import _empty

Step = tuple[str, int]
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("publish"), st.integers(1, 40)),
        st.tuples(st.just("bulk"), st.integers(1, 300)),
        st.tuples(st.just("rollback"), st.integers(1, 5)),
        st.tuples(st.just("sign"), st.just(0)),
        st.tuples(st.just("restart"), st.just(0)),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_no_two_signed_checkpoints_of_one_size_differ(
    steps: list[Step], own_log: Settings, engine: Engine
) -> None:
    _empty(engine, own_log.data_dir)
    hub = own_log.model_copy(update={"log_checkpoint_seconds": 3600.0})
    current = make_engine(hub)
    sessions = make_sessionmaker(current)
    seen: dict[int, bytes] = {}
    n = 0

    def record() -> None:
        with unit_of_work(sessions) as db:
            verifier = services.log_verifier(db, settings=hub)
            rows = list(db.scalars(select(LogCheckpoint).order_by(LogCheckpoint.size)))
        for row in rows:
            signed = open_checkpoint(row.note, verifier)
            assert seen.setdefault(signed.size, signed.root_hash) == signed.root_hash
        for before, after in itertools.pairwise(rows):
            if before.size == 0:
                continue  # the empty tree: nothing to prove
            with unit_of_work(sessions) as db:
                proof = services.prove_consistency(db, first=before.size, second=after.size)
            merkle.verify_consistency(
                before.size, after.size, proof.hashes, before.root_hash, after.root_hash
            )

    for kind, count in steps:
        if kind == "publish":
            for _ in range(count):
                with unit_of_work(sessions) as db:
                    services.append(
                        db, settings=hub, entry_type="t", subject_id="s", document={"n": n}
                    )
                n += 1
        elif kind == "bulk":
            with unit_of_work(sessions) as db:
                services.append_entries(
                    db, settings=hub, entries=[f"e{n}-{k}".encode() for k in range(count)]
                )
            n += 1
        elif kind == "rollback":
            try:
                with unit_of_work(sessions) as db:
                    for _ in range(count):
                        services.append(
                            db, settings=hub, entry_type="t", subject_id="s", document={"x": n}
                        )
                    services.sign_latest(db, settings=hub)
                    raise RuntimeError("the publishing request failed")
            except RuntimeError:
                pass
        elif kind == "sign":
            with unit_of_work(sessions) as db:
                services.sign_latest(db, settings=hub)
        else:
            current.dispose()
            current = make_engine(hub)
            sessions = make_sessionmaker(current)
        record()
    with unit_of_work(sessions) as db:
        services.sign_latest(db, settings=hub)
    record()
    with unit_of_work(sessions) as db:
        report = audit.audit(db, settings=hub)
        assert services.pending(db) == 0
        assert seen[report.size] == report.root_hash
    current.dispose()
