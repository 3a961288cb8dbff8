"""A remote's address and token on the pull pages: an address inside the hub's own networks
refused unless the setting allows (on the form, and at the connection for one saved
otherwise), and a token kept only once the remote's change commits."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from accord import outbound
from accord.config import Settings
from accord.identity.models import Organization
from accord.jobs.registry import JobContext
from accord.sharing import remotes
from accord.sharing.federation import RemoteError
from accord.sharing.federation_pages import address_problem
from accord.sharing.models import Collection, Remote
from accord.sharing.pull_handlers import run_pull
from tests.factories import Factories, csrf_of
from tests.sharing.conftest import SharingWorld
from tests.sharing.test_pull_pages import PAGE, _errors
from tests.sharing.test_push import (  # noqa: F401 (fixtures)
    local_app,
    local_client,
    local_settings,
)

INSIDE = [
    "http://127.0.0.1/taxii2/", "http://localhost:9/taxii2/", "http://[::1]/taxii2/",
    "http://10.1.2.3/taxii2/", "http://169.254.169.254/latest/", "http://[::ffff:127.0.0.1]/x/",
]  # fmt: skip


def test_a_remote_inside_the_hubs_networks_is_refused_unless_the_setting_allows(
    world: SharingWorld,
    make: Factories,
    client: TestClient,
    settings: Settings,
    session_factory: sessionmaker[Session],
    db: Session,
) -> None:
    assert not settings.outbound_allow_private_addresses
    make.session(client, make.user("puller5", operator=True))
    page = client.get(PAGE)
    for root in INSIDE:
        form = {
            "csrf_token": csrf_of(page.text), "name": "inside", "api_root": root,
            "token": "inside-secret", "collection": world.collection,
            "organization": world.slugs["recipient"],
        }  # fmt: skip
        refused = client.post(PAGE, data=form)
        assert refused.status_code == 422, root
        assert set(_errors(refused.text)) == {"api_root"}, root
        assert "inside-secret" not in refused.text
    db.rollback()
    assert db.scalars(select(Remote)).all() == []
    assert not remotes.token_path(settings, "inside").exists()
    # One set up otherwise (an address that changed since, say): the pull is refused at the
    # connection, its token never sent, and the error kept on it names no secret.
    with session_factory.begin() as writing:
        remote = Remote(name="inside", api_root="http://127.0.0.1:9/taxii2/",
                        remote_collection="c1", collection_id=_collection_id(writing, world),
                        organization_id=_org_id(writing, world))  # fmt: skip
        writing.add(remote)
    remotes.keep_token(settings, "inside", "inside-secret")
    context = JobContext(settings, session_factory, session_factory, job_id=0, attempt=1)
    with pytest.raises(RemoteError) as raised:
        run_pull(context, {"remote_id": remote.id})
    assert "non-public address" in str(raised.value)
    db.rollback()
    kept = db.scalars(select(Remote)).one()
    assert "non-public address" in (kept.last_error or "")
    assert "inside-secret" not in kept.last_error
    assert "inside-secret" not in client.get(PAGE).text
    # Allowed by the setting, the same addresses pass the form's check.
    allowing = outbound.allowing_private(settings, True)
    assert [address_problem(root, allowing) for root in INSIDE] == [None] * len(INSIDE)


def _collection_id(db: Session, world: SharingWorld) -> int:
    return db.scalars(select(Collection.id).where(Collection.uuid == world.collection)).one()


def _org_id(db: Session, world: SharingWorld) -> int:
    return db.scalars(
        select(Organization.id).where(Organization.slug == world.slugs["recipient"])
    ).one()


def test_a_token_changed_on_the_page_is_kept_only_once_the_change_commits(
    world: SharingWorld,
    make: Factories,
    local_settings: Settings,  # noqa: F811
    local_client: TestClient,  # noqa: F811
    db: Session,
) -> None:
    make.session(local_client, make.user("puller6", operator=True))
    page = local_client.get(PAGE)
    form = {
        "csrf_token": csrf_of(page.text), "name": "moved", "api_root": "http://127.0.0.1:9/t/",
        "token": "old-token", "collection": world.collection,
        "organization": world.slugs["recipient"],
    }  # fmt: skip
    assert local_client.post(PAGE, data=form, follow_redirects=False).status_code == 303
    kept = remotes.token_path(local_settings, "moved")
    assert kept.read_text() == "old-token"

    def failing(session: Session) -> None:  # the commit of the address's change fails
        if "http://127.0.0.2:9/t/" in session.scalars(select(Remote.api_root)).all():
            raise RuntimeError("the commit failed")

    changed = {**form, "api_root": "http://127.0.0.2:9/t/", "token": "new-token"}
    event.listen(Session, "before_commit", failing)
    try:
        with pytest.raises(RuntimeError, match="the commit failed"):
            local_client.post(PAGE, data=changed, follow_redirects=False)
    finally:
        event.remove(Session, "before_commit", failing)
    # The remote keeps its address, and its token with it: the new one never goes there.
    db.rollback()
    assert db.scalars(select(Remote.api_root)).one() == "http://127.0.0.1:9/t/"
    assert kept.read_text() == "old-token"
    assert _token_files(kept.parent, "moved") == ["moved.token"]
    # Committed, the new token takes its place, still readable by the hub's user alone.
    assert local_client.post(PAGE, data=changed, follow_redirects=False).status_code == 303
    assert kept.read_text() == "new-token"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert _token_files(kept.parent, "moved") == ["moved.token"]


def _token_files(folder: Path, name: str) -> list[str]:
    """The files kept for the remote ``name``, a token waiting for its commit included."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith((name, f".{name}")))
