"""What the authorization matrix needs for the sharing routes: a public collection owned by
the organization under test, a CLEAR object its member shared, a sharing group, a status."""

from __future__ import annotations

import uuid
from typing import Any

from accord.clock import utcnow
from accord.db import unit_of_work
from accord.identity.policy import SYSTEM
from accord.identity.services import get_org, get_user
from accord.sharing import groups, ingest, services
from accord.sharing.models import PushTarget, Remote, TaxiiStatus
from accord.sharing.schemas import CollectionCreate, GroupCreate
from accord.sharing.tlp import Tlp
from tests.authz import World
from tests.factories import Factories
from tests.sharing import stixgen

PLACEHOLDERS = (
    "{collection_id}", "{object_id}", "{group_id}", "{status_id}", "{feed}", "{target}",
    "{remote}",
)  # fmt: skip


def prepare(make: Factories, world: World) -> None:
    """Add the sharing values to ``world`` (collection, object, group and status ids)."""
    obj = stixgen.indicator(tlp=Tlp.CLEAR)
    with unit_of_work(make.factory) as db:
        org = get_org(db, world.values["slug"])
        collection = services.create_collection(
            db,
            org=org,
            data=CollectionCreate(title="Matrix", default_tlp=Tlp.AMBER, public_read=True),
            actor=SYSTEM,
        )
        source = ingest.Source(producer_org_id=org.id)
        ingest.store_objects(db, collection=collection, objects=[obj], source=source, now=utcnow())
        group = groups.create_group(
            db, org=org, data=GroupCreate(name="Matrix group"), actor=SYSTEM
        )
        status = TaxiiStatus(
            uuid=str(uuid.uuid4()), user_id=get_user(db, "member").id,
            collection_id=collection.id, total_count=0, success_count=0, failure_count=0,
            details={},
        )  # fmt: skip
        db.add(status)
        # A push target at an address the hub refuses: nothing leaves the test.
        target = PushTarget(
            name=f"matrix-{uuid.uuid4().hex[:8]}", api_root="https://127.0.0.1:9/taxii2/",
            remote_collection="c1", collection_id=collection.id, organization_id=org.id,
            max_tlp="green", pushed=0,
        )  # fmt: skip
        db.add(target)
        # A remote at an address the hub refuses: listing its collections asks nobody.
        remote = Remote(
            name=f"matrix-{uuid.uuid4().hex[:8]}", api_root="https://127.0.0.1:9/taxii2/",
            remote_collection="c1", collection_id=collection.id, organization_id=org.id,
        )  # fmt: skip
        db.add(remote)
        world.values.update(
            collection_id=collection.uuid,
            object_id=obj["id"],
            group_id=group.uuid,
            status_id=status.uuid,
            feed="ip.txt",
            target=target.name,
            remote=remote.name,
        )


def envelope() -> dict[str, Any]:
    """A fresh envelope of one indicator."""
    return stixgen.envelope(stixgen.indicator())


def group_export() -> dict[str, Any]:
    """A sharing group as another hub would export it."""
    return {
        "id": str(uuid.uuid4()),
        "name": "Imported group",
        "owner": "elsewhere",
        "members": [{"slug": "acme", "name": "Acme"}],
    }
