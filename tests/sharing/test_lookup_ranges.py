"""The stored ranges a process keeps for look-ups (``sharing.lookup_ranges``): a range
stored after the set was read, by another process or in the look-up's own transaction, is
still found; only stored ranges are sought."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.config import Settings
from accord.db import make_engine, make_sessionmaker, unit_of_work
from accord.identity.policy import ANONYMOUS
from accord.sharing import indicators, ingest, lookup, lookup_ranges, lookup_targets
from accord.sharing.models import Collection
from accord.sharing.readers import reader_for
from accord.sharing.tlp import Tlp
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld
from tests.sharing.test_lookup import _post


@pytest.fixture(autouse=True)
def _nothing_kept() -> Any:
    lookup_ranges.clear()
    yield
    lookup_ranges.clear()


def _store(engine: Engine, collection: str, *objects: dict[str, Any]) -> None:
    with unit_of_work(make_sessionmaker(engine)) as db:
        _store_in(db, collection, *objects)


def _store_in(db: Session, collection: str, *objects: dict[str, Any]) -> None:
    row = db.scalars(select(Collection).where(Collection.uuid == collection)).one()
    report = ingest.store_objects(
        db,
        collection=row,
        objects=list(objects),
        source=ingest.Source(producer_org_id=row.owner_org_id),
        now=utcnow(),
    )
    assert not report.failures


def _vias(client: TestClient, world: SharingWorld, value: str) -> list[str | None]:
    response = client.post(
        "/api/v1/sharing/lookup", json={"values": [value]}, headers=world.bearer("producer")
    )
    assert response.status_code == 200, response.text
    return [hit["via"] for hit in response.json()[0]["indicators"]]


@pytest.mark.parametrize("reread_seconds", [0.0, 3600.0])
def test_a_range_stored_by_another_process_after_the_set_was_kept_is_found(
    client: TestClient,
    world: SharingWorld,
    settings: Settings,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    reread_seconds: float,
) -> None:
    # 0: the stale set is read again at once; 3600: it is not (the look-up seeks every
    # prefix length stored). Either way the new range is found, never hidden by the old set.
    monkeypatch.setattr(lookup_ranges, "REREAD_SECONDS", reread_seconds)
    _post(client, world, stixgen.indicator("203.0.113.0/24", kind="ipv4", tlp=Tlp.GREEN))
    assert _vias(client, world, "203.0.113.9") == ["203.0.113.0/24"]
    kept = lookup_ranges._kept_for(engine).ranges
    assert kept is not None
    assert kept.pairs == {("ipv4-net", "203.0.113.0/24")}
    # Another process (its own engine and connections) stores a range at the same length
    # and one at a new length; this process is told nothing.
    other = make_engine(settings)
    try:
        _store(
            other,
            world.collection,
            stixgen.indicator("198.51.100.0/24", kind="ipv4", tlp=Tlp.GREEN),
            stixgen.indicator("10.0.0.0/8", kind="ipv4", tlp=Tlp.GREEN),
        )
    finally:
        other.dispose()
    assert _vias(client, world, "198.51.100.7") == ["198.51.100.0/24"]
    assert _vias(client, world, "10.1.2.3") == ["10.0.0.0/8"]
    assert _vias(client, world, "http://10.9.9.9/x") == ["10.0.0.0/8"]
    assert _vias(client, world, "203.0.113.9") == ["203.0.113.0/24"]
    kept = lookup_ranges._kept_for(engine).ranges
    assert kept is not None
    reread = {("ipv4-net", "198.51.100.0/24"), ("ipv4-net", "10.0.0.0/8")} <= (kept.pairs or set())
    assert reread == (reread_seconds == 0.0)


@pytest.mark.parametrize("reread_seconds", [0.0, 3600.0])
def test_a_range_stored_in_the_look_ups_own_transaction_is_found(
    client: TestClient,
    world: SharingWorld,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    reread_seconds: float,
) -> None:
    monkeypatch.setattr(lookup_ranges, "REREAD_SECONDS", reread_seconds)
    _post(client, world, stixgen.indicator("203.0.113.0/24", kind="ipv4", tlp=Tlp.CLEAR))
    assert _vias(client, world, "203.0.113.9") == ["203.0.113.0/24"]  # the set is kept
    factory = make_sessionmaker(engine)
    with factory() as db:
        clear = stixgen.indicator("192.0.2.0/24", kind="ipv4", tlp=Tlp.CLEAR)
        _store_in(db, world.collection, clear)
        db.flush()
        reader = reader_for(db, ANONYMOUS)
        found = indicators.answer(db, reader=reader, values=["192.0.2.1", "203.0.113.9"])
        assert [[hit["via"] for hit in result["indicators"]] for result in found] == [
            ["192.0.2.0/24"],
            ["203.0.113.0/24"],
        ]
        db.rollback()
    # The set is read from committed rows only: it never held the range rolled back.
    kept = lookup_ranges._kept_for(engine).ranges
    assert kept is not None
    assert ("ipv4-net", "192.0.2.0/24") not in (kept.pairs or set())
    assert _vias(client, world, "192.0.2.1") == []
    # A commit elsewhere takes the version where the rolled-back transaction had it: a set
    # read in that transaction would now pass for this version and hide the new range.
    _store(engine, world.collection, stixgen.indicator("198.51.100.0/24", kind="ipv4"))
    assert _vias(client, world, "198.51.100.7") == ["198.51.100.0/24"]


def test_only_stored_ranges_are_sought() -> None:
    asked = [("ipv4", "10.1.2.3"), ("ipv4", "192.0.2.7"), ("url", "http://10.1.9.9/a"),
             ("ipv6", "2001:db8::1"), ("domain", "evil.example")]  # fmt: skip
    lengths = {"ipv4-net": [8, 16, 24, 20], "ipv6-net": [32, 64]}
    _, hosts = lookup.classify_all(["http://10.1.9.9/a"])
    stored = frozenset({("ipv4-net", "10.0.0.0/8"), ("ipv6-net", "2001:db8::/32")})
    every = lookup_targets.targets(asked, lengths, hosts)
    only = lookup_targets.targets(asked, lengths, hosts, stored)
    ranges = {"ipv4-net", "ipv6-net"}
    assert only == {k: v for k, v in every.items() if k[0] not in ranges or k in stored}
    assert {k for k in only if k[0] in ranges} == stored
    assert only[("ipv4-net", "10.0.0.0/8")] == [
        (("ipv4", "10.1.2.3"), "10.0.0.0/8"),
        (("url", "http://10.1.9.9/a"), "10.0.0.0/8"),
    ]


def test_a_look_up_on_postgresql_runs_with_its_planner_settings(
    client: TestClient, world: SharingWorld, engine: Engine
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner setting")
    _post(client, world, stixgen.indicator("203.0.113.0/24", kind="ipv4", tlp=Tlp.CLEAR))
    with make_sessionmaker(engine, read_only=True)() as db:
        found = indicators.answer(db, reader=reader_for(db, ANONYMOUS), values=["203.0.113.9"])
        assert [hit["via"] for hit in found[0]["indicators"]] == ["203.0.113.0/24"]
        assert db.execute(text("SHOW max_parallel_workers_per_gather")).scalar() == "0"
        assert db.execute(text("SHOW random_page_cost")).scalar() == "1.1"
        db.rollback()
        # Only for the look-up's transaction.
        assert db.execute(text("SHOW max_parallel_workers_per_gather")).scalar() != "0"
        assert db.execute(text("SHOW random_page_cost")).scalar() != "1.1"


def test_past_the_most_ranges_kept_every_stored_length_is_sought(
    client: TestClient, world: SharingWorld, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Past MAX_RANGES the rows are not read whole, so the set they would make (and the
    # lengths read off it) would miss ranges: none is kept, the lengths come from the index.
    monkeypatch.setattr(lookup_ranges, "MAX_RANGES", 1)
    monkeypatch.setattr(lookup_ranges, "REREAD_SECONDS", 0.0)
    _post(client, world, stixgen.indicator("203.0.113.0/24", kind="ipv4", tlp=Tlp.GREEN))
    _post(client, world, stixgen.indicator("10.0.0.0/8", kind="ipv4", tlp=Tlp.GREEN))
    assert _vias(client, world, "203.0.113.9") == ["203.0.113.0/24"]
    assert _vias(client, world, "10.1.2.3") == ["10.0.0.0/8"]
    kept = lookup_ranges._kept_for(engine)
    assert kept.ranges is None
    assert kept.too_many
    # Counted again only after REREAD_TOO_MANY_SECONDS: a third range is still found.
    _post(client, world, stixgen.indicator("198.51.0.0/16", kind="ipv4", tlp=Tlp.GREEN))
    assert _vias(client, world, "198.51.7.7") == ["198.51.0.0/16"]


def test_a_look_up_does_not_wait_for_another_reading_the_set(
    client: TestClient, world: SharingWorld, engine: Engine
) -> None:
    _post(client, world, stixgen.indicator("203.0.113.0/24", kind="ipv4", tlp=Tlp.GREEN))
    kept = lookup_ranges._kept_for(engine)
    # Another look-up is reading the set (it holds the lock): this one seeks every prefix
    # length stored at once instead of waiting (a lock it waited on would hang this test).
    with kept.lock:
        assert _vias(client, world, "203.0.113.9") == ["203.0.113.0/24"]
        assert kept.ranges is None
    assert _vias(client, world, "203.0.113.9") == ["203.0.113.0/24"]
    assert kept.ranges is not None


def test_each_database_has_its_own_kept_set(
    client: TestClient, world: SharingWorld, engine: Engine, settings: Settings
) -> None:
    _post(client, world, stixgen.indicator("203.0.113.0/24", kind="ipv4", tlp=Tlp.GREEN))
    assert _vias(client, world, "203.0.113.9") == ["203.0.113.0/24"]
    other = make_engine(Settings(data_dir=settings.data_dir / "elsewhere"))
    try:
        assert other.url != engine.url
        assert lookup_ranges._kept_for(other).ranges is None
        assert lookup_ranges._kept_for(engine).ranges is not None
    finally:
        other.dispose()
