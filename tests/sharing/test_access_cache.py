"""Rows of a caller's access kept per process (``identity.access_cache``): every change of
what they are read from, whichever process wrote it, is seen by the very next request.

Each test reads twice (the second read is served from kept rows: the test checks it was),
then changes one row in another process (plain SQL, as a second web process, the drainer or
the CLI would), then reads again. A trigger missing for one table, or a kept row used past
its version, answers as before the change and fails here. Both databases (the suite's).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from accord.db import unit_of_work
from accord.identity import access, access_cache, callers
from accord.identity.models import AccessVersion
from accord.prepared import Reading
from accord.sharing.taxii import TAXII_MEDIA_TYPE
from accord.sharing.tlp import Tlp
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld

TAXII = {"Accept": TAXII_MEDIA_TYPE}


def _watched() -> tuple[str, ...]:
    import importlib.util

    import accord.migrations

    folder = Path(accord.migrations.__file__).parent / "versions"
    (path,) = folder.glob("*_identity_0007_*.py")
    spec = importlib.util.spec_from_file_location("identity_0007", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return tuple(module.TABLES)


def _elsewhere(app: FastAPI, sql: str, **params: object) -> None:
    """One statement committed by another process: only the database can tell this one."""
    script = (
        "import json, sys; from sqlalchemy import create_engine, text\n"
        "engine = create_engine(sys.argv[1])\n"
        "with engine.begin() as c:\n"
        "    c.execute(text(sys.argv[2]), json.loads(sys.argv[3]))\n"
    )
    url = app.state.engine.url.render_as_string(hide_password=False)
    subprocess.run([sys.executable, "-c", script, url, sql, json.dumps(params)], check=True)


def _revoke_elsewhere(app: FastAPI, world: SharingWorld, reader: str) -> None:
    now = datetime.now(UTC).isoformat()
    secret = access.digest(world.tokens[reader])
    _elsewhere(
        app, "UPDATE api_tokens SET revoked_at = :now WHERE secret_hash = :h", now=now, h=secret
    )


def _page(client: TestClient, world: SharingWorld, reader: str) -> tuple[int, set[str]]:
    answer = client.get(
        f"/taxii2/hub/collections/{world.collection}/objects/",
        headers={**TAXII, **world.bearer(reader)},
    )
    seen = (
        {o["id"] for o in answer.json().get("objects", [])} if answer.status_code == 200 else set()
    )
    return answer.status_code, seen


def _kept_twice(app: FastAPI, client: TestClient, world: SharingWorld, reader: str) -> set[str]:
    status, seen = _page(client, world, reader)
    assert status == 200
    hits = app.state.access_cache.hits
    assert _page(client, world, reader) == (200, seen)
    assert app.state.access_cache.hits > hits  # the second read used kept rows
    return seen


@pytest.fixture
def amber(client: TestClient, world: SharingWorld) -> str:
    found = stixgen.indicator(tlp=Tlp.AMBER, kind="ipv4", value="192.0.2.77")
    answer = client.post(
        f"/taxii2/hub/collections/{world.collection}/objects/",
        json=stixgen.envelope(found),
        headers={**TAXII, "Content-Type": TAXII_MEDIA_TYPE, **world.bearer("producer")},
    )
    assert answer.json()["success_count"] == 1, answer.text
    return str(found["id"])


def _user_id(factory: sessionmaker[Session], world: SharingWorld, reader: str) -> int:
    with unit_of_work(factory) as db:
        found = db.scalar(text("SELECT id FROM users WHERE username = :u"),
                          {"u": world.people[reader].username})  # fmt: skip
    assert found is not None
    return int(found)


def test_a_token_revoked_in_another_process_is_refused_next(
    app: FastAPI, client: TestClient, world: SharingWorld, amber: str
) -> None:
    _kept_twice(app, client, world, "recipient")
    _revoke_elsewhere(app, world, "recipient")
    assert _page(client, world, "recipient")[0] == 401


def test_an_account_disabled_in_another_process_is_refused_next(
    app: FastAPI,
    client: TestClient,
    world: SharingWorld,
    amber: str,
    session_factory: sessionmaker[Session],
) -> None:
    _kept_twice(app, client, world, "recipient")
    user = _user_id(session_factory, world, "recipient")
    _elsewhere(app, "UPDATE users SET is_active = false WHERE id = :u", u=user)
    assert _page(client, world, "recipient")[0] == 401


def test_a_membership_removed_in_another_process_loses_its_objects_next(
    app: FastAPI,
    client: TestClient,
    world: SharingWorld,
    amber: str,
    session_factory: sessionmaker[Session],
) -> None:
    assert amber in _kept_twice(app, client, world, "recipient")
    user = _user_id(session_factory, world, "recipient")
    _elsewhere(app, "DELETE FROM memberships WHERE user_id = :u", u=user)
    assert amber not in _page(client, world, "recipient")[1]


def test_a_grant_withdrawn_in_another_process_is_felt_next(
    app: FastAPI, client: TestClient, world: SharingWorld, amber: str
) -> None:
    assert amber in _kept_twice(app, client, world, "recipient")
    _elsewhere(app, "UPDATE sharing_collections SET public_read = false, community_read = false")
    _elsewhere(app, "DELETE FROM sharing_collection_grants")
    assert _page(client, world, "recipient")[0] in (403, 404)


def test_a_sharing_group_left_in_another_process_hides_its_objects_next(
    app: FastAPI, client: TestClient, world: SharingWorld, amber: str
) -> None:
    assert amber in _kept_twice(app, client, world, "group_member")
    _elsewhere(app, "DELETE FROM sharing_group_members")
    assert amber not in _page(client, world, "group_member")[1]


def test_a_token_expires_while_its_rows_are_kept(
    app: FastAPI,
    client: TestClient,
    world: SharingWorld,
    amber: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _kept_twice(app, client, world, "recipient")
    later = datetime.now(UTC) + timedelta(days=3650)
    monkeypatch.setattr(callers, "utcnow", lambda: later)
    # The clock is read every request: neither the kept rows nor the credential built from
    # them (``access_cache.BUILT``) outlive the token.
    assert _page(client, world, "recipient")[0] == 401


def test_a_query_s_revoked_token_is_refused_next(
    app: FastAPI, client: TestClient, world: SharingWorld
) -> None:
    auth = world.bearer("recipient")
    body = {"package": {"ecosystem": "PyPI", "name": "nothing-here"}}
    # The first query marks the token used (a change of its row: the version moves).
    for _ in range(2):
        assert client.post("/v1/query", json=body, headers=auth).status_code == 200
    hits = app.state.access_cache.hits
    assert client.post("/v1/query", json=body, headers=auth).status_code == 200
    assert app.state.access_cache.hits > hits
    _revoke_elsewhere(app, world, "recipient")
    assert client.post("/v1/query", json=body, headers=auth).status_code == 401


@pytest.mark.parametrize("table", _watched())
def test_every_change_of_a_watched_table_bumps_the_version(
    world: SharingWorld, session_factory: sessionmaker[Session], table: str
) -> None:
    def version() -> int:
        with unit_of_work(session_factory) as db:
            return int(db.scalar(select(func.coalesce(func.sum(AccessVersion.version), 0))) or 0)

    with unit_of_work(session_factory) as db:
        columns = [c["name"] for c in db.get_bind().dialect.get_columns(db.connection(), table)]
    if _empty(session_factory, table):
        return
    for column in columns:
        before = version()
        with unit_of_work(session_factory) as db:
            # An update of every row to itself is still a change a trigger must count.
            db.execute(text(f"UPDATE {table} SET {column} = {column}"))  # noqa: S608 (our names)
        # A token's use mark alone is read by no access decision (identity_0008); every
        # other column, including one added later, changes the version.
        unwatched = (table, column) == ("api_tokens", "last_used_at")
        assert (version() > before) is not unwatched, (table, column)


def _empty(factory: sessionmaker[Session], table: str) -> bool:
    with unit_of_work(factory) as db:
        return not db.scalar(text(f"SELECT count(*) FROM {table}"))  # noqa: S608 (our names)


def test_a_built_value_is_reused_only_for_its_own_rows_and_before_its_end() -> None:
    built = access_cache.Built(max_entries=2)
    rows: list[tuple[object, ...]] = [(1, "bench")]
    same_values: list[tuple[object, ...]] = [(1, "bench")]  # equal, read at another version
    now = datetime(2026, 12, 7, tzinfo=UTC)
    assert built.keep(rows, "k", now + timedelta(minutes=1), "credential") == "credential"
    assert built.get(rows, "k", now) == "credential"
    assert built.get(same_values, "k", now) is None
    assert built.get(rows, "other", now) is None
    assert built.get(rows, "k", now + timedelta(minutes=1)) is None
    built.keep(rows, "a", now, 1)
    built.keep(rows, "b", now, 2)  # past max_entries: emptied first
    assert built.get(rows, "k", now) is None


def test_a_tokens_use_mark_changes_no_version_and_is_written_once_a_minute(
    app: FastAPI,
    world: SharingWorld,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A write marks its token's use (once a minute a token). The mark changed the access
    # version, so every write of any token emptied what every process kept. Now it changes
    # nothing kept, and a process remembers its own marks: the rows it keeps still hold the
    # mark they were read with.
    def version() -> int:
        with unit_of_work(session_factory) as db:
            return int(db.scalar(select(func.coalesce(func.sum(AccessVersion.version), 0))) or 0)

    def credential() -> callers.Credential:
        # As a TAXII read looks its caller up: through the rows the process keeps.
        state = app.state
        with Reading(state.engine, state.access_cache, state.read_connections) as db:
            found = callers.token_actor(db, world.tokens["producer"], ip_address=None)
        assert found is not None
        return found

    first = credential()
    assert first.last_used_at is None
    assert callers.use_due(first)
    before = version()
    with unit_of_work(session_factory) as db:
        callers.mark_used(db, first)
    assert version() == before
    with unit_of_work(session_factory) as db:
        stored = db.scalar(text("SELECT last_used_at FROM api_tokens WHERE secret_hash = :h"),
                           {"h": access.digest(world.tokens["producer"])})  # fmt: skip
    assert stored is not None
    again = credential()
    assert again.last_used_at is None  # the kept rows, still valid, as read before the mark
    assert not callers.use_due(again)  # but this process marked it a moment ago
    later = datetime.now(UTC) + timedelta(minutes=2)
    monkeypatch.setattr(callers, "utcnow", lambda: later)
    assert callers.use_due(again)


class _AtVersion:
    """A reading whose access version is already read (``AccessCache.version``)."""

    def __init__(self, version: int) -> None:
        self.access_version = version


def test_a_value_built_from_kept_rows_is_given_again_only_at_its_version() -> None:
    cache = access_cache.AccessCache(max_entries=2)
    made: list[int] = []

    def build(at: _AtVersion) -> object:
        return cache.built(at, "grants", lambda: made.append(at.access_version) or object())  # type: ignore[arg-type, func-returns-value]

    first = build(_AtVersion(7))
    assert build(_AtVersion(7)) is first
    assert made == [7]
    second = build(_AtVersion(8))  # a change of any watched table: built again
    assert second is not first
    assert build(_AtVersion(8)) is second
    assert made == [7, 8]
    cache.clear()
    assert build(_AtVersion(8)) is not second
    off = access_cache.AccessCache(max_entries=0)  # keeps nothing
    assert off.built(_AtVersion(1), "k", object) is not off.built(_AtVersion(1), "k", object)  # type: ignore[arg-type]


def test_the_reads_kept_facts_serve_the_next_request(
    app: FastAPI, client: TestClient, world: SharingWorld
) -> None:
    seen = _kept_twice(app, client, world, "recipient")
    kept = dict(app.state.access_cache._built)
    assert any(key[0] == "grants" for key in kept)
    assert any(key[0] == "reader" for key in kept)
    assert _page(client, world, "recipient") == (200, seen)
    assert app.state.access_cache._built == kept  # nothing built again


def test_built_values_leave_least_recently_used_first() -> None:
    """Callers that come and go (an unknown token, a collection that is not there) push out
    each other, not the values a hub's regular readers use on every request."""
    cache = access_cache.AccessCache(max_entries=2)
    at = _AtVersion(1)
    regular = cache.built(at, "regular", object)  # type: ignore[arg-type]
    for stranger in range(5):
        assert cache.built(at, "regular", object) is regular  # type: ignore[arg-type]
        cache.built(at, ("unknown", stranger), object)  # type: ignore[arg-type]
    assert cache.built(at, "regular", object) is regular  # type: ignore[arg-type]
    assert cache.misses == 6
