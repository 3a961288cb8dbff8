"""A writing request holds its write transaction for one thread hop, and a browser's caller is
looked up outside it.

On SQLite a writing session takes the one write turn at its first statement and keeps it until
its commit: every thread hop in between waits for the event loop, which under load serves
hundreds of requests first, while the writers behind wait (issue 26).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import anyio.to_thread
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.orm import Session, sessionmaker

from accord import prepared
from accord.db import READ_ONLY
from accord.identity.models import MemberRole, TokenScope, WebSession
from accord.web.request_session import commits_where_it_ran, get_db
from tests.factories import Factories, csrf_of
from tests.web.test_org_guard import DRAFT

# A route's writing session, as the hub's routes take it.
_Writing = Annotated[Session, Depends(get_db, scope="function")]


@pytest.fixture
def events(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """In order: each writing transaction's begin and commit, each statement (``ro`` or
    ``rw`` and its SQL, those of ``accord.prepared`` too) and each thread hop the request
    takes (``hop``)."""
    seen: list[str] = []

    def writing(conn: Any) -> bool:
        return not conn.get_execution_options().get(READ_ONLY)

    def began(conn: Any) -> None:
        if writing(conn):
            seen.append("begin")

    def committed(conn: Any) -> None:
        if writing(conn):
            seen.append("commit")

    def executed(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(("rw " if writing(conn) else "ro ") + statement)

    hop = anyio.to_thread.run_sync

    async def counted(*args: Any, **kwargs: Any) -> Any:
        seen.append("hop")
        return await hop(*args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    rows = prepared.Prepared.rows

    def prepared_rows(self: prepared.Prepared, db: prepared.Reads, params: Any) -> Any:
        # Run on the driver's cursor, past the engine's events: seen here, read-only when the
        # session's bind (or a bare reading) is.
        reads = isinstance(db, prepared.Reading) or bool(
            db.get_bind().get_execution_options().get(READ_ONLY)
        )
        seen.append(("ro " if reads else "rw ") + self._compiled.string)
        return rows(self, db, params)

    monkeypatch.setattr(prepared.Prepared, "rows", prepared_rows)
    listeners = [("begin", began), ("commit", committed), ("before_cursor_execute", executed)]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    yield seen
    for name, listener in listeners:
        event.remove(engine, name, listener)


def _held(events: list[str]) -> list[str]:
    """What happened while the (one) writing transaction was open."""
    assert events.count("begin") == 1, events
    return events[events.index("begin") : events.index("commit") + 1]


def test_an_api_write_commits_in_the_hop_it_wrote_in(
    client: TestClient, make: Factories, events: list[str]
) -> None:
    slug = make.org()
    person = make.user()
    make.member(person, slug, MemberRole.MEMBER)
    headers = make.bearer(person, TokenScope.WRITE)
    events.clear()
    response = client.post(f"/api/v1/advisories/orgs/{slug}", json=DRAFT, headers=headers)
    assert response.status_code == 201, response.text
    held = _held(events)
    # Before: the answer's validation and the commit took a hop each, the transaction open.
    assert "hop" not in held, held
    assert any(e.startswith("rw INSERT INTO advisories") for e in held)
    # The token's "last used" is written in the same transaction, just before the commit.
    assert held[-2].startswith("rw UPDATE api_tokens"), held


def test_a_browsers_write_looks_its_caller_up_outside_the_write_transaction(
    client: TestClient, make: Factories, events: list[str], db: Session
) -> None:
    make.session(client, make.user("alice"))
    token = csrf_of(client.get("/account").text)
    events.clear()
    created = client.post(
        "/account/tokens", data={"name": "laptop", "scope": "read", "csrf_token": token}
    )
    assert created.status_code == 201, created.text
    by_cookie = [e for e in events if "FROM web_sessions" in e]
    assert by_cookie
    assert all(e.startswith("ro ") for e in by_cookie), by_cookie
    held = _held(events)
    assert "hop" not in held, held
    assert any(e.startswith("rw INSERT INTO api_tokens") for e in held)
    # That the session just changed something is still written, in the write's transaction.
    assert held[-2].startswith("rw UPDATE web_sessions"), held
    assert db.scalar(select(WebSession.last_used_at)) is not None


def test_a_browsers_refused_write_leaves_its_session_unstamped(
    client: TestClient, make: Factories, db: Session
) -> None:
    make.session(client, make.user("alice"))
    token = csrf_of(client.get("/account").text)
    refused = client.post("/account/tokens/999999/revoke", data={"csrf_token": token})
    assert refused.status_code == 404, refused.text
    assert db.scalar(select(WebSession.last_used_at)) is None


def test_a_write_whose_answer_its_model_refuses_is_rolled_back_not_kept(tmp_path: Path) -> None:
    """The commit moved into the route's thread, before FastAPI checks the answer against the
    route's model: a route whose answer fails that check (a bug, answered 500) must still keep
    nothing, as when the commit came after the check."""
    engine = create_engine(f"sqlite:///{tmp_path / 'hops.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    app = FastAPI()
    app.state.sessionmaker = sessionmaker(engine)
    app.state.reader = sessionmaker(engine)

    @app.post("/broken", response_model=int)
    def broken(db: _Writing) -> object:
        db.execute(text("INSERT INTO t VALUES (1)"))
        return "not a number"

    @app.post("/sound", response_model=int)
    def sound(db: _Writing) -> object:
        db.execute(text("INSERT INTO t VALUES (2)"))
        return 2

    commits_where_it_ran(app.router.routes)
    with TestClient(app, raise_server_exceptions=False) as bare:
        assert bare.post("/broken").status_code == 500
        assert bare.post("/sound").json() == 2
    with engine.connect() as connection:
        assert connection.execute(text("SELECT x FROM t")).scalars().all() == [2]
    engine.dispose()
