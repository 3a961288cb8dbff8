"""The organization guard decides through a read-only session, and the write turn is the route's.

On SQLite a writing request's session takes the one write turn at its first statement: a
guard that read the organization there held the turn through its own step (issue 26). The
decision is asked again inside the write transaction, so a membership revoked between the
guard and the write does not let the write through.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, event, func, select
from sqlalchemy.orm import Session, sessionmaker

import accord.web.deps
from accord.advisories import services
from accord.advisories.models import Advisory
from accord.db import READ_ONLY, unit_of_work
from accord.identity.models import MemberRole, Membership, TokenScope
from tests.factories import Factories

DRAFT: dict[str, Any] = {
    "summary": "Path traversal in acme-widget",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "acme-widget"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"fixed": "2.0.1"}]}
            ],
        }
    ],
}


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[tuple[bool, str]]]:
    """Every statement the hub runs: whether its connection was read-only, and its SQL."""
    seen: list[tuple[bool, str]] = []

    def record(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append((bool(conn.get_execution_options().get(READ_ONLY)), statement))

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def _member(make: Factories, role: MemberRole = MemberRole.MEMBER) -> tuple[str, dict[str, str]]:
    slug = make.org()
    person = make.user()
    make.member(person, slug, role)
    return slug, make.bearer(person, TokenScope.WRITE)


def _drafts(db: Session) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(Advisory)) or 0


def test_the_guard_reads_the_organization_outside_the_write_transaction(
    client: TestClient, make: Factories, statements: list[tuple[bool, str]], db: Session
) -> None:
    slug, headers = _member(make)
    statements.clear()
    response = client.post(f"/api/v1/advisories/orgs/{slug}", json=DRAFT, headers=headers)
    assert response.status_code == 201, response.text
    by_slug = [ro for ro, sql in statements if "WHERE organizations.slug" in sql]
    assert by_slug == [True]  # once, through a read-only connection
    written = [sql for ro, sql in statements if not ro and not sql.startswith("BEGIN")]
    # The write transaction's first statement is the re-check of the membership, not the guard's.
    assert "FROM memberships" in written[0]
    assert _drafts(db) == 1


def test_a_membership_revoked_after_the_guard_refuses_the_write(
    client: TestClient,
    make: Factories,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    db: Session,
) -> None:
    slug, headers = _member(make)
    found = accord.web.deps.get_org

    def then_revoked(session: Session, wanted: str) -> Any:
        org = found(session, wanted)
        # Revoked once the guard has read the organization (through a read-only session, which
        # does not hold the write turn), before the route writes.
        if session.get_bind().get_execution_options().get(READ_ONLY):
            with unit_of_work(session_factory) as other:
                other.execute(delete(Membership).where(Membership.organization_id == org.id))
        return org

    monkeypatch.setattr(accord.web.deps, "get_org", then_revoked)
    response = client.post(f"/api/v1/advisories/orgs/{slug}", json=DRAFT, headers=headers)
    assert response.status_code == 403, response.text
    assert _drafts(db) == 0


def test_a_role_lowered_after_the_guard_refuses_an_admins_write(
    client: TestClient,
    make: Factories,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slug, headers = _member(make, MemberRole.ADMIN)
    found = accord.web.deps.get_org

    def then_lowered(session: Session, wanted: str) -> Any:
        org = found(session, wanted)
        if session.get_bind().get_execution_options().get(READ_ONLY):
            with unit_of_work(session_factory) as other:
                for membership in other.scalars(
                    select(Membership).where(Membership.organization_id == org.id)
                ):
                    membership.role = MemberRole.MEMBER
        return org

    monkeypatch.setattr(accord.web.deps, "get_org", then_lowered)
    response = client.patch(
        f"/api/v1/orgs/{slug}", json={"description": "Changed"}, headers=headers
    )
    assert response.status_code == 403, response.text
    monkeypatch.setattr(accord.web.deps, "get_org", found)
    assert "Changed" not in client.get(f"/api/v1/orgs/{slug}").text


def test_an_advisory_write_revoked_after_the_guard_is_refused_and_reads_it_fresh(
    client: TestClient,
    make: Factories,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    statements: list[tuple[bool, str]],
    db: Session,
) -> None:
    slug, headers = _member(make)
    draft = client.post(f"/api/v1/advisories/orgs/{slug}", json=DRAFT, headers=headers).json()
    statements.clear()
    edited = client.patch(
        f"/api/v1/advisories/{draft['id']}", json={"summary": "Edited"}, headers=headers
    )
    assert edited.status_code == 200, edited.text
    by_id = [ro for ro, sql in statements if "WHERE advisories.osv_id" in sql]
    assert by_id[0] is True  # the guard's read, through a read-only connection
    written = [sql for ro, sql in statements if not ro and not sql.startswith("BEGIN")]
    assert "FROM memberships" in written[0]
    assert "WHERE advisories.id" in written[1]  # the route's advisory, loaded by its key there

    found = services.get

    def then_revoked(session: Session, osv_id: str, **kwargs: Any) -> Any:
        advisory = found(session, osv_id, **kwargs)
        if session.get_bind().get_execution_options().get(READ_ONLY):
            with unit_of_work(session_factory) as other:
                other.execute(delete(Membership).where(Membership.organization_id.isnot(None)))
        return advisory

    monkeypatch.setattr(services, "get", then_revoked)
    refused = client.post(f"/api/v1/advisories/{draft['id']}/publish", headers=headers)
    assert refused.status_code == 403, refused.text
    db.rollback()
    assert db.scalar(select(Advisory.summary).where(Advisory.osv_id == draft["id"])) == "Edited"
    assert db.scalar(select(Advisory.status).where(Advisory.osv_id == draft["id"])) == "draft"
