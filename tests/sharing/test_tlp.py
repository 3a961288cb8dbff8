"""The TLP rule: official ids, TLP 1 mapping, and the SQL filter agreeing with the policy."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from accord.db import unit_of_work
from accord.identity.models import MemberRole
from accord.identity.policy import Actor, may_see_object, object_relations
from accord.identity.services import get_org
from accord.sharing import queries
from accord.sharing.models import Audience, AudienceMember, Collection, StixObject
from accord.sharing.readers import Reader
from accord.sharing.tlp import TLP1_MARKINGS, TLP2_MARKINGS, Tlp, level_of
from accord.sharing.visibility import visible_clause
from tests.factories import Factories


def test_official_marking_ids() -> None:
    # TLP 2.0: the OASIS extension's examples; TLP 1.0: STIX 2.1, section 7.2.1.4. The stix2
    # library ships the TLP 1.0 objects, so those ids are checked against it.
    import stix2

    assert TLP2_MARKINGS[Tlp.CLEAR] == "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
    assert TLP2_MARKINGS[Tlp.RED] == "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
    assert TLP1_MARKINGS[stix2.v21.TLP_WHITE.id] is Tlp.CLEAR
    assert TLP1_MARKINGS[stix2.v21.TLP_GREEN.id] is Tlp.GREEN
    assert TLP1_MARKINGS[stix2.v21.TLP_AMBER.id] is Tlp.AMBER
    assert TLP1_MARKINGS[stix2.v21.TLP_RED.id] is Tlp.RED


def test_level_of_markings() -> None:
    statement = "marking-definition--0b1e1f0f-7d4b-4a0b-9a4c-7d2f3b1c8e11"
    assert level_of([], default=Tlp.AMBER) is Tlp.AMBER
    assert level_of([statement], default=Tlp.GREEN) is Tlp.GREEN
    assert (
        level_of([TLP2_MARKINGS[Tlp.GREEN], TLP2_MARKINGS[Tlp.RED]], default=Tlp.CLEAR) is Tlp.RED
    )
    tlp1_amber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
    assert level_of([tlp1_amber], default=Tlp.CLEAR) is Tlp.AMBER


def test_sql_filter_agrees_with_the_policy(
    make: Factories, session_factory: sessionmaker[Session], db: Session
) -> None:
    """Every level x every combination of facts a reader can have about an object."""
    slugs = [make.org(f"Org {i}") for i in range(3)]
    with unit_of_work(session_factory) as session:
        org_ids = [get_org(session, s).id for s in slugs]
        collection = Collection(
            uuid="c", title="t", owner_org_id=org_ids[0], default_tlp="amber", public_read=True
        )
        named_org = Audience(digest="org")
        named_group = Audience(digest="group")
        session.add_all([collection, named_org, named_group])
        session.flush()
        session.add(AudienceMember(audience_id=named_org.id, organization_id=org_ids[1]))
        session.add(AudienceMember(audience_id=named_group.id, organization_id=org_ids[2]))
        now = datetime(2024, 1, 1, tzinfo=UTC)
        rows = []
        for n, (level, producer, audience) in enumerate(
            itertools.product(Tlp, [None, org_ids[0]], [None, named_org.id, named_group.id])
        ):
            rows.append(
                StixObject(
                    collection_id=collection.id,
                    stix_id=f"x--{n}",
                    stix_type="x",
                    spec_version="2.1",
                    version=now,
                    date_added=now,
                    is_latest=True,
                    is_first=True,
                    tlp=level.value,
                    producer_org_id=producer,
                    audience_id=audience,
                    body=json.dumps({"id": f"x--{n}"}),
                )
            )
        session.add_all(rows)
    readers = [
        ("anonymous", frozenset(), frozenset(), frozenset()),
        ("community", frozenset({org_ids[2]}), frozenset(), frozenset()),
        ("producer", frozenset({org_ids[0]}), frozenset(), frozenset()),
        ("named org", frozenset({org_ids[1]}), frozenset({named_org.id}), frozenset()),
        ("group", frozenset({org_ids[2]}), frozenset(), frozenset({named_group.id})),
    ]
    objects = db.scalars(select(StixObject)).all()
    for name, orgs, org_audiences, group_audiences in readers:
        actor = Actor(user_id=1 if orgs else None, roles=dict.fromkeys(orgs, MemberRole.MEMBER))
        reader = Reader(
            actor=actor, org_ids=orgs, group_ids=frozenset(), org_audiences=org_audiences,
            group_audiences=group_audiences, peer_remote_ids=frozenset(),
        )  # fmt: skip
        in_sql = set(db.scalars(select(StixObject.stix_id).where(visible_clause(reader))))
        by_policy = set()
        for row in objects:
            named = frozenset({org_ids[1]}) if row.audience_id == named_org.id else frozenset()
            grouped = frozenset({7}) if row.audience_id == named_group.id else frozenset()
            relations = object_relations(
                actor,
                producer_org_id=row.producer_org_id,
                recipient_org_ids=named,
                recipient_group_ids=grouped,
                actor_group_ids=frozenset({7}) if group_audiences else frozenset(),
            )
            if may_see_object(Tlp(row.tlp), relations):
                by_policy.add(row.stix_id)
        assert in_sql == by_policy, name
        # The TAXII read path runs the same rule on the driver's cursor (accord.sharing.prepared).
        request = queries.PageRequest(
            collection_id=collection.id, reader=reader, filters=queries.Filters(limit=1000),
            key=b"k" * 32, now=now,
        )  # fmt: skip
        served = {json.loads(body)["id"] for body in queries.page(db, request).bodies}
        assert served == by_policy, name
    with unit_of_work(session_factory) as session:
        session.execute(delete(StixObject))


@pytest.mark.parametrize("level", list(Tlp))
def test_amber_strict_is_the_producer_alone(level: Tlp) -> None:
    from accord.sharing.tlp import Relation, visible

    everyone_but_producer = set(Relation) - {Relation.PRODUCER}
    assert visible(level, {Relation.PRODUCER})
    assert visible(level, everyone_but_producer) == (level is not Tlp.AMBER_STRICT)
