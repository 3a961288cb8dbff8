"""A world restored from its kept rows is the world a build leaves (tests/snapshots.py)."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select

from accord.db import Base, unit_of_work
from accord.identity.models import User
from accord.registry import services as registry
from tests import emptying, snapshots
from tests.authz import World
from tests.factories import Factories


def _held(engine: Engine) -> snapshots.Contents:
    with engine.connect() as conn:
        return snapshots.contents(conn)


def _emptied(engine: Engine) -> None:
    with engine.begin() as conn:
        emptying.empty(conn)


def test_restored_rows_are_the_built_ones_and_ids_go_on_from_them(
    client: TestClient, make: Factories, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    restores: list[object] = []
    restore = snapshots._restore
    monkeypatch.setattr(snapshots, "_restore", lambda *a: restores.append(restore(*a)))
    key = f"tests.test_snapshots {uuid.uuid4()}"  # kept afresh by this test

    def own(kept: World) -> World:
        return replace(kept, people=dict(kept.people), tokens=dict(kept.tokens), make=make)

    def build() -> World:
        return World._build(make)

    before = _held(engine)  # the hub's first text, seeded by the client's lifespan
    snapshots.kept(make.factory, key, build, own)
    built = _held(engine)
    make.user("late")
    with engine.connect() as conn:
        late_after_build = conn.scalar(select(User.id).where(User.username == "late"))
    _emptied(engine)
    with unit_of_work(make.factory) as db:
        registry.current_version(db)  # what the first build found, seeded as a lifespan does
    world = snapshots.kept(make.factory, key, build, own)
    assert len(restores) == 1
    again = _held(engine)
    world_tables = set(built.rows) - set(before.rows)
    assert world_tables >= {"organizations", "users", "memberships", "api_tokens"}
    assert {n: again.rows[n] for n in world_tables} == {n: built.rows[n] for n in world_tables}
    assert set(again.rows) == set(built.rows)
    assert again.counters == built.counters
    # The next row gets the id it would have after a build; the tokens restored sign in.
    make.user("late")
    with engine.connect() as conn:
        assert conn.scalar(select(User.id).where(User.username == "late")) == late_after_build
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {world.tokens['member']}"})
    assert me.status_code == 200
    assert me.json()["username"] == "member"


def test_a_world_built_on_other_rows_is_built_again(make: Factories, engine: Engine) -> None:
    key = f"tests.test_snapshots {uuid.uuid4()}"
    calls: list[int] = []

    def build() -> str:
        calls.append(1)
        return make.org()

    first = snapshots.kept(make.factory, key, build, str)
    # The database now holds the first organization: the kept rows no longer fit.
    second = snapshots.kept(make.factory, key, build, str)
    assert len(calls) == 2
    assert first != second


def test_a_world_is_restored_whichever_shards_the_versions_were_bumped_in(
    make: Factories, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL a change bumps a version's shard picked by its connection: the shards
    present differ from test to test, and must not stop a kept world being restored."""
    restores: list[object] = []
    restore = snapshots._restore
    monkeypatch.setattr(snapshots, "_restore", lambda *a: restores.append(restore(*a)))
    key = f"tests.test_snapshots {uuid.uuid4()}"
    first = snapshots.kept(make.factory, key, make.org, str)
    _emptied(engine)
    versions = ("access_versions", "advisory_query_versions")
    assert set(versions) <= snapshots._bumped()
    with engine.begin() as conn:
        for name in versions:
            conn.execute(insert(Base.metadata.tables[name]).values(shard=7, version=1))
    again = snapshots.kept(make.factory, key, make.org, str)
    assert len(restores) == 1
    assert again == first
