"""Pulls set up from the operators' pages: a remote added with its address and credentials,
its collection chosen from the remote's own list, pulled at once by the ``sharing.pull`` job,
its last pull and last error shown, and removed; the token kept as the command line keeps it
and never shown again; a form that fails names every field's problem beside it."""

from __future__ import annotations

import re
import stat
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.clock import utcnow
from accord.config import Settings
from accord.identity.models import AuditEvent
from accord.jobs.models import Job, JobState
from accord.jobs.worker import Worker
from accord.sharing import remotes
from accord.sharing.models import Collection, Remote, StixObject
from accord.sharing.pull_handlers import PULL_KIND
from accord.sharing.tlp import Tlp
from tests.factories import Factories, csrf_of
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld
from tests.sharing.test_federation import (  # noqa: F401 (fixtures)
    MEDALLION_COLLECTION,
    MEDALLION_PASSWORD,
    MEDALLION_USER,
    _medallion_feed,
    medallion,
)
from tests.sharing.test_push import (  # noqa: F401 (fixtures)
    _dead_port,
    local_app,
    local_client,
    local_settings,
)

PAGE = "/admin/sharing/federation/pull"


def _errors(html: str) -> dict[str, str]:
    return dict(re.findall(r'<p class="error" id="([a-z_]+)-error">([^<]*)</p>', html))


def test_an_operator_adds_pulls_and_removes_a_remote_from_the_pages(
    medallion: str,  # noqa: F811
    world: SharingWorld,
    make: Factories,
    local_settings: Settings,  # noqa: F811
    local_client: TestClient,  # noqa: F811
    session_factory: sessionmaker[Session],
    db: Session,
) -> None:
    sent = [stixgen.indicator(tlp=Tlp.GREEN) for _ in range(3)]
    assert _medallion_feed(medallion).add_objects(stixgen.envelope(*sent)).success_count == 3
    make.session(local_client, make.user("puller", operator=True))
    # Reached from the federation page, which the operators' menu links.
    federation = local_client.get("/admin/sharing/federation")
    assert f'href="{PAGE}"' in federation.text
    page = local_client.get(PAGE)
    assert page.status_code == 200
    # What the hub can list is a choice: its collections and organizations.
    assert f'<option value="{world.collection}"' in page.text
    assert f'<option value="{world.slugs["recipient"]}"' in page.text
    form = {
        "csrf_token": csrf_of(page.text), "name": "feed", "api_root": medallion,
        "username": MEDALLION_USER, "token": MEDALLION_PASSWORD, "collection": world.collection,
        "organization": world.slugs["recipient"], "every_minutes": "",
    }  # fmt: skip
    saved = local_client.post(PAGE, data=form, follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{PAGE}/feed"
    # The token is kept as the command line keeps it: a file only the hub may read.
    kept = remotes.token_path(local_settings, "feed")
    assert kept.read_text() == MEDALLION_PASSWORD
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    # The remote's own list of the collections this hub may read, asked with that token.
    chooser = local_client.get(saved.headers["location"])
    assert f'<option value="{MEDALLION_COLLECTION}"' in chooser.text
    wrong = local_client.post(
        f"{PAGE}/feed/collection",
        data={"csrf_token": csrf_of(chooser.text), "remote_collection": "not-offered"},
    )
    assert wrong.status_code == 422
    assert "remote_collection" in _errors(wrong.text)
    chosen = local_client.post(
        f"{PAGE}/feed/collection",
        data={"csrf_token": csrf_of(chooser.text), "remote_collection": MEDALLION_COLLECTION},
        follow_redirects=False,
    )
    assert chosen.status_code == 303
    listed = local_client.get(PAGE)
    assert "Pull now" in listed.text
    pulled = local_client.post(
        f"{PAGE}/feed/now", data={"csrf_token": csrf_of(listed.text)}, follow_redirects=False
    )
    assert pulled.status_code == 303
    worker = Worker(settings=local_settings, sessions=session_factory)
    assert worker.run_once(now=utcnow() + timedelta(seconds=1))
    db.rollback()
    assert db.scalars(select(Job).where(Job.kind == PULL_KIND)).one().state is JobState.DONE
    stored = {row.stix_id for row in db.scalars(select(StixObject))}
    assert {o["id"] for o in sent} <= stored
    remote = db.scalar(select(Remote).where(Remote.name == "feed"))
    assert remote is not None
    assert remote.last_pull_at is not None
    assert remote.last_error is None
    shown = local_client.get(PAGE).text
    assert "not yet" not in shown.split("<h2>")[0]  # the last pull is shown, with its moment
    for text in (page.text, chooser.text, listed.text, shown):
        assert MEDALLION_PASSWORD not in text
    removed = local_client.post(
        f"{PAGE}/feed/remove", data={"csrf_token": csrf_of(shown)}, follow_redirects=False
    )
    assert removed.status_code == 303
    db.rollback()
    assert db.scalar(select(Remote).where(Remote.name == "feed")) is None
    assert not kept.exists()
    actions = set(db.scalars(select(AuditEvent.action).where(AuditEvent.target == "remote:feed")))
    assert actions == {
        "sharing.remote.configure",
        "sharing.remote.collection",
        "sharing.remote.remove",
    }


def test_a_remote_that_cannot_be_reached_is_typed_and_its_error_shown(
    world: SharingWorld,
    make: Factories,
    local_settings: Settings,  # noqa: F811
    local_client: TestClient,  # noqa: F811
    session_factory: sessionmaker[Session],
    db: Session,
) -> None:
    make.session(local_client, make.user("puller2", operator=True))
    page = local_client.get(PAGE)
    root = f"http://127.0.0.1:{_dead_port()}/taxii2/hub/"
    form = {
        "csrf_token": csrf_of(page.text), "name": "gone", "api_root": root, "username": "",
        "token": "remote-secret-token", "collection": world.collection,
        "organization": world.slugs["recipient"], "every_minutes": "",
    }  # fmt: skip
    saved = local_client.post(PAGE, data=form, follow_redirects=False)
    assert saved.status_code == 303
    # Its collections cannot be listed: the page says why and asks for the id instead.
    chooser = local_client.get(saved.headers["location"])
    assert "could not be listed" in chooser.text
    assert '<input id="remote_collection"' in chooser.text
    # Why, in the viewer's language.
    japanese = local_client.get(saved.headers["location"], headers={"Accept-Language": "ja"})
    assert "に接続できません: ConnectError" in japanese.text
    chosen = local_client.post(
        f"{PAGE}/gone/collection",
        data={"csrf_token": csrf_of(chooser.text), "remote_collection": "c1"},
        follow_redirects=False,
    )
    assert chosen.status_code == 303
    listed = local_client.get(PAGE)
    local_client.post(f"{PAGE}/gone/now", data={"csrf_token": csrf_of(listed.text)})
    worker = Worker(settings=local_settings, sessions=session_factory)
    assert worker.run_once(now=utcnow() + timedelta(seconds=1))
    db.rollback()
    job = db.scalars(select(Job).where(Job.kind == PULL_KIND)).one()
    assert job.state is JobState.FAILED
    assert "cannot reach" in (job.last_error or "")
    shown = local_client.get(PAGE).text
    assert "cannot reach" in shown
    assert "cannot reach" in local_client.get("/admin/sharing/federation").text
    assert "remote-secret-token" not in shown + chooser.text


def test_the_form_names_every_problem_beside_its_field_and_keeps_the_input(
    world: SharingWorld,
    make: Factories,
    local_client: TestClient,  # noqa: F811
    db: Session,
) -> None:
    make.session(local_client, make.user("puller3", operator=True))
    page = local_client.get(PAGE)
    form = {
        "csrf_token": csrf_of(page.text), "name": "Bad Name", "api_root": "ftp://x",
        "collection": "no-such-collection", "organization": "no-such-org",
        "every_minutes": "soon", "token": "never-shown",
    }  # fmt: skip
    refused = local_client.post(PAGE, data=form)
    assert refused.status_code == 422
    errors = _errors(refused.text)
    assert set(errors) == {"name", "api_root", "collection", "organization", "every_minutes"}
    assert errors["every_minutes"] == "a whole number of minutes, or empty to run only when asked"
    assert 'value="Bad Name"' in refused.text
    assert 'value="soon"' in refused.text
    assert "never-shown" not in refused.text
    db.rollback()
    assert db.scalars(select(Remote)).all() == []


def test_the_push_form_names_every_problem_at_once(
    world: SharingWorld,
    make: Factories,
    local_client: TestClient,  # noqa: F811
) -> None:
    make.session(local_client, make.user("pusher", operator=True))
    page = local_client.get("/admin/sharing/federation")
    form = {
        "csrf_token": csrf_of(page.text), "name": "Bad Name", "api_root": "ftp://x",
        "collection": world.collection, "organization": world.slugs["recipient"],
        "max_tlp": "red", "every_minutes": "soon",
    }  # fmt: skip
    refused = local_client.post("/admin/sharing/federation", data=form)
    assert refused.status_code == 422
    assert set(_errors(refused.text)) == {"name", "api_root", "max_tlp", "every_minutes"}
    assert 'value="Bad Name"' in refused.text


def test_the_sharing_page_leads_operators_to_federation(
    make: Factories,
    local_client: TestClient,  # noqa: F811
) -> None:
    member = make.user("reader")
    make.session(local_client, member)
    assert PAGE not in local_client.get("/sharing").text
    make.session(local_client, make.user("oper9", operator=True))
    assert f'href="{PAGE}"' in local_client.get("/sharing").text


def test_no_token_file_for_a_remote_without_one(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert remotes.stored_token(settings, "none") is None
    remotes.keep_token(settings, "some", "secret")
    assert remotes.stored_token(settings, "some") == "secret"


def test_the_pages_and_their_problems_are_said_in_spanish_and_japanese(
    world: SharingWorld,
    make: Factories,
    local_client: TestClient,  # noqa: F811
) -> None:
    make.session(local_client, make.user("puller4", operator=True))
    said = {
        "es": ("Descargar de un servidor remoto", "un número entero de minutos"),
        "ja": ("リモートからの取得", "分を整数で入力するか"),
    }
    for language, (heading, minutes) in said.items():
        headers = {"Accept-Language": language}
        page = local_client.get(PAGE, headers=headers)
        assert heading in page.text
        form = {
            "csrf_token": csrf_of(page.text), "name": "ok", "api_root": "ftp://x",
            "collection": world.collection, "organization": world.slugs["recipient"],
            "every_minutes": "soon",
        }  # fmt: skip
        refused = local_client.post(PAGE, data=form, headers=headers)
        assert refused.status_code == 422
        errors = _errors(refused.text)
        assert errors["every_minutes"].startswith(minutes)
        assert "https://" in errors["api_root"]  # the address's rule, in the language
        assert errors["api_root"] != "must be an http(s) URL of a TAXII API root"


def test_a_removal_rolled_back_keeps_the_remotes_token_and_a_committed_one_forgets_it(
    world: SharingWorld, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    from accord.identity.policy import SYSTEM
    from accord.registry.models import Organization

    with session_factory.begin() as db:
        collection = db.scalars(select(Collection).where(Collection.uuid == world.collection)).one()
        org = db.scalars(
            select(Organization).where(Organization.slug == world.slugs["recipient"])
        ).one()
        db.add(
            Remote(
                name="kept",
                api_root="https://127.0.0.1:9/taxii2/",
                remote_collection="c1",
                collection_id=collection.id,
                organization_id=org.id,
            )
        )
    remotes.keep_token(settings, "kept", "remote-secret-token")
    kept = remotes.token_path(settings, "kept")

    with session_factory() as db:
        remotes.remove(db, remote=remotes.get_remote(db, "kept"), settings=settings, actor=SYSTEM)
        db.flush()
        db.rollback()
    assert kept.read_text().strip() == "remote-secret-token"
    with session_factory() as db:
        assert remotes.get_remote(db, "kept").name == "kept"

    with session_factory() as db:
        remotes.remove(db, remote=remotes.get_remote(db, "kept"), settings=settings, actor=SYSTEM)
        db.commit()
    assert not kept.exists()
