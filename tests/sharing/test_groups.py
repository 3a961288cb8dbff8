"""Sharing groups: created, granted, exported from one hub and imported on another."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.config import Settings
from accord.identity.models import MemberRole
from accord.sharing.models import SharingGroup
from accord.sharing.taxii import TAXII_MEDIA_TYPE
from accord.sharing.tlp import Tlp
from tests.cli.here import accord_here
from tests.factories import Factories
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld


def test_group_through_the_api(client: TestClient, make: Factories, world: SharingWorld) -> None:
    admin = make.user("groupadmin")
    make.member(admin, world.slugs["producer"], MemberRole.ADMIN)
    auth = make.bearer(admin)
    created = client.post(
        f"/api/v1/sharing/orgs/{world.slugs['producer']}/groups",
        json={"name": "Finance ISAC", "members": [world.slugs["community"]]},
        headers=auth,
    )
    assert created.status_code == 201, created.text
    group = created.json()
    assert {m["slug"] for m in group["members"]} == {
        world.slugs["producer"],
        world.slugs["community"],
    }
    granted = client.put(
        f"/api/v1/sharing/collections/{world.collection}/grants",
        json={"group": group["id"], "can_read": True},
        headers=auth,
    )
    assert granted.status_code == 204, granted.text
    amber = stixgen.indicator(tlp=Tlp.AMBER)
    client.post(
        f"/taxii2/hub/collections/{world.collection}/objects/",
        json=stixgen.envelope(amber),
        headers={"Accept": TAXII_MEDIA_TYPE, "Content-Type": TAXII_MEDIA_TYPE, **auth},
    )
    seen = client.get(
        f"/taxii2/hub/collections/{world.collection}/objects/{amber['id']}/",
        headers={"Accept": TAXII_MEDIA_TYPE, **world.bearer("community")},
    )
    assert seen.status_code == 200, "the group was named when the AMBER object was shared"
    exported = client.get(f"/api/v1/sharing/groups/{group['id']}", headers=auth)
    assert exported.json()["format"] == "accord-sharing-group/1"
    outsider = client.get(
        f"/api/v1/sharing/groups/{group['id']}", headers=world.bearer("community")
    )
    assert outsider.status_code == 403
    listed = client.get(
        f"/api/v1/sharing/orgs/{world.slugs['community']}/groups", headers=world.bearer("community")
    )
    assert "Finance ISAC" in [g["name"] for g in listed.json()]


@pytest.mark.slow
def test_export_and_import_between_hubs(
    world: SharingWorld, settings: Settings, db: Session, tmp_path: Path, make: Factories
) -> None:
    db.rollback()
    group_id = db.scalar(select(SharingGroup.uuid))
    assert group_id is not None
    exported = accord_here(settings, "sharing", "group-export", group_id)
    assert exported.returncode == 0, exported.stderr
    data = json.loads(exported.stdout)
    assert data["id"] == group_id
    # The other hub knows one of the members; it keeps the id and reports the others.
    data["members"].append({"slug": "far-away-cert", "name": "Far Away CERT"})
    data["name"] = "Renamed on the way"
    path = tmp_path / "group.json"
    path.write_text(json.dumps(data))
    imported = accord_here(
        settings, "sharing", "group-import", str(path), "--org", world.slugs["community"]
    )
    assert imported.returncode == 0, imported.stderr
    assert "far-away-cert" in imported.stderr
    db.rollback()
    group = db.scalar(select(SharingGroup).where(SharingGroup.uuid == group_id))
    assert group is not None
    assert group.name == "Renamed on the way"
    path.write_text("{}")
    broken = accord_here(
        settings, "sharing", "group-import", str(path), "--org", world.slugs["community"]
    )
    assert broken.returncode == 1
    assert broken.stderr.startswith("error:")
