"""What a writer may add to a collection, and what the answer tells it (issue 25.2 to 25.4).

The matrix runs every role of ``tests/authz.py`` against a collection owned by acme, whose
member stored three objects first (a RED observable, a RED indicator, a GREEN indicator);
Other Org may write to it as well. Each row is an envelope; each cell what the role's POST
answers: 401/403, or the one status entry of its object.

- write oracle (25.3): a status never says whether someone the writer cannot see stored the
  object first. An observable (its id derives from its value) is kept once per producer, so
  another producer's copy answers "stored", as a fresh one does; for a versioned object the
  answer to a non-creator is the same whether it may see the object or not.
- version ownership (25.4): only the organization that created an object adds versions.
- granular markings (25.2): a part marked stricter than the whole is refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
import stix2
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.db import unit_of_work
from accord.identity.models import Organization
from accord.identity.policy import SYSTEM
from accord.identity.services import get_org
from accord.sharing import ingest, services
from accord.sharing.models import StixObject
from accord.sharing.schemas import CollectionCreate, GrantSet
from accord.sharing.tlp import TLP2_MARKINGS, Tlp
from tests.authz import ROLES, World, call
from tests.factories import Factories
from tests.sharing import stixgen

OBJECTS = "/taxii2/hub/collections/{collection_id}/objects/"
# What each role's POST answers when it may not write: Other Org may, the operator belongs to
# no organization.
REFUSED = {"anonymous": 401, "operator": 403}
WRITERS = ("member", "org_admin", "other_admin")


def observable(value: str, tlp: Tlp | None = None) -> dict[str, Any]:
    """An ipv4-addr whose id stix2 derives from its value (UUIDv5), as every producer's is."""
    markings = [TLP2_MARKINGS[tlp]] if tlp else None
    return stixgen.as_dict(stix2.v21.IPv4Address(value=value, object_marking_refs=markings))


def granular(level: Tlp, part: Tlp | None) -> dict[str, Any]:
    """A CLEAR-or-``level`` indicator whose description is marked ``part``."""
    obj = {**stixgen.indicator(tlp=level), "description": "who reported it"}
    if part is not None:
        obj["granular_markings"] = [
            {"marking_ref": TLP2_MARKINGS[part], "selectors": ["description"]}
        ]
    return obj


@dataclass
class Stored:
    """The objects acme's member stored first."""

    red_address: dict[str, Any]
    red_indicator: dict[str, Any]
    green_indicator: dict[str, Any]


@pytest.fixture
def matrix(make: Factories) -> tuple[World, Stored]:
    world = World.build(make)
    stored = Stored(
        red_address=observable(f"198.51.100.{uuid.uuid4().int % 250}", Tlp.RED),
        red_indicator=stixgen.indicator(tlp=Tlp.RED),
        green_indicator=stixgen.indicator(tlp=Tlp.GREEN),
    )
    with unit_of_work(make.factory) as db:
        acme = get_org(db, world.values["slug"])
        other = db.scalars(select(Organization).where(Organization.name == "Other Org")).one()
        collection = services.create_collection(
            db,
            org=acme,
            data=CollectionCreate(title="Writers", default_tlp=Tlp.AMBER, public_read=True),
            actor=SYSTEM,
        )
        ingest.store_objects(
            db,
            collection=collection,
            objects=[stored.red_address, stored.red_indicator, stored.green_indicator],
            source=ingest.Source(producer_org_id=acme.id),
            now=utcnow(),
        )
        # Granted after: Other Org was not named when acme shared, so RED is not for it.
        grant = GrantSet(organization=other.slug, can_read=True, can_write=True)
        services.set_grant(db, collection=collection, data=grant, actor=SYSTEM)
        world.values["collection_id"] = collection.uuid
    return world, stored


def _revoked(obj: dict[str, Any]) -> dict[str, Any]:
    return {**obj, "modified": "2030-01-01T00:00:00.000Z", "revoked": True}


NOT_CREATOR = "only the organization that created this object may add versions of it"
STORED = "stored"
ALREADY = "already stored"
PART = "granular_markings: part of the object is marked TLP:RED"
# Row: (name, the envelope's one object, what acme's members get, what Other Org's admin gets).
Row = tuple[str, Callable[[Stored], dict[str, Any]], str, str]
ROWS: list[Row] = [
    # The write oracle: Other Org's admin cannot see acme's RED observable; it stores its own.
    ("oracle: observable stored by another", lambda s: s.red_address, ALREADY, STORED),
    ("oracle: fresh observable", lambda s: observable("203.0.113.9"), STORED, STORED),
    # A versioned object: the same answer, seen or not, for all it has no right to version.
    ("oracle: same version of an unseen object", lambda s: s.red_indicator, ALREADY, NOT_CREATOR),
    ("ownership: new version of an unseen object", lambda s: _revoked(s.red_indicator), STORED,
     NOT_CREATOR),
    ("ownership: new version of a seen object", lambda s: _revoked(s.green_indicator), STORED,
     NOT_CREATOR),
    ("ownership: same version of a seen object", lambda s: s.green_indicator, ALREADY,
     NOT_CREATOR),
    ("fresh object", lambda s: stixgen.indicator(), STORED, STORED),
    # Granular markings: a part stricter than the whole is refused; as strict or looser, kept.
    ("granular: RED part of a CLEAR object", lambda s: granular(Tlp.CLEAR, Tlp.RED), PART, PART),
    ("granular: RED part of an unmarked (AMBER) object", lambda s: granular(None, Tlp.RED), PART,
     PART),
    ("granular: GREEN part of a RED object", lambda s: granular(Tlp.RED, Tlp.GREEN), STORED,
     STORED),
]  # fmt: skip


def _outcome(response: Any) -> str | int:
    if response.status_code != 202:
        return int(response.status_code)
    status = response.json()
    assert status["total_count"] == 1, status
    [entry] = status["successes"] + status["failures"]
    return str(entry["message"])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_write_matrix(
    client: TestClient, matrix: tuple[World, Stored], db: Session, role: str, row: Row
) -> None:
    world, stored = matrix
    _, make_object, for_acme, for_other = row
    obj = make_object(stored)
    response = call(client, world, role, "POST", OBJECTS, page=False, body={"objects": [obj]})
    expected = REFUSED.get(role) or (for_other if role == "other_admin" else for_acme)
    outcome = _outcome(response)
    if isinstance(expected, str) and expected.startswith("granular"):
        assert isinstance(outcome, str)
        assert outcome.startswith(expected), outcome
    else:
        assert outcome == expected, response.text[:300]
    # What acme's member reads of an object it created is not changed by another writer.
    db.rollback()
    if role == "other_admin" and stored.green_indicator["id"] == obj["id"]:
        read = call(client, world, "member", "GET", OBJECTS + obj["id"] + "/", page=False)
        assert read.json()["objects"] == [stored.green_indicator]


def test_an_observable_is_kept_once_per_producer(
    client: TestClient, matrix: tuple[World, Stored], db: Session
) -> None:
    world, stored = matrix
    address = stored.red_address
    mine = {**address, "object_marking_refs": [TLP2_MARKINGS[Tlp.GREEN]]}
    posted = call(client, world, "other_admin", "POST", OBJECTS, page=False,
                  body={"objects": [mine]})  # fmt: skip
    assert _outcome(posted) == STORED
    again = call(client, world, "other_admin", "POST", OBJECTS, page=False,
                 body={"objects": [mine]})  # fmt: skip
    assert _outcome(again) == ALREADY  # its own copy: nothing to hide
    # Other Org reads back its own copy, exactly as for an address nobody stored before; acme
    # reads both copies (GREEN is visible to it), and anonymous readers neither.
    url = OBJECTS + address["id"] + "/"
    theirs = call(client, world, "other_admin", "GET", url, page=False).json()["objects"]
    assert theirs == [mine]
    acme = call(client, world, "member", "GET", url, page=False).json()["objects"]
    assert sorted(acme, key=str) == sorted([address, mine], key=str)
    assert call(client, world, "anonymous", "GET", url, page=False).status_code == 404
    rows = db.scalars(select(StixObject).where(StixObject.stix_id == address["id"])).all()
    assert [(r.is_latest, r.is_first) for r in rows] == [(True, True), (True, True)]
    # Other Org cannot see acme's RED objects at all (it was not named when they were shared).
    hidden = OBJECTS + stored.red_indicator["id"] + "/"
    assert call(client, world, "other_admin", "GET", hidden, page=False).status_code == 404
    # Deleting its copy leaves acme's alone, and still its first and latest version.
    deleted = call(client, world, "other_admin", "DELETE", url, page=False)
    assert deleted.status_code == 200, deleted.text
    db.rollback()
    rows = db.scalars(select(StixObject).where(StixObject.stix_id == address["id"])).all()
    assert [(r.producer_org_id, r.is_latest, r.is_first) for r in rows] == [
        (get_org(db, world.values["slug"]).id, True, True)
    ]
    assert call(client, world, "member", "GET", url, page=False).json()["objects"] == [address]


def test_granular_refusals_pass_the_oasis_validator() -> None:
    # The refused objects are valid STIX: the refusal is the hub's, for what it cannot enforce.
    stixgen.assert_valid_stix([granular(Tlp.CLEAR, Tlp.RED), granular(Tlp.RED, Tlp.GREEN)])


def test_entries_queued_before_granular_checks_are_checked_when_drained() -> None:
    from accord.sharing import queue

    outcomes = ingest.check_objects([granular(Tlp.CLEAR, Tlp.RED)])
    [valid] = [o for o in outcomes if not isinstance(o, dict)]
    assert valid[0].granular_tlp_refs == (TLP2_MARKINGS[Tlp.RED],)
    current = orjson.loads(queue.encode([valid]))
    older = orjson.dumps([item[:10] for item in current])  # as a release before this one wrote
    for payload in (orjson.dumps(current), older):
        [decoded] = queue.decode(payload)
        assert decoded[0].granular_tlp_refs == (TLP2_MARKINGS[Tlp.RED],)
