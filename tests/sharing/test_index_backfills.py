"""Indexes filled for the rows stored before them: address ranges (sharing_0010), what objects
point at (sharing_0011)."""

from __future__ import annotations

import uuid

from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from accord.db import alembic_config, unit_of_work
from accord.sharing.models import ObjectRef, Observable, ObservablePrefix
from tests.factories import sign_in
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld
from tests.sharing.test_attack import post_all
from tests.sharing.test_feeds import _lookup, _share, indicator


def test_a_range_stored_before_the_index_is_found_after_the_migration(
    client: TestClient,
    world: SharingWorld,
    engine: Engine,
    session_factory: sessionmaker[Session],
    db: Session,
) -> None:
    _share(
        client,
        world,
        indicator("[ipv4-addr:value = '198.51.100.0/24']", name="old net"),
        indicator("[ipv6-addr:value ISSUBSET '2001:db8:77::/48']", name="old v6 net"),
        indicator("[ipv4-addr:value = '198.51.100.9']", name="old host"),
    )
    # As a release before sharing_0009 stored them: the addresses indexed, not the ranges.
    with unit_of_work(session_factory) as session:
        session.execute(delete(Observable).where(Observable.kind.in_(["ipv4-net", "ipv6-net"])))
        session.execute(delete(ObservablePrefix))
    before = _lookup(client, world, "198.51.100.9", "2001:db8:77::1")
    assert [[i["name"] for i in r["indicators"]] for r in before] == [["old host"], []]

    config = alembic_config(engine)
    command.downgrade(config, "sharing_0009")
    command.upgrade(config, "heads")

    db.rollback()
    prefixes = {
        (k, n) for k, n in db.execute(select(ObservablePrefix.kind, ObservablePrefix.length))
    }
    assert prefixes == {("ipv4-net", 24), ("ipv6-net", 48)}
    inside, v6 = _lookup(client, world, "198.51.100.9", "2001:db8:77::1")
    assert {(i["name"], i["via"]) for i in inside["indicators"]} == {
        ("old host", None),
        ("old net", "198.51.100.0/24"),
    }
    assert [(i["name"], i["via"]) for i in v6["indicators"]] == [("old v6 net", "2001:db8:77::/48")]
    # Run again (a second upgrade over the same rows), nothing is indexed twice.
    command.downgrade(config, "sharing_0009")
    command.upgrade(config, "heads")
    db.rollback()
    ranges = db.scalars(select(Observable.value).where(Observable.kind.like("%-net"))).all()
    assert sorted(ranges) == ["198.51.100.0/24", "2001:db8:77::/48"]


def test_relationships_and_techniques_stored_before_their_index_are_found_after_it(
    client: TestClient, world: SharingWorld, engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    technique = {
        "type": "attack-pattern", "spec_version": "2.1", "id": f"attack-pattern--{uuid.uuid4()}",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": "Autorun Image",
        "external_references": [{"source_name": "mitre-attack", "external_id": "T0800"}],
    }  # fmt: skip
    loader = stixgen.indicator(name="Loader hash")
    loader["external_references"] = [{"source_name": "mitre-attack", "external_id": "T0800"}]
    link = {
        "type": "relationship", "spec_version": "2.1", "id": f"relationship--{uuid.uuid4()}",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "relationship_type": "indicates", "source_ref": loader["id"],
        "target_ref": technique["id"],
    }  # fmt: skip
    post_all(client, world, [technique, loader, link])
    with unit_of_work(session_factory) as session:  # as a release before sharing_0011 stored them
        session.execute(delete(ObjectRef))
    sign_in(client, world.people["recipient"])
    loader_page = f"/sharing/collections/{world.collection}/objects/{loader['id']}"
    technique_link = f'/sharing/collections/{world.collection}/objects/{technique["id"]}"'
    loader_link = f'/objects/{loader["id"]}"'
    before = client.get(loader_page).text
    assert technique_link not in before
    technique_page = client.get(
        f"/sharing/collections/{world.collection}/objects/{technique['id']}"
    )
    assert loader_link not in technique_page.text

    config = alembic_config(engine)
    command.downgrade(config, "sharing_0010")
    command.upgrade(config, "heads")

    assert technique_link in client.get(loader_page).text
    technique_page = client.get(
        f"/sharing/collections/{world.collection}/objects/{technique['id']}"
    )
    assert loader_link in technique_page.text
