"""A hub with a collection, its producer, named recipients, the community and outsiders.

Readers (the TLP matrix's kinds): ``producer`` (member of the owning organization),
``recipient`` (member of an organization granted read by name), ``group_member`` (member of an
organization in a sharing group granted read), ``community`` (member of another organization,
not named), ``outsider`` (an account without organization) and ``anonymous``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from accord.db import unit_of_work
from accord.identity.models import TokenScope
from accord.identity.policy import SYSTEM
from accord.identity.services import get_org
from accord.sharing import groups, services
from accord.sharing.schemas import CollectionCreate, GrantSet, GroupCreate
from accord.sharing.tlp import Tlp
from tests.factories import Factories, Person
from tests.flows.conftest import live_hub  # noqa: F401 (the live server fixture, shared)

READERS = ("producer", "recipient", "group_member", "community", "outsider", "anonymous")


@dataclass
class SharingWorld:
    """Organizations, one user and one token per kind of reader, and a public collection."""

    people: dict[str, Person]
    tokens: dict[str, str]
    collection: str
    slugs: dict[str, str] = field(default_factory=dict)

    def bearer(self, reader: str) -> dict[str, str]:
        """Headers authenticating as ``reader`` (none for anonymous)."""
        if reader == "anonymous":
            return {}
        return {"Authorization": f"Bearer {self.tokens[reader]}"}


def make_collection(
    factory: sessionmaker[Session],
    owner: str,
    *,
    title: str = "Intel",
    default_tlp: Tlp = Tlp.AMBER,
    public: bool = True,
    readers: tuple[str, ...] = (),
    group_members: tuple[str, ...] = (),
    writers: tuple[str, ...] = (),
) -> str:
    """A collection owned by ``owner`` with read grants by name and through a sharing group."""
    with unit_of_work(factory) as db:
        org = get_org(db, owner)
        collection = services.create_collection(
            db,
            org=org,
            data=CollectionCreate(title=title, default_tlp=default_tlp, public_read=public),
            actor=SYSTEM,
        )
        for slug in readers:
            data = GrantSet(organization=slug, can_read=True)
            services.set_grant(db, collection=collection, data=data, actor=SYSTEM)
        for slug in writers:
            data = GrantSet(organization=slug, can_read=True, can_write=True)
            services.set_grant(db, collection=collection, data=data, actor=SYSTEM)
        if group_members:
            group = groups.create_group(
                db,
                org=get_org(db, group_members[0]),
                data=GroupCreate(name=f"{title} group", members=list(group_members[1:])),
                actor=SYSTEM,
            )
            services.set_grant(
                db, collection=collection, data=GrantSet(group=group.uuid), actor=SYSTEM
            )
        return collection.uuid


@pytest.fixture
def world(make: Factories, session_factory: sessionmaker[Session]) -> SharingWorld:
    slugs = {
        "producer": make.org("Producer Org"),
        "recipient": make.org("Recipient Org"),
        "group_member": make.org("Group Org"),
        "community": make.org("Community Org"),
    }
    people = {reader: make.user(reader.replace("_", "")) for reader in READERS[:-1]}
    for reader, slug in slugs.items():
        make.member(people[reader], slug)
    tokens = {
        reader: make.token(person, TokenScope.WRITE if reader == "producer" else TokenScope.READ)
        for reader, person in people.items()
    }
    collection = make_collection(
        session_factory,
        slugs["producer"],
        readers=(slugs["recipient"],),
        group_members=(slugs["group_member"],),
    )
    return SharingWorld(people=people, tokens=tokens, collection=collection, slugs=slugs)


# The queue's tests: envelopes queued from three objects, drained by the tests themselves.
@pytest.fixture
def queued(app: FastAPI) -> Iterator[FastAPI]:
    """The app queueing every envelope of three objects or more."""
    saved = app.state.settings
    app.state.settings = saved.model_copy(update={"taxii_queue_from_objects": 3})
    yield app
    app.state.settings = saved


@pytest.fixture
def bare(queued: FastAPI) -> TestClient:
    """A client of the app without its lifespan: no drainer runs; the tests drain."""
    return TestClient(queued, base_url="http://testserver")
