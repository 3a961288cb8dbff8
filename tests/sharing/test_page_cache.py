"""Cached TAXII pages (``sharing.page_cache``): never one reader's view served to another, and
every kind of write makes the next read fresh, whichever process wrote.

Each test first reads a page (so that it is kept), then changes something, then compares the
next read with what must be seen. A cache that ignored a change (a trigger missing for one
kind of write, a key missing one of the reader's facts) answers the kept page and fails here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from accord.db import unit_of_work
from accord.identity.credentials import digest
from accord.identity.models import ApiToken
from accord.identity.policy import SYSTEM
from accord.identity.services import get_org, remove_member
from accord.sharing import routes, services
from accord.sharing.models import Collection, SharingGroupMember, StixObject
from accord.sharing.page_cache import PageCache
from accord.sharing.schemas import GrantSet
from accord.sharing.taxii import TAXII_MEDIA_TYPE
from accord.sharing.tlp import Tlp
from tests.sharing import stixgen
from tests.sharing.conftest import READERS, SharingWorld
from tests.sharing.test_tlp_matrix import SEES

TAXII = {"Accept": TAXII_MEDIA_TYPE}
NOW = datetime(2026, 12, 7, 1, 0, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _one_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every read in the same minute, so that a page's cursor is the same bytes each time.
    monkeypatch.setattr(routes, "utcnow", lambda: NOW)


def _post(client: TestClient, world: SharingWorld, *objects: dict[str, Any]) -> None:
    answer = client.post(
        f"/taxii2/hub/collections/{world.collection}/objects/",
        json=stixgen.envelope(*objects),
        headers={**TAXII, "Content-Type": TAXII_MEDIA_TYPE, **world.bearer("producer")},
    )
    assert answer.json()["success_count"] == len(objects), answer.text


def _one_per_level(client: TestClient, world: SharingWorld) -> dict[Tlp, dict[str, Any]]:
    objects = {level: stixgen.indicator(tlp=level, kind="ipv4", value=f"192.0.2.{i + 1}")
               for i, level in enumerate(Tlp)}  # fmt: skip
    _post(client, world, *objects.values())
    return objects


def _get(client: TestClient, world: SharingWorld, reader: str, path: str = "objects/",
         **params: Any) -> Any:  # fmt: skip
    base = f"/taxii2/hub/collections/{world.collection}/"
    return client.get(base + path, params=params, headers={**TAXII, **world.bearer(reader)})


def _seen(answer: Any) -> set[str]:
    assert answer.status_code == 200, answer.text
    return {o["id"] for o in answer.json().get("objects", [])}


def _fresh(app: FastAPI, client: TestClient, world: SharingWorld, reader: str,
           path: str = "objects/", **params: Any) -> Any:  # fmt: skip
    """The same read with the cache turned off."""
    kept = app.state.page_cache
    app.state.page_cache = PageCache(0)
    try:
        return _get(client, world, reader, path, **params)
    finally:
        app.state.page_cache = kept


def _same(one: Any, other: Any) -> None:
    assert one.status_code == other.status_code
    assert one.content == other.content
    for header in ("X-TAXII-Date-Added-First", "X-TAXII-Date-Added-Last"):
        assert one.headers.get(header) == other.headers.get(header)


@pytest.mark.parametrize("order", ["widest_first", "narrowest_first"])
def test_each_reader_gets_its_own_view_whoever_read_before(
    app: FastAPI, client: TestClient, world: SharingWorld, order: str
) -> None:
    objects = _one_per_level(client, world)
    readers = READERS if order == "widest_first" else tuple(reversed(READERS))
    for _ in range(2):  # the second round is served from the cache
        for reader in readers:
            expected = {objects[level]["id"] for level in SEES[reader]}
            assert _seen(_get(client, world, reader)) == expected, reader
            manifest = _get(client, world, reader, "manifest/").json()
            assert {o["id"] for o in manifest["objects"]} == expected, reader
    assert app.state.page_cache.hits >= 2 * len(READERS)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("objects/", {}),
        ("objects/", {"limit": 2}),
        ("objects/", {"match[type]": "indicator", "limit": 1}),
        ("manifest/", {"limit": 2}),
        ("objects/", {"added_after": "2000-01-01T00:00:00.000Z"}),
    ],
)
def test_a_kept_page_is_the_bytes_of_a_fresh_one(
    app: FastAPI, client: TestClient, world: SharingWorld, path: str, params: dict[str, Any]
) -> None:
    _one_per_level(client, world)
    first = _get(client, world, "recipient", path, **params)
    hits = app.state.page_cache.hits
    kept = _get(client, world, "recipient", path, **params)
    assert app.state.page_cache.hits == hits + 1
    _same(kept, first)
    _same(kept, _fresh(app, client, world, "recipient", path, **params))
    if "limit" in params:  # the next page too, by its cursor
        following = {**params, "next": kept.json()["next"]}
        _get(client, world, "recipient", path, **following)
        _same(
            _get(client, world, "recipient", path, **following),
            _fresh(app, client, world, "recipient", path, **following),
        )


def test_an_expired_cursor_is_refused_from_the_cache_too(
    app: FastAPI, client: TestClient, world: SharingWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    _one_per_level(client, world)
    following = _get(client, world, "producer", limit=1).json()["next"]
    assert _get(client, world, "producer", limit=1, next=following).status_code == 200
    monkeypatch.setattr(routes, "utcnow", lambda: datetime(2026, 12, 9, tzinfo=UTC))
    assert _get(client, world, "producer", limit=1, next=following).status_code == 400


# Each write the reader's next page must show: (what it does, whether the recipient still
# sees the AMBER object afterwards, None when it is refused the collection).
def _new_object(client: TestClient, world: SharingWorld, amber: dict[str, Any], **_: Any) -> None:
    _post(client, world, stixgen.indicator(tlp=Tlp.GREEN, kind="ipv4", value="198.51.100.9"))


def _new_version(client: TestClient, world: SharingWorld, amber: dict[str, Any],
                 **_: Any) -> None:  # fmt: skip
    _post(client, world, {**amber, "modified": "2030-01-01T00:00:00.000Z", "name": "changed"})


def _deletion(client: TestClient, world: SharingWorld, amber: dict[str, Any], **_: Any) -> None:
    answer = client.delete(
        f"/taxii2/hub/collections/{world.collection}/objects/{amber['id']}/",
        headers={**TAXII, **world.bearer("producer")},
    )
    assert answer.status_code == 200, answer.text


def _tlp_change(world: SharingWorld, amber: dict[str, Any],
                factory: sessionmaker[Session], **_: Any) -> None:  # fmt: skip
    with unit_of_work(factory) as db:
        db.execute(update(StixObject).where(StixObject.stix_id == amber["id"])
                   .values(tlp=Tlp.AMBER_STRICT.value))  # fmt: skip


def _removed_membership(world: SharingWorld, factory: sessionmaker[Session], **_: Any) -> None:
    with unit_of_work(factory) as db:
        org = get_org(db, world.slugs["recipient"])
        remove_member(db, org=org, username=world.people["recipient"].username, actor=SYSTEM)


def _withdrawn_grant(world: SharingWorld, factory: sessionmaker[Session], **_: Any) -> None:
    with unit_of_work(factory) as db:
        found = db.scalar(select(Collection).where(Collection.uuid == world.collection))
        assert found is not None
        # An object's audience is fixed when it is stored: a withdrawn grant is felt on a
        # collection the public may not read.
        found.public_read = found.community_read = False
        data = GrantSet(organization=world.slugs["recipient"], can_read=False)
        services.set_grant(db, collection=found, data=data, actor=SYSTEM)


def _drainer_elsewhere(world: SharingWorld, amber: dict[str, Any], engine_url: str,
                       **_: Any) -> None:  # fmt: skip
    # Another process writes, as the queue's drainer does: only the database can tell.
    script = (
        "import sys; from sqlalchemy import create_engine, text\n"
        "engine = create_engine(sys.argv[1])\n"
        "with engine.begin() as c:\n"
        "    gone = text('DELETE FROM sharing_objects WHERE stix_id = :i')\n"
        "    c.execute(gone, {'i': sys.argv[2]})\n"
    )
    subprocess.run([sys.executable, "-c", script, engine_url, amber["id"]], check=True)


WRITES: dict[str, tuple[Callable[..., None], bool | None]] = {
    "new_object": (_new_object, True),
    "new_version": (_new_version, True),
    "deletion": (_deletion, False),
    "tlp_change": (_tlp_change, False),
    "removed_membership": (_removed_membership, False),
    "withdrawn_grant": (_withdrawn_grant, None),
    "drainer_in_another_process": (_drainer_elsewhere, False),
}


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize("path", ["objects/", "manifest/"])
def test_every_kind_of_write_makes_the_next_read_fresh(
    app: FastAPI,
    client: TestClient,
    world: SharingWorld,
    session_factory: sessionmaker[Session],
    write: str,
    path: str,
) -> None:
    objects = _one_per_level(client, world)
    amber = objects[Tlp.AMBER]
    before = _get(client, world, "recipient", path)
    assert amber["id"] in _seen(before)
    _same(_get(client, world, "recipient", path), before)  # kept
    change, still_amber = WRITES[write]
    url = app.state.engine.url.render_as_string(hide_password=False)
    change(client=client, world=world, amber=amber, factory=session_factory, engine_url=url)
    after = _get(client, world, "recipient", path)
    assert after.content != before.content
    if still_amber is None:
        assert after.status_code == 404, after.text  # as for a collection it never saw
    else:
        assert (amber["id"] in _seen(after)) is still_amber
    _same(after, _fresh(app, client, world, "recipient", path))


def test_a_removed_sharing_group_member_loses_the_groups_objects(
    client: TestClient, world: SharingWorld, session_factory: sessionmaker[Session]
) -> None:
    objects = _one_per_level(client, world)
    assert objects[Tlp.AMBER]["id"] in _seen(_get(client, world, "group_member"))
    with unit_of_work(session_factory) as db:
        org = get_org(db, world.slugs["group_member"])
        db.execute(delete(SharingGroupMember).where(SharingGroupMember.organization_id == org.id))
    seen = _seen(_get(client, world, "group_member"))
    assert seen == {objects[level]["id"] for level in SEES["community"]}


def test_a_revoked_token_is_refused_after_a_kept_page(
    client: TestClient, world: SharingWorld, session_factory: sessionmaker[Session]
) -> None:
    _one_per_level(client, world)
    for _ in range(2):
        assert _get(client, world, "recipient").status_code == 200
    with unit_of_work(session_factory) as db:
        db.execute(update(ApiToken).where(ApiToken.secret_hash == digest(world.tokens["recipient"]))
                   .values(revoked_at=NOW))  # fmt: skip
    assert _get(client, world, "recipient").status_code == 401


def test_a_collection_made_private_refuses_the_public_after_a_kept_page(
    client: TestClient, world: SharingWorld, session_factory: sessionmaker[Session]
) -> None:
    _one_per_level(client, world)
    for _ in range(2):
        assert _get(client, world, "anonymous").status_code == 200
    with unit_of_work(session_factory) as db:
        db.execute(update(Collection).where(Collection.uuid == world.collection)
                   .values(public_read=False, community_read=False))  # fmt: skip
    assert _get(client, world, "anonymous").status_code in (401, 403, 404)
    assert _get(client, world, "outsider").status_code in (403, 404)


def test_the_cache_keeps_to_its_size(client: TestClient, world: SharingWorld, app: FastAPI) -> None:
    _one_per_level(client, world)
    small = PageCache(8000)
    kept, app.state.page_cache = app.state.page_cache, small
    try:
        for limit in range(1, 8):
            _get(client, world, "producer", limit=limit)
            assert small.size <= 8000
        assert 0 < len(small) < 7
        # The newest read is kept, the oldest dropped.
        hits = small.hits
        _get(client, world, "producer", limit=7)
        assert small.hits == hits + 1
        _get(client, world, "producer", limit=1)
        assert small.hits == hits + 1
    finally:
        app.state.page_cache = kept


def test_a_page_larger_than_the_cache_is_not_kept() -> None:
    cache = PageCache(100)
    from accord.sharing.queries import Page

    page = Page(bodies=("x" * 200,), entries=(), more=False, next=None)
    cache.put("k", 1, (page, b"{}"))
    assert len(cache) == 0
    assert cache.get("k", 1) is None


def test_the_version_of_a_collection_follows_every_change(
    client: TestClient, world: SharingWorld, session_factory: sessionmaker[Session]
) -> None:
    from accord.sharing.models import PageVersion

    def version() -> int:
        with session_factory() as db:
            return int(db.scalar(select(func.sum(PageVersion.version))) or 0)

    _post(client, world, stixgen.indicator(tlp=Tlp.GREEN, kind="ipv4", value="192.0.2.1"))
    seen = [version()]
    with unit_of_work(session_factory) as db:
        db.execute(update(StixObject).values(tlp=Tlp.RED.value))
    seen.append(version())
    with unit_of_work(session_factory) as db:
        db.execute(delete(StixObject))
    seen.append(version())
    assert seen[0] > 0
    assert seen == sorted(set(seen)), seen
    assert json.dumps(seen)


@pytest.mark.parametrize("route", ["objects/{id}/", "objects/{id}/versions/", "objects/"])
def test_one_objects_kept_page_is_never_shown_to_a_reader_who_may_not_see_it(
    app: FastAPI, client: TestClient, world: SharingWorld, route: str
) -> None:
    amber = _one_per_level(client, world)[Tlp.AMBER]
    path = route.format(id=amber["id"])
    params = {"match[id]": amber["id"]} if route == "objects/" else {}
    for _ in range(2):
        kept = _get(client, world, "recipient", path, **params)
        assert kept.status_code == 200
        assert amber["id"] in kept.text or "versions" in kept.json()
    _same(kept, _fresh(app, client, world, "recipient", path, **params))
    for reader in ("community", "outsider", "anonymous"):
        refused = _get(client, world, reader, path, **params)
        if route == "objects/":
            assert _seen(refused) == set(), reader
        else:
            assert refused.status_code == 404, reader
