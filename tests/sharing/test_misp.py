"""MISP events in and out: PyMISP's own example events keep every attribute, object, tag and
sighting through import and export, the export loads with PyMISP, and bad events are refused
whole with each problem named."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from pymisp import MISPEvent
from sqlalchemy import func, select, true
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from accord.cli.main import _one_line
from accord.cli.main import app as cli
from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.sharing import misp, misp_export, services
from accord.sharing.models import StixObject
from accord.sharing.tlp import Tlp
from tests.sharing.conftest import SharingWorld

EVENT_UUID = "5a3c2fcd-8328-42bb-a95e-4f4402de0b81"  # existing_event.json
DATA = Path(__file__).parent.parent / "data" / "pymisp-events"
EVENTS = [
    "existing_event.json",
    "existing_event_edited.json",
    "shadow.json",
    "event_tags.json",
    "event_obj_attr_tag.json",
]


def load(name: str) -> dict[str, Any]:
    return dict(json.loads((DATA / name).read_text()))


def _attr_key(a: dict[str, Any]) -> tuple[Any, ...]:
    return (
        a.get("uuid"),
        a["type"],
        a["value"],
        a.get("category"),
        a.get("to_ids"),
        a.get("comment"),
        a.get("object_relation"),
        sorted(t["name"] for t in a.get("Tag") or []),
        len(a.get("Sighting") or []),
    )


def summary(event: dict[str, Any]) -> dict[str, Any]:
    """What must survive: each attribute, each object with its attributes, tags, sightings."""
    return {
        "info": event.get("info"),
        "uuid": event.get("uuid"),
        "tags": sorted(t["name"] for t in event.get("Tag") or []),
        "attributes": sorted(map(_attr_key, event.get("Attribute") or []), key=repr),
        "objects": sorted(
            (
                (
                    o.get("uuid"),
                    o["name"],
                    sorted(map(_attr_key, o.get("Attribute") or []), key=repr),
                    sorted(
                        (r.get("referenced_uuid"), r.get("relationship_type"))
                        for r in o.get("ObjectReference") or []
                    ),
                )
                for o in event.get("Object") or []
            ),
            key=repr,
        ),
        "galaxies": len(event.get("Galaxy") or []),
    }


def _import(factory: sessionmaker[Session], collection: str, document: Any) -> misp.Imported:
    with unit_of_work(factory) as db:
        found = services.get_collection(db, collection)
        return misp.store_event(
            db,
            collection=found,
            producer_org_id=found.owner_org_id,
            document=document,
            now=utcnow(),
        )


def _export(factory: sessionmaker[Session], collection: str) -> list[dict[str, Any]]:
    with unit_of_work(factory) as db:
        found = services.get_collection(db, collection)
        return misp_export.collection_events(db, collection=found, visible=true())


def _count(factory: sessionmaker[Session]) -> int:
    with unit_of_work(factory) as db:
        return int(db.scalar(select(func.count(StixObject.id))) or 0)


@pytest.mark.parametrize("name", EVENTS)
def test_pymisps_events_go_in_and_come_out_whole(
    name: str, world: SharingWorld, session_factory: sessionmaker[Session]
) -> None:
    original = load(name)
    result = _import(session_factory, world.collection, original)
    attributes = len(original.get("Attribute") or []) + sum(
        len(o.get("Attribute") or []) for o in original.get("Object") or []
    )
    assert result.attributes == attributes
    assert result.misp_objects == len(original.get("Object") or [])
    (exported,) = _export(session_factory, world.collection)
    expected = summary(original)
    if original.get("uuid") is None:  # PyMISP's small examples have none: the hub gives one
        expected["uuid"] = exported["Event"]["uuid"]
    if original.get("info") is None:  # nor an info, which MISP requires: the hub names it
        expected["info"] = "MISP event"
    assert summary(exported["Event"]) == expected
    # PyMISP loads it, and sees what the original holds.
    event = MISPEvent()
    event.load(json.dumps(exported))
    assert len(event.attributes) == len(original.get("Attribute") or [])
    assert len(event.objects) == len(original.get("Object") or [])
    assert sorted(t.name for t in event.tags) == sorted(
        t["name"] for t in original.get("Tag") or []
    )


def test_the_big_event_counts(world: SharingWorld, session_factory: sessionmaker[Session]) -> None:
    event = load("existing_event.json")
    result = _import(session_factory, world.collection, event)
    every = event["Attribute"] + [a for o in event["Object"] for a in o["Attribute"]]
    indexed = [a for a in every if a["type"] in ("ip-dst", "domain", "sha1", "md5", "url")]
    # MISP's own count of this event's attributes, objects' included.
    assert result.attributes == 122
    assert result.misp_objects == 49
    # Indexed attributes are indicators the look-up finds (ip-dst, domain, sha1...).
    with unit_of_work(session_factory) as db:
        kinds = dict(
            db.execute(
                select(StixObject.stix_type, func.count()).group_by(StixObject.stix_type)
            ).all()
        )
    assert kinds["indicator"] == len(indexed) > 60
    assert kinds["x-misp-attribute"] == 122 - len(indexed)
    assert kinds["x-misp-object"] == 49


def test_sightings_in_the_event_and_added_on_the_hub_are_exported(
    world: SharingWorld, session_factory: sessionmaker[Session]
) -> None:
    event = load("existing_event.json")
    seen = load("sighting.json")  # PyMISP's example sighting, on the first attribute
    first = event["Object"][0]["Attribute"][0]
    first["Sighting"] = [
        {**seen, "uuid": "5a3cd5b6-0000-4000-8000-000000000001", "date_sighting": "1513936310"}
    ]
    _import(session_factory, world.collection, event)
    (exported,) = _export(session_factory, world.collection)
    back = exported["Event"]["Object"][0]["Attribute"][0]
    assert back["Sighting"] == first["Sighting"]
    loaded = MISPEvent()
    loaded.load(json.dumps(exported))
    assert len(loaded.objects[0].attributes[0].sightings) == 1


def test_distribution_becomes_tlp_unless_a_tag_says(
    world: SharingWorld, session_factory: sessionmaker[Session]
) -> None:
    event = {
        "info": "Distribution",
        "distribution": "1",
        "Attribute": [
            {"type": "ip-dst", "value": "198.51.100.7", "distribution": "0"},
            {"type": "domain", "value": "bad.example", "distribution": "5"},
            {
                "type": "url",
                "value": "https://bad.example/x",
                "distribution": "3",
                "Tag": [{"name": "tlp:green"}],
            },
        ],
    }
    _import(session_factory, world.collection, event)
    with unit_of_work(session_factory) as db:
        levels = dict(
            db.execute(
                select(StixObject.body, StixObject.tlp).where(StixObject.stix_type == "indicator")
            ).all()
        )
    by_value = {json.loads(b)["x_misp_attribute"]["value"]: t for b, t in levels.items()}
    assert by_value == {
        "198.51.100.7": Tlp.RED,
        "bad.example": Tlp.AMBER,
        "https://bad.example/x": Tlp.GREEN,
    }


def test_bad_items_are_named_and_nothing_is_stored(
    world: SharingWorld, session_factory: sessionmaker[Session]
) -> None:
    event = load("existing_event.json")
    event["Attribute"][1] = {**event["Attribute"][1], "type": "ip-dst", "value": "999.1.1.1"}
    event["Attribute"][2] = {**event["Attribute"][2], "value": ""}
    event["Attribute"][3] = {**event["Attribute"][3], "Tag": [{"name": "tlp:purple"}]}
    event["Object"][0]["Attribute"][0]["distribution"] = "9"
    # A tag of a taxonomy the hub does not know is kept as a free label, not an error.
    event["Attribute"][4] = {**event["Attribute"][4], "Tag": [{"name": 'acme:risk="high"'}]}
    before = _count(session_factory)
    with pytest.raises(misp.MispInvalid) as caught:
        _import(session_factory, world.collection, event)
    problems = caught.value.problems
    assert len(problems) == 4, problems
    assert "attribute 2 (ip-dst): '999.1.1.1' is not a valid ip-dst" in problems
    assert any(p.startswith("attribute 3 ") and "value is missing" in p for p in problems)
    assert any(p.startswith("attribute 4:") and "tlp" in p and "purple" in p for p in problems)
    assert any(
        p.startswith("object 1 (file) attribute 1:") and "distribution" in p for p in problems
    )
    assert _count(session_factory) == before


def test_tags_of_unknown_taxonomies_are_kept_and_each_named(
    world: SharingWorld,
    settings: Settings,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    event = load("shadow.json")
    event["Tag"] = [{"name": "acme:campaign"}, {"name": "tlp:green"}, {"name": "plain words"}]
    event["Attribute"][0]["Tag"] = [{"name": 'acme:risk="high"'}]
    result = _import(session_factory, world.collection, event)
    assert result.notices == (
        "the event: tag 'acme:campaign' is of a taxonomy this hub does not know ('acme'); "
        "it was kept as a free label",
        "attribute 1: tag 'acme:risk=\"high\"' is of a taxonomy this hub does not know "
        "('acme'); it was kept as a free label",
    )
    (exported,) = _export(session_factory, world.collection)
    assert {t["name"] for t in exported["Event"]["Tag"]} >= {"acme:campaign", "plain words"}
    # The command line prints each, one line apiece.
    monkeypatch.setenv("ACCORD_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ACCORD_DATABASE_URL", settings.resolved_database_url)
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    done = CliRunner().invoke(
        cli, ["sharing", "import-misp", str(path), "--collection", world.collection]
    )
    assert done.exit_code == 0, done.output
    lines = [line for line in done.stdout.splitlines() if line.startswith("notice: ")]
    assert lines == [f"notice: {n}" for n in result.notices]


def test_an_event_of_100000_attributes_is_refused_whole(
    world: SharingWorld, session_factory: sessionmaker[Session]
) -> None:
    event = {
        "info": "Too big",
        "Attribute": [
            {"type": "ip-dst", "value": f"10.{i >> 16}.{(i >> 8) & 255}.{i & 255}"}
            for i in range(100_000)
        ],
    }
    with pytest.raises(misp.MispInvalid) as caught:
        _import(session_factory, world.collection, event)
    assert "100,000 attributes" in caught.value.message
    assert _count(session_factory) == 0


def test_the_command_line_imports_exports_and_refuses(
    world: SharingWorld, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCORD_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ACCORD_DATABASE_URL", settings.resolved_database_url)
    run = CliRunner()
    args = [
        "sharing",
        "import-misp",
        str(DATA / "existing_event.json"),
        "--collection",
        world.collection,
    ]
    done = run.invoke(cli, args)
    assert done.exit_code == 0, done.output
    assert "122 attributes, 49 objects" in done.stdout
    out = tmp_path / "event.json"
    done = run.invoke(
        cli,
        [
            "sharing",
            "export-misp",
            "--collection",
            world.collection,
            "--event",
            EVENT_UUID,
            "--out",
            str(out),
        ],
    )
    assert done.exit_code == 0, done.output
    assert summary(json.loads(out.read_text())["Event"]) == summary(load("existing_event.json"))
    bad = copy.deepcopy(load("shadow.json"))
    bad["Attribute"][0]["value"] = ""
    bad_file = tmp_path / "bad.json"
    bad_file.write_text(json.dumps(bad))
    done = run.invoke(
        cli, ["sharing", "import-misp", str(bad_file), "--collection", world.collection]
    )
    assert done.exit_code != 0
    line = _one_line(done.exception)  # what `accord` prints: one line
    assert line is not None
    assert "value is missing" in line
    assert "\n" not in line
    # STIX bundles by file: all or nothing too.
    bundle = tmp_path / "bundle.json"
    good = {
        "type": "bundle",
        "id": "bundle--6f3a5b1e-1111-4c2d-9e0f-123456789abc",
        "objects": [
            {
                "type": "malware",
                "spec_version": "2.1",
                "id": "malware--6f3a5b1e-2222-4c2d-9e0f-123456789abc",
                "created": "2024-01-01T00:00:00Z",
                "modified": "2024-01-01T00:00:00Z",
                "name": "Loader",
                "is_family": False,
            }
        ],
    }
    bundle.write_text(json.dumps(good))
    done = run.invoke(
        cli, ["sharing", "import-stix", str(bundle), "--collection", world.collection]
    )
    assert done.exit_code == 0, done.output
    assert "1 object stored" in done.stdout
    good["objects"].append({"type": "indicator", "id": "indicator--nope"})
    bundle.write_text(json.dumps(good))
    done = run.invoke(
        cli, ["sharing", "import-stix", str(bundle), "--collection", world.collection]
    )
    assert done.exit_code != 0
    assert "indicator--nope" in (_one_line(done.exception) or "")


def test_an_event_for_a_sharing_group_needs_that_group_granted(
    world: SharingWorld, session_factory: sessionmaker[Session]
) -> None:
    from accord.sharing.models import SharingGroup

    with unit_of_work(session_factory) as db:
        group = db.scalars(select(SharingGroup)).one()
        granted, name = group.uuid, group.name
    event = {
        "info": "For the group",
        "distribution": "4",
        "SharingGroup": {"uuid": "11111111-2222-4333-8444-555555555555", "name": "Elsewhere"},
        "Attribute": [{"type": "domain", "value": "group.example"}],
    }
    with pytest.raises(misp.MispInvalid) as caught:
        _import(session_factory, world.collection, event)
    assert "does not know" in caught.value.message
    event["SharingGroup"] = {"uuid": granted, "name": name}
    _import(session_factory, world.collection, event)
    (exported,) = _export(session_factory, world.collection)
    assert exported["Event"]["distribution"] == "4"
    assert exported["Event"]["SharingGroup"]["uuid"] == granted
    with unit_of_work(session_factory) as db:
        levels = set(db.scalars(select(StixObject.tlp)))
    assert levels == {Tlp.AMBER}
