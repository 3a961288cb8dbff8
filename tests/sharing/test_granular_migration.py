"""Migration sharing_0007: objects stored with a stricter granular TLP part take its level."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from accord.clock import utcnow
from accord.db import alembic_config, unit_of_work
from accord.identity.policy import SYSTEM
from accord.identity.services import get_org
from accord.sharing import services
from accord.sharing.models import StixObject
from accord.sharing.schemas import CollectionCreate
from accord.sharing.tlp import TLP2_MARKINGS, Tlp
from tests.factories import Factories
from tests.sharing import stixgen


def _row(collection_id: int, obj: dict[str, object], tlp: Tlp) -> StixObject:
    import orjson

    now = utcnow()
    return StixObject(
        collection_id=collection_id, stix_id=obj["id"], stix_type="indicator",
        spec_version="2.1", version=now, date_added=now, is_latest=True, is_first=True,
        revoked=False, tlp=tlp.value, body=orjson.dumps(obj).decode(),
    )  # fmt: skip


def test_stored_granular_parts_hide_the_whole_object(
    engine: Engine, session_factory: sessionmaker[Session], make: Factories
) -> None:
    part = {"marking_ref": TLP2_MARKINGS[Tlp.RED], "selectors": ["description"]}
    stricter = {**stixgen.indicator(tlp=Tlp.CLEAR), "granular_markings": [part]}
    looser = {
        **stixgen.indicator(tlp=Tlp.RED),
        "granular_markings": [{**part, "marking_ref": TLP2_MARKINGS[Tlp.GREEN]}],
    }
    lang_only = {
        **stixgen.indicator(),
        "granular_markings": [{"lang": "en", "selectors": ["name"]}],
    }
    slug = make.org("Granular Org")
    with unit_of_work(session_factory) as db:
        collection = services.create_collection(
            db, org=get_org(db, slug), data=CollectionCreate(title="Old"), actor=SYSTEM
        )
        # As a release before sharing_0007 stored them.
        db.add_all([_row(collection.id, stricter, Tlp.CLEAR), _row(collection.id, looser, Tlp.RED),
                    _row(collection.id, lang_only, Tlp.GREEN)])  # fmt: skip
    config = alembic_config(engine)
    command.downgrade(config, "sharing_0006")
    command.upgrade(config, "heads")
    with session_factory() as db:
        levels = {r[0]: r[1] for r in db.execute(select(StixObject.stix_id, StixObject.tlp))}
    assert levels == {stricter["id"]: "red", looser["id"]: "red", lang_only["id"]: "green"}
